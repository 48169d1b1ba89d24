package workflow

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// checkDuration is how long the simulated security check takes.
const checkDuration = 6 * time.Second

// nopSlack accepts every message.
type nopSlack struct{ n atomic.Int64 }

func (s *nopSlack) Post(context.Context, string, string, render.Message) (string, error) {
	return fmt.Sprintf("1700000000.%06d", s.n.Add(1)), nil
}
func (s *nopSlack) FindTagged(context.Context, string, render.Tag, time.Time) (string, error) {
	return "", nil
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
	fp := newFakePlatform(clk.Now)
	fp.checkAfter = checkDuration
	prefix := backend.Prefix(b)
	store := state.New(rdb, prefix, clk.Now)
	eng := New(fp, store, &nopSlack{}, Config{
		Policy: Policy{Required: 1, TTL: 24 * time.Hour}, PollInterval: time.Second,
		CheckTimeout: 10 * time.Minute, RPS: 1e6, Now: clk.Now, Owner: "bench",
	})
	ctx := context.Background()
	start := clk.Now()
	for i := range n {
		agent, version := fmt.Sprintf("agent%05d", i), fmt.Sprintf("version%05d", i)
		// Publishes spread over a second, so checks pass out of step with polls.
		published := start.Add(time.Duration(i%1000) * time.Millisecond)
		fp.seed(agent, "old"+version, version, published)
		p := state.Promotion{ID: fmt.Sprintf("pr%05d", i), AgentID: agent, AgentName: agent, VersionID: version, VersionNumber: 2,
			PreviousVersionID: "old" + version, Kind: state.KindRollback, Requester: "UREQ", Channel: "C1", MessageTS: "1.1",
			State: state.Published, CheckStatus: "pending", CreatedAt: start, PublishedAt: published}
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
		if fp.activatedCount() == n {
			break
		}
	}
	if got := fp.activatedCount(); got != n {
		b.Fatalf("%d of %d activated", got, n)
	}
	lags := fp.activationLags()
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Milliseconds()), "lag-max-ms")
}
