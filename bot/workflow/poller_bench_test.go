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
// pass over all of them while their checks are pending, at any -benchtime:
// every pass must poll all 10,000 or the benchmark fails. It reports the time
// and Redis round trips per promotion per poll and, once the checks pass, the
// lag from "check passed" to "activated" on the injected clock.
//
// A check passes 6 s after its publish, so only the passes at +1 s … +5 s see
// every check pending; after five passes the clock and the due-queue are put
// back to just after the first poll, with the timer stopped. One pass takes
// about 0.4 s on Redis and 1.7 s on miniredis (whose allocations count in
// B/op, as it runs in the benchmark's process), so the default -benchtime
// runs one to three passes; -benchtime 20x gives steadier figures in about
// 20 s on Redis.
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
	const pollInterval = time.Second
	eng := New(fp, store, &nopSlack{}, Config{
		Policy: Policy{Required: 1, TTL: 24 * time.Hour}, PollInterval: pollInterval,
		CheckTimeout: 10 * time.Minute, RPS: 1e6, Now: clk.Now, Owner: "bench",
	})
	ctx := context.Background()
	start := clk.Now()
	items := make([]string, n)
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
		items[i] = state.PromotionItem(p.ID)
	}
	// An untimed first pass at +0 s warms what the engine and store cache
	// and leaves every promotion due at +1 s.
	if _, err := eng.PollOnce(ctx); err != nil {
		b.Fatal(err)
	}
	// rewind puts the clock at t with every promotion due one poll interval
	// later, as a poll at t leaves them.
	rewind := func(t time.Time) {
		clk.Set(t)
		for _, it := range items {
			if err := store.Schedule(ctx, it, t.Add(pollInterval)); err != nil {
				b.Fatal(err)
			}
		}
	}
	pendingPasses := int((checkDuration - pollInterval) / pollInterval)
	var trips int64
	passes := 0
	for b.Loop() {
		if passes > 0 && passes%pendingPasses == 0 {
			b.StopTimer()
			rewind(start)
			b.StartTimer()
		}
		clk.Advance(pollInterval)
		before := rt.n.Load()
		k, err := eng.PollOnce(ctx)
		if err != nil {
			b.Fatal(err)
		}
		trips += rt.n.Load() - before
		if got := fp.activatedCount(); k != n || got > 0 {
			b.Fatalf("pass %d at +%s polled %d of %d promotions, %d activated: not a pass over pending checks",
				passes+1, clk.Now().Sub(start), k, n, got)
		}
		passes++
	}
	polled := float64(passes) * n
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/polled, "ns/promotion-poll")
	b.ReportMetric(float64(trips)/polled, "redis-rt/promotion-poll")

	// The checks pass between +6 s and +7 s. From the same schedule whatever
	// the timed loop did, poll at every tick of the real loop's cadence until
	// every promotion is active, then measure the lag.
	rewind(start.Add(checkDuration - 2*pollInterval))
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
		b.Fatalf("%d of %d activated by +%s (Refresh calls %d, Activate calls %d)",
			got, n, clk.Now().Sub(start), fp.count("Refresh"), fp.count("Activate"))
	}
	b.ReportMetric(float64(fp.activatedCount()), "activated")
	lags := fp.activationLags()
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-p50-ms")
	b.ReportMetric(float64(lags[len(lags)-1].Milliseconds()), "lag-max-ms")
}
