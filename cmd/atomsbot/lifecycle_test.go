package main

import (
	"context"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/state"
)

// promoteWithoutPoller starts a promotion through a's HTTP handler (its
// poller not running), makes its due-queue item due and returns the item.
func promoteWithoutPoller(t *testing.T, w *world, a *app) string {
	t.Helper()
	if rec := w.signedTo(a.http, "/slack/commands", w.commandBody(alice, `promote support-concierge "Refund policy update"`)); rec.Code != 200 {
		t.Fatalf("promote: %d", rec.Code)
	}
	drain(t, a)
	id, err := a.store.LockHolder(context.Background(), state.AgentLock(w.agents[demoAgent].ID))
	if err != nil || id == "" {
		t.Fatalf("no promotion in flight (%v)", err)
	}
	item := "p:" + id
	at, _, ok, err := a.store.Scheduled(context.Background(), item)
	if err != nil || !ok {
		t.Fatalf("%s not queued (%v)", item, err)
	}
	w.clock.Advance(max(at.Sub(w.clock.Now()), 0))
	return item
}

func TestShutdownReleasesLeases(t *testing.T) {
	eachRedis(t, func(t *testing.T, b redisBackend) {
		w := newWorld(t, b)
		a, _ := w.newApp("replica-a", nil, nil)
		item := promoteWithoutPoller(t, w, a)
		ctx := context.Background()
		bApp, _ := w.newApp("replica-b", nil, nil)
		t.Cleanup(bApp.close)

		// A holds the item, as a poller that claimed it and had not finished
		// when the shutdown began.
		claimA, err := a.store.Claim(ctx, a.engine.Owner(), 10, 2*time.Minute)
		if err != nil || !has(claimA, item) {
			t.Fatalf("A claimed %v (%v), want %s", claimA, err, item)
		}
		if claimB, _ := bApp.store.Claim(ctx, bApp.engine.Owner(), 10, 2*time.Minute); len(claimB) != 0 {
			t.Fatalf("B claimed %v while A holds the lease", claimB)
		}

		// A runs (its poller cannot take the leased item) and is stopped.
		if err := w.start(a).stop(); err != nil {
			t.Fatalf("run: %v", err)
		}

		claimB, err := bApp.store.Claim(ctx, bApp.engine.Owner(), 10, 2*time.Minute)
		if err != nil || !has(claimB, item) {
			t.Fatalf("after A stopped, B claimed %v (%v), want %s at once", claimB, err, item)
		}
	})
}

func TestShutdownFinishesStepInProgress(t *testing.T) {
	eachRedis(t, func(t *testing.T, b redisBackend) {
		w := newWorld(t, b)
		a, _ := w.newApp("replica-a", nil, nil)
		item := promoteWithoutPoller(t, w, a)
		ctx := context.Background()

		// A's poller claims the item and its step blocks inside an Atoms
		// call; then A is told to stop.
		entered, release := make(chan struct{}), make(chan struct{})
		var once bool
		w.gateMu.Lock()
		w.gate = func(ctx context.Context) {
			w.gateMu.Lock()
			first := !once
			once = true
			w.gateMu.Unlock()
			if first {
				close(entered)
			}
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		w.gateMu.Unlock()
		w.sim.SetFaults(atomsim.Faults{Latency: time.Millisecond})
		r := w.start(a)
		select {
		case <-entered:
		case <-time.After(30 * time.Second):
			t.Fatal("the poller never started the step")
		}
		stopped := make(chan error, 1)
		go func() { stopped <- r.stop() }()
		close(release)
		if err := <-stopped; err != nil {
			t.Fatalf("run: %v", err)
		}
		w.sim.SetFaults(atomsim.Faults{})

		// The step finished and rescheduled its item: queued, leased by nobody.
		_, owner, ok, err := w.store().Scheduled(ctx, item)
		if err != nil || !ok {
			t.Fatalf("item lost after shutdown (%v)", err)
		}
		if owner != "" {
			t.Errorf("item still leased by %q after shutdown", owner)
		}
	})
}

func has(claims []state.Claim, item string) bool {
	for _, c := range claims {
		if c.Item == item {
			return true
		}
	}
	return false
}
