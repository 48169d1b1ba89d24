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
	// after: the call is carried out first; then status is answered
	// (FailAfterNext), or, with hold, no answer comes (HoldNext).
	after  bool
	status int
	hold   bool
	match  func(Call) bool // nil: every call of the method
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

// FailAfterNext makes the next n calls of method (or AnyMethod) take effect
// and then answer HTTP status (a 500, say) instead of their result: the
// answer was lost on the way back, so the client cannot tell the call ran.
func (s *Server) FailAfterNext(method string, n, status int) {
	s.FailAfterNextIf(method, n, status, nil)
}

// FailAfterNextIf is FailAfterNext for the calls match accepts (a post
// with metadata, say); others pass.
func (s *Server) FailAfterNextIf(method string, n, status int, match func(Call) bool) {
	s.addFault(&fault{method: method, remaining: n, after: true, status: status, match: match})
}

// HoldNext makes the next n calls of method (or AnyMethod) take effect and
// then hold the answer until the client gives up (its request ends, as at a
// client timeout): the client never hears that the call ran.
func (s *Server) HoldNext(method string, n int) { s.HoldNextIf(method, n, nil) }

// HoldNextIf is HoldNext for the calls match accepts; others pass.
func (s *Server) HoldNextIf(method string, n int, match func(Call) bool) {
	s.addFault(&fault{method: method, remaining: n, after: true, hold: true, match: match})
}

func (s *Server) addFault(f *fault) {
	if f.remaining <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, f)
}

// takeFaultLocked uses up the oldest fault queued for method, if any. A
// fault that lets the call run first is returned as after, with the reply
// to give instead of the call's.
func (s *Server) takeFaultLocked(req *apiRequest) (rep reply, after *fault, ok bool) {
	for i, f := range s.st.faults {
		if f.method != req.method && f.method != AnyMethod {
			continue
		}
		if f.match != nil && !f.match(Call{Method: req.method, Form: cloneValues(req.form), JSON: req.rawJSON}) {
			continue
		}
		f.remaining--
		if f.remaining == 0 {
			s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
		}
		switch {
		case f.after:
			return reply{status: f.status, err: errCode("internal_error"), hold: f.hold}, f, true
		case f.rateLimit:
			secs := int64(math.Ceil(f.retryAfter.Seconds()))
			return reply{
				status:     http.StatusTooManyRequests,
				retryAfter: strconv.FormatInt(secs, 10),
				err:        errCode("ratelimited"),
			}, nil, true
		}
		return reply{status: http.StatusOK, err: errCode(f.code)}, nil, true
	}
	return reply{}, nil, false
}
