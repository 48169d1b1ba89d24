package workflow

import (
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestAnnounceOnceAcrossReplicas: however the replicas share the work, one
// activation is announced exactly once, and a failed announcement is posted
// later by whichever replica looks next.
func TestAnnounceOnceAcrossReplicas(t *testing.T) {
	tests := []struct {
		name string
		run  func(r *rig, p state.Promotion, other *Engine)
	}{
		{
			name: "the first announce post fails; another replica posts it",
			run: func(r *rig, p state.Promotion, other *Engine) {
				r.slack.failNext(kindAnnounce, 1)
				r.advance(6 * time.Second)
				np := r.wantState(p.ID, state.Live)
				if np.Announced || len(r.slack.refused(kindAnnounce)) != 1 {
					r.t.Fatalf("announced %v after %d refused posts, want a refused post and no record", np.Announced, len(r.slack.refused(kindAnnounce)))
				}
				if got, want := r.due(p), r.clk.Now().Add(5*time.Second); !got.Equal(want) {
					r.t.Errorf("announcement retried at %s, want %s", got, want)
				}
				r.clk.Advance(5 * time.Second)
				r.pollWith(other)
				r.poll()
			},
		},
		{
			name: "two replicas finish the same live promotion at once",
			run: func(r *rig, p state.Promotion, other *Engine) {
				r.slack.failNext(kindAnnounce, 1)
				r.advance(6 * time.Second)
				live := r.wantState(p.ID, state.Live)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for _, e := range []*Engine{r.eng, other} {
					wg.Go(func() {
						<-start
						_, _ = e.finish(r.ctx, live)
					})
				}
				close(start)
				wg.Wait()
				r.clk.Advance(5 * time.Second)
				r.poll()
			},
		},
		{
			name: "two replicas poll at once",
			run: func(r *rig, p state.Promotion, other *Engine) {
				r.clk.Advance(6 * time.Second)
				var wg sync.WaitGroup
				start := make(chan struct{})
				for _, e := range []*Engine{r.eng, other} {
					wg.Go(func() {
						<-start
						_, _ = e.PollOnce(r.ctx)
					})
				}
				close(start)
				wg.Wait()
			},
		},
		{
			name: "the news guard is held elsewhere for a while",
			run: func(r *rig, p state.Promotion, other *Engine) {
				if ok, _, err := r.store.AcquireLock(r.ctx, newsGuard(p.ID), "replica-9/dead", time.Hour); err != nil || !ok {
					r.t.Fatalf("take the news guard: %v %v", ok, err)
				}
				r.advance(6 * time.Second)
				r.wantState(p.ID, state.Live)
				if n := len(r.slack.of(kindAnnounce)); n != 0 {
					r.t.Fatalf("%d announcements under another replica's guard", n)
				}
				r.advance(5 * time.Second)
				if _, err := r.store.ReleaseLock(r.ctx, newsGuard(p.ID), "replica-9/dead"); err != nil {
					r.t.Fatal(err)
				}
				r.clk.Advance(5 * time.Second)
				r.pollWith(other)
			},
		},
		{
			name: "the same activation step run twice (a replica whose lease lapsed)",
			run: func(r *rig, p state.Promotion, other *Engine) {
				r.clk.Advance(6 * time.Second)
				ready := r.get(p.ID)
				ready.CheckStatus = "passed"
				var wg sync.WaitGroup
				start := make(chan struct{})
				for _, e := range []*Engine{r.eng, other} {
					wg.Go(func() {
						<-start
						_, _ = e.activate(r.ctx, ready)
					})
				}
				close(start)
				wg.Wait()
				r.clk.Advance(5 * time.Second)
				r.poll()
			},
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				other := r.replica("replica-2")
				p := r.published()
				r.approve(p, bob)
				tt.run(r, p, other)
				np := r.wantState(p.ID, state.Live)
				if !np.Announced {
					t.Error("announcement not recorded")
				}
				r.wantAnnounced(1, "Support Bot v2")
				_, _, acts, _, _ := r.plat.snapshot()
				wantCount(t, "activations", len(acts), 1)
				r.clk.Advance(time.Minute)
				r.poll()
				r.pollWith(other)
				r.wantAnnounced(1, "Support Bot v2")
				r.wantSettled(p)
			})
		}
	})
}

// TestAnnounceTellsWatchers: channels watching the agent (other than the
// promotion's) hear of the activation in other words than "is live", and the
// watch does not report it again.
func TestAnnounceTellsWatchers(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		for _, ch := range []string{deploys, watchers1} {
			if _, err := r.eng.Watch(r.ctx, r.plat.agent(agentID), ch, carol); err != nil {
				t.Fatal(err)
			}
		}
		r.live(r.published())
		r.wantAnnounced(1, "Support Bot v2")
		notes := r.slack.postsContaining("went live through atomsbot")
		if len(notes) != 1 || notes[0].Channel != watchers1 || notes[0].Msg.Text != ":rocket: Support Bot v2 went live through atomsbot (requested by <@UREQ> in <#CDEPLOYS>)." {
			t.Fatalf("watcher notes %v, want one in %s", texts(notes), watchers1)
		}
		if seen, _ := r.store.SeenVersion(r.ctx, agentID); seen != "ag1-v2" {
			t.Errorf("seen version %q, want ag1-v2", seen)
		}
		for range 4 {
			r.advance(r.cfg.WatchInterval)
		}
		r.wantAnnounced(1, "Support Bot v2")
		if n := len(r.slack.postsContaining("outside atomsbot")); n != 0 {
			t.Errorf("the watch reported atomsbot's own activation %d times", n)
		}
	})
}

// TestAnnounceWatcherNoteRefused: a watching channel's note that Slack
// refuses is retried, and posted once; the promotion's own announcement is
// not repeated. A channel that keeps refusing is given up on after a while,
// and the promotion settles.
func TestAnnounceWatcherNoteRefused(t *testing.T) {
	tests := []struct {
		name   string
		always bool
	}{
		{"refused once", false},
		{"refused every time", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statetest.Each(t, func(t *testing.T, b statetest.Backend) {
				r := newRig(t, b)
				r.watch(watchers1)
				armed := false
				r.slack.on(kindPost, func(c slackCall) {
					if c.Channel == watchers1 && (tt.always || !armed) {
						armed = true
						r.slack.failNext(kindPost, 1)
					}
				})
				p := r.live(r.published())
				if p.Announced {
					t.Error("announcement recorded before the watching channel was told")
				}
				wait := r.cfg.PollInterval
				if tt.always {
					wait = finalLookPatience
				}
				for end := r.clk.Now().Add(wait); !r.clk.Now().After(end); {
					r.advance(5 * r.cfg.PollInterval)
				}
				r.ticks(2)
				if !r.get(p.ID).Announced {
					t.Error("announcement not recorded")
				}
				r.wantAnnounced(1, "Support Bot v2")
				notes := r.slack.postsContaining("went live through atomsbot")
				if want := map[bool]int{false: 1, true: 0}[tt.always]; len(notes) != want {
					t.Errorf("%d watcher notes, want %d", len(notes), want)
				}
				r.wantSettled(p)
			})
		})
	}
}
