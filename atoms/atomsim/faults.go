package atomsim

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
)

// Faults makes the simulator misbehave like a flaky network or backend.
// Draws come from a generator seeded with Seed, so a sequence of requests
// meets the same faults on every run.
type Faults struct {
	// ErrorRate is the fraction of requests answered, before they take any
	// effect, with 500 or with 429 + Retry-After: 1 (half each).
	ErrorRate float64
	// AfterEffectRate is the fraction of successful writes (POST, PATCH, PUT,
	// DELETE) whose change is applied but whose answer is replaced by a 500:
	// a client that retries a publish blindly then creates two versions.
	AfterEffectRate float64
	// Latency is added to every request (through Options.Sleep).
	Latency time.Duration
	// Seed seeds the fault draws.
	Seed int64
	// Methods limits faults and latency to these HTTP methods; empty means all.
	Methods []string
}

// SetFaults replaces the fault configuration and restarts its draws.
func (s *Simulator) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setFaultsLocked(f)
}

func (s *Simulator) setFaultsLocked(f Faults) {
	f.Methods = append([]string(nil), f.Methods...)
	s.faults = f
	s.faultRNG = rand.New(rand.NewPCG(uint64(f.Seed), 0x6661756c7473))
}

func (f Faults) applies(method string) bool {
	if len(f.Methods) == 0 {
		return true
	}
	for _, m := range f.Methods {
		if strings.EqualFold(m, method) {
			return true
		}
	}
	return false
}

// Fault kinds recorded in Call.Fault.
const (
	FaultServerError = "error-500"
	FaultRateLimit   = "rate-limit-429"
	FaultAfterEffect = "after-effect-500"
)

// preFault decides whether the request fails before it takes effect. A
// single draw picks both whether and which, so the sequence only depends on
// the seed and the order of requests.
func (s *Simulator) preFault(method string) (*response, string) {
	f := s.faults
	if f.ErrorRate <= 0 || !f.applies(method) {
		return nil, ""
	}
	u := s.faultRNG.Float64()
	switch {
	case u < f.ErrorRate/2:
		return errResponse(newErr(http.StatusInternalServerError, "Internal server error")), FaultServerError
	case u < f.ErrorRate:
		e := newErr(http.StatusTooManyRequests, "Rate limit exceeded").withHeader("Retry-After", "1")
		return errResponse(e), FaultRateLimit
	}
	return nil, ""
}

// afterFault may replace a successful write's answer by a 500 after the
// change was made.
func (s *Simulator) afterFault(method string, resp *response) (*response, string) {
	f := s.faults
	if f.AfterEffectRate <= 0 || !f.applies(method) || method == http.MethodGet || method == http.MethodHead {
		return resp, ""
	}
	if resp.status < 200 || resp.status > 299 {
		return resp, ""
	}
	if s.faultRNG.Float64() < f.AfterEffectRate {
		return errResponse(newErr(http.StatusInternalServerError, "Internal server error")), FaultAfterEffect
	}
	return resp, ""
}
