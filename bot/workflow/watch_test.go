package workflow

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

func (r *rig) watch(channel string) bool {
	r.t.Helper()
	added, err := r.eng.Watch(r.ctx, r.plat.agent(agentID), channel, carol)
	if err != nil {
		r.t.Fatalf("Watch %s: %v", channel, err)
	}
	return added
}

func (r *rig) seen() string {
	r.t.Helper()
	v, err := r.store.SeenVersion(r.ctx, agentID)
	if err != nil {
		r.t.Fatal(err)
	}
	return v
}

// externalNews lists the watch's posts about a change made outside
// atomsbot: announcements ("is live") and notes ("went live").
func (r *rig) externalNews() (announced, noted []slackCall) {
	for _, c := range r.slack.postsContaining("activated outside atomsbot") {
		if c.Thread != "" {
			continue
		}
		if c.Kind == kindAnnounce {
			announced = append(announced, c)
		} else {
			noted = append(noted, c)
		}
	}
	return announced, noted
}

func TestWatchSubscriptions(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		if !r.watch(watchers1) || r.watch(watchers1) || !r.watch(watchers2) {
			t.Fatal("Watch did not report new and repeated subscriptions")
		}
		if r.seen() != "ag1-v1" {
			t.Errorf("baseline %q, want the live ag1-v1", r.seen())
		}
		at, _, ok, _ := r.store.Scheduled(r.ctx, watchItem(agentID))
		if !ok || !at.Equal(r.clk.Now().Add(15*time.Second)) {
			t.Errorf("watch item due %s (queued %v), want in a WatchInterval", at, ok)
		}
		r.advance(15 * time.Second)
		r.advance(15 * time.Second)
		if n := len(r.slack.of("")); n != 0 {
			t.Errorf("%d Slack calls without a change", n)
		}
		for _, ch := range []string{watchers1, watchers2} {
			removed, err := r.eng.Unwatch(r.ctx, agentID, ch, carol)
			if err != nil || !removed {
				t.Fatalf("Unwatch %s = %v, %v", ch, removed, err)
			}
		}
		if removed, _ := r.eng.Unwatch(r.ctx, agentID, watchers1, carol); removed {
			t.Error("a second Unwatch removed something")
		}
		// The item ends at its next look, with no one watching.
		r.plat.activateElsewhere(agentID, r.plat.addVersion(agentID, platform.Check{Status: "passed"}).ID, "Dana")
		r.advance(15 * time.Second)
		if _, _, ok, _ := r.store.Scheduled(r.ctx, watchItem(agentID)); ok {
			t.Error("watch item still queued after the last Unwatch")
		}
		if n := len(r.slack.of("")); n != 0 {
			t.Errorf("%d Slack calls after the last Unwatch", n)
		}

		// Watching again starts from what is live now: no old news.
		r.watch(watchers1)
		if r.seen() != "ag1-v2" {
			t.Errorf("baseline after re-watching %q, want ag1-v2", r.seen())
		}
		r.advance(15 * time.Second)
		if a, n := r.externalNews(); len(a)+len(n) != 0 {
			t.Errorf("old news after re-watching: %v %v", texts(a), texts(n))
		}
	})
}

