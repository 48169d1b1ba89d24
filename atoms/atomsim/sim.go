package atomsim

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// DefaultCheckDelay is how long a security check takes when Options.CheckDelay
// is zero: about what the lifecycle guide measured on the live API.
const DefaultCheckDelay = 6 * time.Second

// Options configures a Simulator. The zero value is a usable simulator with no
// authentication, the real clock and a 6 s security check.
type Options struct {
	// APIKey, when set, is required as "Authorization: Bearer <key>".
	APIKey string
	// Now is the clock; security checks complete when it has advanced by
	// CheckDelay past the publish. Default time.Now.
	Now func() time.Time
	// CheckDelay is the duration of a security check: 0 means
	// DefaultCheckDelay, a negative value means checks complete at once.
	CheckDelay time.Duration
	// BranchModel answers the v1 write and list endpoints with the 409
	// migration error, as production does since the branch model launched.
	BranchModel bool
	// SpecDiffShape answers diffs in the spec's {sections, hasChanges} shape
	// instead of the live {unchangedSections, diffs} shape.
	SpecDiffShape bool
	// Faults are injected into requests (see Faults).
	Faults Faults
	// Seed makes ids and request ids reproducible; 0 picks a random seed.
	Seed int64
	// Sleep waits for injected latency; default a context-aware timer. Tests
	// inject their own so no real time passes.
	Sleep func(ctx context.Context, d time.Duration)
	// MaxCalls bounds the call record, so a long-running standalone
	// simulator does not grow without end: 0 means DefaultMaxCalls; the
	// oldest calls are dropped first.
	MaxCalls int
}

// DefaultMaxCalls is the call-record bound when Options.MaxCalls is zero.
const DefaultMaxCalls = 10000

// Simulator is an in-memory Atoms API. It is safe for concurrent use; one
// mutex guards all state, which is plenty for a test double.
type Simulator struct {
	apiKey string
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration)
	table  []route
	// maxCalls bounds calls (see Options.MaxCalls).
	maxCalls int

	mu          sync.Mutex
	checkDelay  time.Duration
	branchModel bool
	specDiff    bool
	faults      Faults
	faultRNG    *rand.Rand
	ids         *idGen
	org         string
	agents      map[string]*agent
	order       []string // agent ids in creation order
	failNext    map[string]checkPlan
	calls       []Call
	convs       []Conversation
}

// New returns a simulator with no agents.
func New(opts Options) *Simulator {
	s := &Simulator{
		apiKey:      opts.APIKey,
		now:         opts.Now,
		sleep:       opts.Sleep,
		table:       routes(),
		maxCalls:    cmp.Or(opts.MaxCalls, DefaultMaxCalls),
		branchModel: opts.BranchModel,
		specDiff:    opts.SpecDiffShape,
		ids:         newIDGen(opts.Seed),
		agents:      make(map[string]*agent),
		failNext:    make(map[string]checkPlan),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	s.checkDelay = normDelay(opts.CheckDelay)
	s.org = s.ids.objectID(s.now())
	s.setFaultsLocked(opts.Faults)
	return s
}

func normDelay(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return DefaultCheckDelay
	case d < 0:
		return 0
	}
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// SetBranchModel switches the branch-model 409s on or off.
func (s *Simulator) SetBranchModel(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.branchModel = on
}

// SetSpecDiffShape switches the diff response shape (see Options.SpecDiffShape).
func (s *Simulator) SetSpecDiffShape(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.specDiff = on
}

// SetCheckDelay changes the duration of security checks started from now on.
func (s *Simulator) SetCheckDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkDelay = normDelay(d)
}

// Errors of the direct-control methods.
var (
	// ErrNotFound: no such agent or version.
	ErrNotFound = errors.New("atomsim: not found")
	// ErrCheckPending: the version's security check has not passed yet.
	ErrCheckPending = errors.New("atomsim: security check pending")
	// ErrCheckFailed: the version's security check failed or errored.
	ErrCheckFailed = errors.New("atomsim: security check failed")
	// ErrInvalidStatus: not a security check status the simulator knows.
	ErrInvalidStatus = errors.New("atomsim: invalid security check status")
)
