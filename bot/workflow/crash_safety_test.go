package workflow

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// crash ends the calling goroutine (a poller worker) as a process crash
// would end the step: nothing after this point runs, and the item's lease is
// left to lapse. Deferred calls still run (the short guards are released,
// where a real crash leaves them to their TTL).
func crash() { runtime.Goexit() }

// TestCrashAfterThePlatformActed: a replica dies right after a call that
// changed Atoms, before recording it; another replica takes the promotion
// over when the lease lapses and finishes it with one effect and one
// announcement.
func TestCrashAfterThePlatformActed(t *testing.T) {
	tests := []struct {
		name string
		// requested: the promotion's first publish is unclear, so the
		// poller publishes it (a crash in Promote would be the caller's).
		requested bool
		// crashIn scripts the crash; it returns what the crashed step left.
		crashIn func(r *rig, p state.Promotion) state.PromotionState
		// guard is a short lock the crashed step would have left held.
		guard func(p state.Promotion) string
		// check says what else must hold once another replica finished.
		check func(t *testing.T, r *rig)
	}{
		{
			name: "Activate made the version live",
			crashIn: func(r *rig, p state.Promotion) state.PromotionState {
				r.plat.queue("Activate", fakeOutcome{act: true, after: crash})
				r.approve(p, bob)
				r.advance(6 * time.Second)
				return state.Activating
			},
		},
		{
			name:      "a retried Publish created the version",
			requested: true,
			crashIn: func(r *rig, p state.Promotion) state.PromotionState {
				r.plat.queue("Publish", fakeOutcome{act: true, after: crash})
				r.advance(ambiguousRetry)
				return state.Requested
			},
			guard: func(p state.Promotion) string { return "publishing:" + p.ID },
		},
		{
			name: "the promotion was recorded live, not yet announced",
			crashIn: func(r *rig, p state.Promotion) state.PromotionState {
				r.slack.on(kindAnnounce, func(slackCall) {
					r.slack.on(kindAnnounce, nil)
					crash()
				})
				r.approve(p, bob)
				r.advance(6 * time.Second)
				return state.Live
			},
			guard: func(p state.Promotion) string { return newsGuard(p.ID) },
		},
		{
			name: "announced, the watching channel not told yet",
			crashIn: func(r *rig, p state.Promotion) state.PromotionState {
				r.watch(watchers1)
				r.slack.on(kindPost, func(c slackCall) {
					if c.Channel == watchers1 {
						r.slack.on(kindPost, nil)
						crash()
					}
				})
				r.approve(p, bob)
				r.advance(6 * time.Second)
				return state.Live
			},
			guard: func(p state.Promotion) string { return newsGuard(p.ID) },
			check: func(t *testing.T, r *rig) {
				if notes := r.slack.postsContaining("went live through atomsbot"); len(notes) != 1 || notes[0].Channel != watchers1 {
					t.Errorf("watcher notes %v, want one in %s", texts(notes), watchers1)
				}
			},
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				other := r.replica("replica-2")
				var p state.Promotion
				if tt.requested {
					r.plat.fail("Publish", 1, errUnclear) // requested, retried by the poller
					p = r.promote()
				} else {
					p = r.published()
				}
				left := tt.crashIn(r, p)
				r.wantState(p.ID, left)
				if _, owner, _, _ := r.store.Scheduled(r.ctx, state.PromotionItem(p.ID)); owner != r.cfg.Owner {
					t.Fatalf("after the crash the item is leased to %q, want the crashed %q", owner, r.cfg.Owner)
				}
				// The lease has not lapsed: the other replica leaves it alone.
				r.pollWith(other)
				r.wantState(p.ID, left)
				if tt.guard != nil {
					// As a real crash would, leave the guard held for a while.
					name := tt.guard(p)
					if ok, _, err := r.store.AcquireLock(r.ctx, name, "replica-1/crashed", time.Hour); err != nil || !ok {
						t.Fatalf("hold %s: %v %v", name, ok, err)
					}
					r.clk.Advance(r.cfg.Lease)
					r.pollWith(other)
					r.wantState(p.ID, left)
					if _, err := r.store.ReleaseLock(r.ctx, name, "replica-1/crashed"); err != nil {
						t.Fatal(err)
					}
				}
				for range 3 {
					r.clk.Advance(r.cfg.Lease)
					r.pollWith(other)
				}
				if left == state.Requested {
					r.approve(r.wantState(p.ID, state.Published), bob)
					for range 8 {
						r.clk.Advance(time.Second)
						r.pollWith(other)
					}
				}
				r.wantState(p.ID, state.Live)
				retries, publishes, acts, _, _ := r.plat.snapshot()
				wantCount(t, "publish effects", publishes, 1)
				if !slices.Equal(acts, []string{"ag1-v2"}) {
					t.Errorf("activations %v, want one of ag1-v2", acts)
				}
				if slices.Contains(retries[1:], false) {
					t.Errorf("publish retries %v: a repeat after the crash was not marked a retry", retries)
				}
				r.wantAnnounced(1, "Support Bot v2")
				if tt.check != nil {
					tt.check(t, r)
				}
				r.pollWith(other)
				r.wantSettled(p)
			})
		}
	})
}

// TestStepRunTwice: a step run again on what an earlier run read (a second
// replica, or the front door and the poller at once) finds the work done
// and does not repeat it.
func TestStepRunTwice(t *testing.T) {
	tests := []struct {
		name string
		run  func(r *rig, stale state.Promotion)
		// method is the platform call that must not repeat; kind the Slack
		// call that must not repeat.
		method, kind string
	}{
		{"publish", func(r *rig, stale state.Promotion) {
			np, err := r.eng.publish(r.ctx, stale, false)
			if err != nil || np.State != state.Published {
				r.t.Errorf("publish again = %s, %v; want the stored published promotion", np.State, err)
			}
		}, "Publish", ""},
		{"approval request", func(r *rig, stale state.Promotion) {
			stale.State, stale.MessageTS = state.Published, ""
			np, err := r.eng.postApproval(r.ctx, stale, nil)
			if err != nil || np.MessageTS == "" {
				r.t.Errorf("post approval again = %q, %v; want the stored ts", np.MessageTS, err)
			}
		}, "", kindPost},
		{"end notes", func(r *rig, stale state.Promotion) {
			if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
				r.t.Fatal(err)
			}
			ended := r.get(stale.ID)
			ended.Announced = false
			if _, err := r.eng.closeOut(r.ctx, ended); err != nil {
				r.t.Errorf("close out again: %v", err)
			}
		}, "", kindPost},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				r.plat.fail("Publish", 1, errUnclear)
				stale := r.promote() // requested, as the first run read it
				r.advance(ambiguousRetry)
				r.wantState(stale.ID, state.Published)
				calls := r.plat.count(tt.method)
				posts := len(r.slack.of(tt.kind))
				if tt.name == "end notes" {
					posts++ // the one end note
				}
				tt.run(r, stale)
				if tt.method != "" {
					wantCount(t, tt.method+" calls", r.plat.count(tt.method), calls)
				}
				if tt.kind != "" {
					wantCount(t, tt.kind+" calls", len(r.slack.of(tt.kind)), posts)
				}
			})
		}
	})
}
