package workflow

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestRun: the poll loop takes due work at once and returns when its context
// ends.
func TestRun(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.advance(6 * time.Second)
		r.approve(p, bob) // due now, and the poller is nudged

		announced := make(chan struct{}, 1)
		r.slack.on(kindAnnounce, func(slackCall) {
			select {
			case announced <- struct{}{}:
			default:
			}
		})
		ctx, cancel := context.WithCancel(r.ctx)
		var runErr error
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			runErr = r.eng.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-stopped
		})
		select {
		case <-announced:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not activate the approved promotion")
		}
		cancel()
		select {
		case <-stopped:
			if runErr != nil {
				t.Errorf("Run = %v, want nil on cancel", runErr)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after its context ended")
		}
		r.wantState(p.ID, state.Live)
	})
}

// TestPollOnceBatches: with a small ATOMS_RPS the due items are claimed in
// several batches, all in one poll.
func TestPollOnceBatches(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b, func(c *Config) { c.RPS = 0.01 }) // one item per claim
		for i := range 3 {
			id := fmt.Sprintf("ag%d", i+2)
			r.plat.addAgent(id, "Agent "+id)
			if _, err := r.eng.Promote(r.ctx, r.promoteReq(id)); err != nil {
				t.Fatal(err)
			}
		}
		r.clk.Advance(time.Second)
		if n := r.poll(); n != 3 {
			t.Errorf("one poll processed %d items, want 3", n)
		}
		if got := r.metrics.pollLags; len(got) != 3 {
			t.Errorf("poll lags observed %v, want 3", got)
		}
	})
}

// TestPollOnceOddItems: an item for no promotion is dropped; an item of an
// unknown kind is looked at again later, not in a loop.
func TestPollOnceOddItems(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		for _, item := range []string{"p:pr_gone", "x:what"} {
			if err := r.store.Schedule(r.ctx, item, r.clk.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if n := r.poll(); n != 2 {
			t.Errorf("processed %d items, want 2", n)
		}
		if _, _, ok, _ := r.store.Scheduled(r.ctx, "p:pr_gone"); ok {
			t.Error("the item of a missing promotion is still queued")
		}
		at, owner, ok, _ := r.store.Scheduled(r.ctx, "x:what")
		if !ok || owner != "" || !at.Equal(r.clk.Now().Add(5*time.Second)) {
			t.Errorf("unknown item due %s (leased %q, queued %v), want in 5 POLL_INTERVALs", at, owner, ok)
		}
	})
}

// TestPollOnceReleasesUnstarted: claimed items that a poll cannot start in
// time — it is shutting down, or their lease would run short — are released
// for another replica at once, not left leased.
func TestPollOnceReleasesUnstarted(t *testing.T) {
	tests := []struct {
		name    string
		disrupt func(r *rig, cancel context.CancelFunc)
	}{
		{"shutting down", func(r *rig, cancel context.CancelFunc) { cancel() }},
		{"leases running short", func(r *rig, _ context.CancelFunc) { r.clk.Advance(r.cfg.Lease) }},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				const n = workers + 4
				var ps []state.Promotion
				for i := range n {
					id := fmt.Sprintf("ag%02d", i+2)
					r.plat.addAgent(id, "Agent "+id)
					p, err := r.eng.Promote(r.ctx, r.promoteReq(id))
					if err != nil {
						t.Fatal(err)
					}
					ps = append(ps, p)
				}
				r.clk.Advance(time.Second)
				ctx, cancel := context.WithCancel(r.ctx)
				defer cancel()
				var once sync.Once
				r.plat.onCall("Refresh", func() { once.Do(func() { tt.disrupt(r, cancel) }) })
				if _, err := r.eng.PollOnce(ctx); err != nil {
					t.Fatal(err)
				}
				released := 0
				for _, p := range ps {
					at, owner, ok, _ := r.store.Scheduled(r.ctx, state.PromotionItem(p.ID))
					switch {
					case !ok || owner != "":
						t.Errorf("%s: queued %v, leased to %q after the poll", p.ID, ok, owner)
					case !at.After(r.clk.Now()):
						released++
					}
				}
				if released < n-workers-1 {
					t.Errorf("%d items released for another replica, want at least %d", released, n-workers-1)
				}
				// Another replica takes them at once.
				r.plat.onCall("Refresh", nil)
				if got := r.pollWith(r.replica("replica-2")); got < released {
					t.Errorf("the other replica took %d items, want %d", got, released)
				}
			})
		}
	})
}