// TestWatchExternalChange: a change made outside atomsbot is announced once,
// with its diff, to the first watching channel that takes it, and noted in
// the others.
func TestWatchExternalChange(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *rig)
		looks   int    // watch looks after the change
		primary string // the channel that got "is live"
		noted   int    // other channels told
		diff    bool
	}{
		{name: "announced once with the diff", looks: 3, primary: watchers1, noted: 1, diff: true},
		{
			name:  "the first channel refuses the post",
			setup: func(r *rig) { r.slack.failNext(kindAnnounce, 1) },
			looks: 3, primary: watchers2, noted: 0, diff: true,
		},
		{
			name:  "no channel takes it: retried at the next look",
			setup: func(r *rig) { r.slack.failNext(kindAnnounce, 2) },
			looks: 3, primary: watchers1, noted: 1, diff: true,
		},
		{
			name:  "the diff cannot be read",
			setup: func(r *rig) { r.plat.fail("DiffVersions", 1, errUnavailable) },
			looks: 2, primary: watchers1, noted: 1,
		},
		{
			name:  "Atoms unavailable for a look",
			setup: func(r *rig) { r.plat.fail("Live", 1, errUnavailable) },
			looks: 3, primary: watchers1, noted: 1, diff: true,
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				r.watch(watchers1)
				r.clk.Advance(time.Second) // watchers2 subscribes later
				r.watch(watchers2)
				v3 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
				r.plat.activateElsewhere(agentID, v3.ID, "Dana")
				if tt.setup != nil {
					tt.setup(r)
				}
				for range tt.looks {
					r.advance(15 * time.Second)
				}
				announced, noted := r.externalNews()
				if len(announced) != 1 || announced[0].Channel != tt.primary {
					t.Fatalf("announcements %v, want one in %s", texts(announced), tt.primary)
				}
				a := announced[0].Text()
				for _, want := range []string{"Support Bot v2 “version 2” is live", "activated outside atomsbot by Dana"} {
					if !strings.Contains(a, want) {
						t.Errorf("announcement lacks %q:\n%s", want, a)
					}
				}
				if got := strings.Contains(a, "very helpful"); got != tt.diff {
					t.Errorf("announcement shows the diff: %v, want %v", got, tt.diff)
				}
				if len(noted) != tt.noted {
					t.Errorf("notes %v, want %d", texts(noted), tt.noted)
				}
				for _, n := range noted {
					if strings.Contains(n.Text(), "is live") || !strings.Contains(n.Text(), "went live") {
						t.Errorf("note to another channel %q", n.Text())
					}
				}
				if r.seen() != v3.ID {
					t.Errorf("seen %q, want %s", r.seen(), v3.ID)
				}
				if n := len(r.slack.of(kindAnnounce)); n != 1 {
					t.Errorf("%d announcements in all", n)
				}
			})
		}
	})
}

// TestWatchAgentGone: a watched agent that no longer exists is looked at
// rarely, not every WatchInterval.
func TestWatchAgentGone(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.watch(watchers1)
		r.plat.failAlways("Live", platform.Errorf(platform.ErrNotFound, "no such agent"))
		r.advance(15 * time.Second)
		at, _, ok, _ := r.store.Scheduled(r.ctx, watchItem(agentID))
		if want := r.clk.Now().Add(11 * 15 * time.Second); !ok || !at.Equal(want) {
			t.Errorf("next look at %s, want %s", at, want)
		}
	})
}

// TestWatchTwoReplicas: two replicas looking at the same change at once
// announce it once.
func TestWatchTwoReplicas(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		other := r.replica("replica-2")
		r.watch(watchers1)
		r.watch(watchers2)
		v3 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
		r.plat.activateElsewhere(agentID, v3.ID, "Dana")
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, e := range []*Engine{r.eng, other, r.eng, other} {
			wg.Go(func() {
				<-start
				_, _ = e.stepWatch(r.ctx, agentID)
			})
		}
		close(start)
		wg.Wait()
		for range 3 {
			r.clk.Advance(15 * time.Second)
			r.poll()
			r.pollWith(other)
		}
		announced, noted := r.externalNews()
		if len(announced) != 1 || len(noted) != 1 {
			t.Errorf("announcements %v, notes %v; want one each", texts(announced), texts(noted))
		}
	})
}

// watchLooksDuringActivation promotes and approves with the watch on, and
// has the watch look while Activate is in progress — after the platform
// acted and once during runs, before answering err — and leave the change
// to the promotion: due again a POLL_INTERVAL on, nothing reported.
func (r *rig) watchLooksDuringActivation(err error, during func()) state.Promotion {
	r.t.Helper()
	r.watch(watchers1)
	p := r.published()
	r.approve(p, bob)
	looked := false
	r.plat.queue("Activate", fakeOutcome{err: err, act: true, after: func() {
		if during != nil {
			during()
		}
		next, err := r.eng.stepWatch(r.ctx, agentID)
		looked = true
		if err != nil || !next.Equal(r.clk.Now().Add(r.cfg.PollInterval)) {
			r.t.Errorf("watch look during the activation: next %s, err %v; want a POLL_INTERVAL on", next, err)
		}
	}})
	r.advance(6 * time.Second)
	if !looked {
		r.t.Fatal("the watch never looked during the activation")
	}
	if a, n := r.externalNews(); len(a)+len(n) != 0 {
		r.t.Errorf("the watch reported a change made during the activation: %v %v", texts(a), texts(n))
	}
	return p
}

