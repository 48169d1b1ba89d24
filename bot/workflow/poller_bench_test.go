package workflow

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// checkDuration is how long the simulated security check takes.
const checkDuration = 6 * time.Second

// fakeAtoms is an in-memory Atoms for the poller benchmark: versions whose
// check passes checkDuration after publish, and activation that records when
// it happened (on the injected clock).
type fakeAtoms struct {
	now       func() time.Time
	mu        sync.Mutex
	published map[string]time.Time // version id → publish time
	active    map[string]string    // agent id → version id
	activated map[string]time.Time // version id → activation time
}

func (f *fakeAtoms) version(id string) atoms.Version {
	status := atoms.CheckPending
	if !f.now().Before(f.published[id].Add(checkDuration)) {
		status = atoms.CheckPassed
	}
	return atoms.Version{ID: id, Status: atoms.StatusPublished, VersionNumber: 2, SecurityCheck: &atoms.SecurityCheck{Status: status}}
}

func (f *fakeAtoms) GetAgent(_ context.Context, id string, _ atoms.GetAgentOptions) (*atoms.Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &atoms.Agent{ID: id, ActiveVersionID: f.active[id]}, nil
}

func (f *fakeAtoms) GetVersion(_ context.Context, _, versionID string) (*atoms.VersionDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &atoms.VersionDetail{Version: f.version(versionID)}, nil
}

func (f *fakeAtoms) ActivateVersion(_ context.Context, agentID, versionID string) (*atoms.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v := f.version(versionID)
	if v.Outcome() != atoms.CheckOK {
		return nil, &atoms.APIError{Status: 400, Messages: []string{"Security check pending for this version"}}
	}
	if f.active[agentID] != versionID {
		f.active[agentID] = versionID
		f.activated[versionID] = f.now()
	}
	v.IsActive, v.ActivatedAt = true, f.activated[versionID]
	return &v, nil
}

func (f *fakeAtoms) GetDraft(context.Context, string, string, int) (*atoms.DraftDetail, error) {
	return nil, atoms.ErrNotFound
}

func (f *fakeAtoms) PublishDraft(context.Context, string, string, atoms.PublishRequest) (*atoms.Version, error) {
	return nil, fmt.Errorf("not in this benchmark")
}

func (f *fakeAtoms) ListVersions(context.Context, string, atoms.ListVersionsOptions) (*atoms.VersionList, error) {
	return &atoms.VersionList{}, nil
}

func (f *fakeAtoms) DiffVersions(context.Context, string, string, string) (*atoms.Diff, error) {
	return &atoms.Diff{}, nil
}

// nopSlack accepts every message.
type nopSlack struct{ n atomic.Int64 }

func (s *nopSlack) Post(context.Context, string, string, render.Message) (string, error) {
	return fmt.Sprintf("1700000000.%06d", s.n.Add(1)), nil
}
func (s *nopSlack) Announce(ctx context.Context, ch string, m render.Message) (string, error) {
	return s.Post(ctx, ch, "", m)
}
func (s *nopSlack) Upload(context.Context, string, string, string, string, string) error {
	return nil
}
func (s *nopSlack) Update(context.Context, string, string, render.Message) error    { return nil }
func (s *nopSlack) Ephemeral(context.Context, string, string, render.Message) error { return nil }

// roundTrips counts Redis round trips (a command or a pipeline is one).
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// BenchmarkPoller10k polls 10,000 pending promotions (each approved, its
// security check running) at the default POLL_INTERVAL. One op is one poll
// pass over all of them while their checks are pending. It reports Redis
// round trips per promotion per poll and, once the checks pass, the lag from
// "check passed" to "activated" on the injected clock.
func BenchmarkPoller10k(b *testing.B) {
	const n = 10000
	backend := statetest.Bench(b)
	rdb := backend.Client(b)
	rt := &roundTrips{}
	rdb.AddHook(rt)
	clk := atomsim.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	fa := &fakeAtoms{now: clk.Now, published: map[string]time.Time{}, active: map[string]string{}, activated: map[string]time.Time{}}
	prefix := backend.Prefix(b)
	store := state.New(rdb, prefix, clk.Now)
	eng := New(fa, store, &nopSlack{}, Config{
		Policy: Policy{Required: 1, TTL: 24 * time.Hour}, PollInterval: time.Second,
		CheckTimeout: 10 * time.Minute, RPS: 1e6, Now: clk.Now, Owner: "bench",
	})
	ctx := context.Background()
	start := clk.Now()
	for i := range n {
		agent, version := fmt.Sprintf("agent%05d", i), fmt.Sprintf("version%05d", i)
		// Publishes spread over a second, so checks pass out of step with polls.
		published := start.Add(time.Duration(i%1000) * time.Millisecond)
		fa.published[version] = published
		fa.active[agent] = "old" + version
		p := state.Promotion{ID: fmt.Sprintf("pr%05d", i), AgentID: agent, AgentName: agent, VersionID: version, VersionNumber: 2,
			Kind: state.KindRollback, Requester: "UREQ", Channel: "C1", MessageTS: "1.1", State: state.Published,
			CheckStatus: atoms.CheckPending, CreatedAt: start, PublishedAt: published}
		if _, err := store.CreatePromotion(ctx, p, time.Hour, "", 0); err != nil {
			b.Fatal(err)
		}
		if _, _, err := store.Approve(ctx, p.ID, state.Approval{UserID: "UAPP", VersionID: version}); err != nil {
			b.Fatal(err)
		}
	}
	// First pass records the pending check status (one extra write each).
	if _, err := eng.PollOnce(ctx); err != nil {
		b.Fatal(err)
	}

	b.ResetTimer()
	rt.n.Store(0)
	polled := 0
	for b.Loop() {
		clk.Advance(time.Second)
		if clk.Now().Sub(start) >= checkDuration-time.Second {
			clk.Advance(-time.Second) // keep every check pending while timing
		}
		k, err := eng.PollOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		polled += k
	}
	b.StopTimer()
	if polled > 0 {
		b.ReportMetric(float64(rt.n.Load())/float64(polled), "redis-rt/promotion-poll")
	}

	// The checks pass at start+6s; poll every tick of the real loop's cadence
	// until every promotion is active, then measure the lag.
	clk.Set(start.Add(checkDuration - time.Second))
	for range 40 {
		clk.Advance(maxTick)
		if _, err := eng.PollOnce(ctx); err != nil {
			b.Fatal(err)
		}
		if len(fa.activated) == n {
			break
		}
	}
	if len(fa.activated) != n {
		b.Fatalf("%d of %d activated", len(fa.activated), n)
	}
	lags := make([]time.Duration, 0, n)
	for v, at := range fa.activated {
		lags = append(lags, at.Sub(fa.published[v].Add(checkDuration)))
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Milliseconds()), "lag-max-ms")
}
