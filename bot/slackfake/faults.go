package slackfake

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// AnyMethod, given as the method to FailNext or RateLimitNext, matches every
// Web API method.
const AnyMethod = "*"

// fault is a queued failure for the next n calls of a method.
type fault struct {
	method     string
	remaining  int
	code       string        // ok:false error code (FailNext)
	retryAfter time.Duration // 429 (RateLimitNext)
	rateLimit  bool
}

// FailNext makes the next n calls of method (or of any method, with
// AnyMethod) answer HTTP 200 {"ok":false,"error":err} without doing
// anything. Faults apply after the token check, so an unauthenticated call
// does not use one up; queued faults are used in the order they were added.
func (s *Server) FailNext(method string, n int, err string) {
	s.addFault(&fault{method: method, remaining: n, code: err})
}

// RateLimitNext makes the next n calls of method (or AnyMethod) answer HTTP
// 429 with a Retry-After header of retryAfter in whole seconds (rounded up),
// which slack-go turns into *slack.RateLimitedError.
func (s *Server) RateLimitNext(method string, n int, retryAfter time.Duration) {
	s.addFault(&fault{method: method, remaining: n, retryAfter: retryAfter, rateLimit: true})
}

func (s *Server) addFault(f *fault) {
	if f.remaining <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, f)
}

// takeFaultLocked uses up the oldest fault queued for method, if any.
func (s *Server) takeFaultLocked(method string) (reply, bool) {
	for i, f := range s.st.faults {
		if f.method != method && f.method != AnyMethod {
			continue
		}
		f.remaining--
		if f.remaining == 0 {
			s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
		}
		if f.rateLimit {
			secs := int64(math.Ceil(f.retryAfter.Seconds()))
			return reply{
				status:     http.StatusTooManyRequests,
				retryAfter: strconv.FormatInt(secs, 10),
				err:        errCode("ratelimited"),
			}, true
		}
		return reply{status: http.StatusOK, err: errCode(f.code)}, true
	}
	return reply{}, false
}
