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
	// BranchModel runs the agent API on the branch model, as production
	// does since 2026-07-23: the branch routes are served, the v1 write and
	// list endpoints answer the 409 migration error, and existing agents are
	// migrated in place (see SetBranchModel). Off, the branch routes do not
	// exist (Express HTML 404).
	BranchModel bool
	// RichConflicts answers a draft conflict with data.conflict besides the
	// lean list of paths (dev's shape; production answers lean).
	RichConflicts bool
	// ForkCopiesHead gives a new branch its own revision 1, a copy of the
	// source's head, instead of a null head until its first commit.
	ForkCopiesHead bool
	// ReadLag delays what reads show after a commit or a make-live: for this
	// long on the clock, GET branches, GET branch and GET agent still show
	// the previous live branch, heads and activeVersionId.
	ReadLag time.Duration
	// ListScanningDraft lists a draft whose publish is scanning in GET
	// revisions, as a status "draft" row on top.
	ListScanningDraft bool
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
	// MaxCalls bounds the call record and the record of placed calls
	// (Conversations), so a long-running standalone simulator does not grow
	// without end: 0 means DefaultMaxCalls; the oldest are dropped first.
	MaxCalls int
	// OnCall, when set, is called with each call placed (outbound or test
	// call) once it is in Conversations, so that a sandbox can show the
	// phone ringing. It runs in the request's goroutine before the answer
	// is written, without the simulator's lock: it may use the simulator,
	// and the caller waits while it runs. A call whose answer an injected
	// after-effect fault replaces was placed all the same, and is reported.
	OnCall func(Conversation)
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

	mu             sync.Mutex
	checkDelay     time.Duration
	branchModel    bool
	specDiff       bool
	richConflicts  bool
	forkCopiesHead bool
	readLag        time.Duration
	listScanning   bool
	frozen         bool
	faults         Faults
	faultRNG       *rand.Rand
	ids            *idGen
	org            string
	agents         map[string]*agent
	order          []string // agent ids in creation order
	failNext       map[string]checkPlan
	calls          []Call
	convs          []Conversation
	onCall         func(Conversation)
}

// New returns a simulator with no agents.
func New(opts Options) *Simulator {
	s := &Simulator{
		apiKey:         opts.APIKey,
		now:            opts.Now,
		sleep:          opts.Sleep,
		table:          routes(),
		maxCalls:       cmp.Or(opts.MaxCalls, DefaultMaxCalls),
		specDiff:       opts.SpecDiffShape,
		richConflicts:  opts.RichConflicts,
		forkCopiesHead: opts.ForkCopiesHead,
		readLag:        max(opts.ReadLag, 0),
		listScanning:   opts.ListScanningDraft,
		ids:            newIDGen(opts.Seed),
		agents:         make(map[string]*agent),
		failNext:       make(map[string]checkPlan),
		onCall:         opts.OnCall,
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
	s.branchModel = opts.BranchModel
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

// SetBranchModel switches the agent API between the branch model (on) and
// v1 (off). Switching on migrates every v1 agent in place: Main, default and
// live, whose revisions are its published versions and whose head is its
// active version. Switching off only changes the routing: the v1 routes work
// again on the same documents and the branch routes are gone, but migrated
// agents keep their branches (hidden), v1 publishes and activations made
// meanwhile are not reflected on them, and switching on again does not
// migrate them a second time.
func (s *Simulator) SetBranchModel(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.branchModel = on
	if on {
		for _, id := range s.order {
			s.migrate(s.agents[id])
		}
	}
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
	// ErrInvalid: the API would answer 400 (bad name, bad config…).
	ErrInvalid = errors.New("atomsim: invalid request")
	// ErrForbidden: the API would answer 403 (Main, the live branch, an
	// archived branch, a revision that failed its scan…).
	ErrForbidden = errors.New("atomsim: forbidden")
	// ErrConflict: the API would answer 409 (name taken, publish in
	// progress, no committed revision…).
	ErrConflict = errors.New("atomsim: conflict")
	// ErrFrozen: a config freeze is on (the API would answer 423).
	ErrFrozen = errors.New("atomsim: config freeze active")
	// ErrNotBranchModel: a branch-model hook was called in v1 mode.
	ErrNotBranchModel = errors.New("atomsim: the branch model is off")
)