// TestWatchPromotionInFlight: the watch leaves an activation made by a
// promotion in flight to that promotion, which announces it once.
func TestWatchPromotionInFlight(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.watchLooksDuringActivation(nil, nil) // Atoms serves the new version
		r.wantState(p.ID, state.Live)
		for range 4 {
			r.advance(15 * time.Second)
		}
		r.wantAnnounced(1, "Support Bot v2")
		if a, n := r.externalNews(); len(a)+len(n) != 0 {
			t.Errorf("the watch reported the promotion's activation: %v %v", texts(a), texts(n))
		}
		if notes := r.slack.postsContaining("went live through atomsbot"); len(notes) != 1 || notes[0].Channel != watchers1 {
			t.Errorf("watcher notes %v, want one in %s", texts(notes), watchers1)
		}
	})
}

// TestWatchLeavesAnActivationInProgressAlone: while a promotion is
// activating, the live version may not be the one it names yet (a rollback
// on branches restores under a new id, and that can go live before the
// activation's answer is in). The watch leaves any change to the promotion
// then, instead of claiming the activation as made outside atomsbot.
func TestWatchLeavesAnActivationInProgressAlone(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.watchLooksDuringActivation(errUnavailable, func() {
			restored := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
			r.plat.activateElsewhere(agentID, restored.ID, "api")
		})
	})
}

// TestWatchLongDiff: a diff too long for one message continues in the
// announcement's thread, and one too long for the thread goes up as a file.
func TestWatchLongDiff(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.plat.diff = longDiff(400)
		r.watch(watchers1)
		v3 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
		r.plat.activateElsewhere(agentID, v3.ID, "Dana")
		r.advance(15 * time.Second)
		announced, _ := r.externalNews()
		if len(announced) != 1 {
			t.Fatalf("announcements %v", texts(announced))
		}
		replies := r.slack.thread(watchers1, announced[0].TS)
		uploads := r.slack.of(kindUpload)
		if len(replies) < maxDiffPages || len(uploads) != 1 || uploads[0].Thread != announced[0].TS || uploads[0].File != "Support Bot-diff.txt" {
			t.Fatalf("%d replies and uploads %v, want the diff's pages and one file in the thread", len(replies), uploads)
		}
		if !strings.Contains(uploads[0].Content, "field399") {
			t.Error("the uploaded diff is cut")
		}
	})
}

// TestWatchBaselineAtFirstLook: when what is live cannot be read at
// subscription, the first look sets the baseline instead of announcing it.
func TestWatchBaselineAtFirstLook(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.plat.fail("Live", 1, errUnavailable)
		agent := r.plat.agent(agentID)
		agent.LiveVersionID = "" // the command did not know either
		if _, err := r.eng.Watch(r.ctx, agent, watchers1, carol); err != nil {
			t.Fatal(err)
		}
		if r.seen() != "" {
			t.Fatalf("baseline %q without a read", r.seen())
		}
		r.advance(15 * time.Second)
		if r.seen() != "ag1-v1" {
			t.Errorf("baseline after the first look %q, want ag1-v1", r.seen())
		}
		r.advance(15 * time.Second)
		if n := len(r.slack.of("")); n != 0 {
			t.Errorf("%d Slack calls for the baseline", n)
		}
	})
}

// TestWatchRepeatedChange: a change back to a version that went live before
// (through atomsbot) is news again, whether or not Live says when.
func TestWatchRepeatedChange(t *testing.T) {
	for _, tc := range []struct {
		name          string
		noActivatedAt bool
	}{
		{"Live says when", false},
		{"Live does not say when", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			statetest.Each(t, func(t *testing.T, b statetest.Backend) {
				r := newRig(t, b)
				r.plat.noActivatedAt = tc.noActivatedAt
				r.watch(watchers1)
				r.live(r.published()) // v1 → v2 through atomsbot
				for i, to := range []string{"ag1-v1", "ag1-v2"} {
					r.clk.Advance(time.Hour)
					r.plat.activateElsewhere(agentID, to, "Dana")
					r.advance(15 * time.Second)
					r.advance(15 * time.Second)
					if announced, _ := r.externalNews(); len(announced) != i+1 {
						t.Fatalf("after the change to %s: %d watch announcements, want %d: %v", to, len(announced), i+1, texts(announced))
					}
				}
			})
		})
	}
}
