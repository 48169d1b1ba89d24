package atomsim

import (
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
)

// Call is one request the simulator answered, for tests to assert on.
type Call struct {
	Method string
	// Path is relative to the mount point, without the /atoms/v1 prefix.
	Path  string
	Query url.Values
	Body  []byte
	// Header is the request's headers without Authorization: the key is a
	// secret and has no business in a record.
	Header    http.Header
	Status    int
	Fault     string // "" or one of the Fault* kinds
	RequestID string
	At        time.Time
}

func newCall(rq *request) Call {
	h := rq.header.Clone()
	h.Del("Authorization")
	return Call{
		Method: rq.method,
		Path:   rq.path,
		Query:  rq.query,
		Body:   append([]byte(nil), rq.body...),
		Header: h,
		At:     rq.now,
	}
}

// record keeps a call, dropping the oldest quarter when the bound is hit
// (amortized: no shifting on every call).
func (s *Simulator) record(c Call) {
	if len(s.calls) >= s.maxCalls {
		drop := max(1, s.maxCalls/4)
		s.calls = append(s.calls[:0], s.calls[drop:]...)
	}
	s.calls = append(s.calls, c)
}

// Calls returns a copy of the calls recorded since the last ResetCalls.
func (s *Simulator) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// ResetCalls forgets the recorded calls.
func (s *Simulator) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// CountCalls counts recorded calls by method ("" for any) and a path pattern
// in path.Match syntax, where "*" is one segment:
// CountCalls("POST", "/agent/*/drafts/*/publish").
func (s *Simulator) CountCalls(method, pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if method != "" && !strings.EqualFold(method, c.Method) {
			continue
		}
		if ok, _ := path.Match(pattern, c.Path); ok {
			n++
		}
	}
	return n
}
