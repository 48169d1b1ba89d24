// Package workflow is the promotion engine: it publishes a draft, asks the
// channel for approval, waits for the platform's security check, activates,
// verifies and announces. Every step is a compare-and-set on the promotion in
// Redis, run by whoever holds the promotion's due-queue lease, so any number of
// replicas and restarts give the result of one process. It works through the
// platform port and does not know which versioning model Atoms runs.
package workflow

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
)

// Metrics receives the engine's observations; nil is allowed.
type Metrics interface {
	ObserveTransition(to state.PromotionState)
	ObserveCheckWait(d time.Duration)
	ObservePollLag(d time.Duration)
}

// Config is the engine's policy and timing.
type Config struct {
	Policy        Policy
	PollInterval  time.Duration // base interval of the security-check poll (POLL_INTERVAL)
	CheckTimeout  time.Duration // give up waiting for a security check (SECURITY_CHECK_TIMEOUT)
	WatchInterval time.Duration // how often a watched agent is looked at
	Lease         time.Duration // how long a claimed due item is ours
	RPS           float64       // the Atoms rate limit, to size claim batches
	Owner         string        // this replica's identity for leases; random when empty
	// StopGrace is how long steps already started may go on once Run's
	// context ended; then they are cut short (and still reschedule). Default:
	// the step timeout, so they finish.
	StopGrace time.Duration
	// TestCallsPerHour is how many test calls one user may place an hour
	// (TEST_CALLS_PER_HOUR).
	TestCallsPerHour int
	// DashboardURL is the base of agent pages in the Atoms dashboard
	// (ATOMS_DASHBOARD_URL); "" links none.
	DashboardURL string
	Now          func() time.Time
	Logger       *slog.Logger
	Metrics      Metrics
}

func (c *Config) defaults() {
	if c.Policy.Required < 1 {
		c.Policy.Required = 1
	}
	if c.Policy.TTL <= 0 {
		c.Policy.TTL = 24 * time.Hour
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.CheckTimeout <= 0 {
		c.CheckTimeout = 10 * time.Minute
	}
	if c.WatchInterval <= 0 {
		c.WatchInterval = 15 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.RPS <= 0 {
		c.RPS = 5
	}
	if c.StopGrace <= 0 {
		c.StopGrace = stepTimeout
	}
	if c.TestCallsPerHour < 1 {
		c.TestCallsPerHour = 5
	}
	if c.Owner == "" {
		c.Owner = "replica-" + randomID(6)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Engine runs promotions. Create one per process with New; its poller (Run)
// runs in every replica.
type Engine struct {
	atoms   platform.Platform
	store   *state.Store
	slack   Slack
	cfg     Config
	now     func() time.Time
	log     *slog.Logger
	metrics Metrics
	// wake nudges the local poller when a promotion became due now (an
	// approval completed), so it does not wait for the next tick.
	wake chan struct{}
	left leftovers
}

// New returns an engine. cfg's zero values take the contract's defaults.
func New(a platform.Platform, s *state.Store, sl Slack, cfg Config) *Engine {
	cfg.defaults()
	return &Engine{
		atoms: a, store: s, slack: sl, cfg: cfg,
		now: cfg.Now, log: cfg.Logger, metrics: cfg.Metrics,
		wake: make(chan struct{}, 1),
	}
}

// Owner is this engine's lease identity.
func (e *Engine) Owner() string { return e.cfg.Owner }

// Policy is the approval policy in force.
func (e *Engine) Policy() Policy { return e.cfg.Policy }

func (e *Engine) nudge() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) transitioned(p state.Promotion) {
	e.log.Info("promotion transition", "promotion", p.ID, "agent", p.AgentID, "state", string(p.State), "version", p.VersionID, "platform", p.Platform)
	if e.metrics != nil {
		e.metrics.ObserveTransition(p.State)
	}
}

// watchItem is the due-queue item of a watched agent (promotions use
// state.PromotionItem).
func watchItem(agentID string) string { return "w:" + agentID }

func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// NewPromotionID returns a fresh promotion id.
func NewPromotionID() string { return "pr_" + randomID(8) }
