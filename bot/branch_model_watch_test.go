package bot

import (
	"strings"
	"testing"
	"time"
)

// livePosts are the texts and blocks of the posts that say "is live".
func (h *harness) livePosts() []string {
	var out []string
	for _, m := range h.state().ChannelMessages(testChannel) {
		if strings.Contains(m.PostedText(), "is live") {
			out = append(out, m.PostedText()+decodedJSON(h.t, m.Blocks))
		}
	}
	return out
}

// What the dashboard makes live — a publish on the live branch, a make-live
// of another branch, a make-live back — is announced in the watching
// channel once each, with who and the diff.
func TestBranchModelWatchAnnouncesDashboardChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		main, feature := h.liveBranch(a.ID), h.branch(a.ID, "Refund policy update")
		h.bot.command(alice, "watch support-concierge")
		if got := h.state().ChannelMessages(testChannel); len(got) == 0 || !strings.Contains(got[len(got)-1].Text, "will be told") {
			t.Fatalf("no watch confirmation in the channel:%s", h.dump())
		}
		h.advance(time.Minute)
		if n := len(h.livePosts()); n != 0 {
			t.Fatalf("announced without a change:%s", h.dump())
		}
		steps := []struct {
			name string
			act  func() error
			want []string
		}{
			{"dashboard publish on the live branch", func() error {
				_, err := h.sim.DashboardPublish(a.ID, main.ID, map[string]any{"firstMessage": "Hello from the dashboard"}, "dana@acme.test")
				return err
			}, []string{"v4", "dana@acme.test", "outside atomsbot", "firstMessage", "Hello from the dashboard"}},
			{"dashboard publish on another branch (not live: nothing to say)", func() error {
				_, err := h.sim.DashboardPublish(a.ID, feature.ID, nil, "erin@acme.test")
				return err
			}, nil},
			{"dashboard make-live of that branch", func() error {
				return h.sim.DashboardMakeLive(a.ID, feature.ID, "erin@acme.test")
			}, []string{"erin@acme.test", "outside atomsbot", "Refunds: items can be returned"}},
			{"dashboard make-live of Main again", func() error {
				return h.sim.DashboardMakeLive(a.ID, main.ID, "dana@acme.test")
			}, []string{"v4", "dana@acme.test", "outside atomsbot"}},
		}
		want := 0
		for _, st := range steps {
			if err := st.act(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if st.want != nil {
				want++
			}
			for range 3 {
				h.advance(20 * time.Second)
			}
			posts := h.livePosts()
			if len(posts) != want {
				t.Fatalf("after %s: %d 'is live' posts, want %d:%s", st.name, len(posts), want, h.dump())
			}
			if st.want == nil {
				continue
			}
			for _, w := range st.want {
				if !strings.Contains(posts[want-1], w) {
					t.Errorf("%s: announcement lacks %q: %s", st.name, w, posts[want-1])
				}
			}
		}
		// The make-live of another branch must say which branch went live:
		// "v1" alone reads as Main's v1, a month-old revision (a rollback),
		// while the promotion path calls the same revision "Refund policy
		// update/v1".
		if posts := h.livePosts(); !strings.Contains(strings.SplitN(posts[1], "[", 2)[0], "Refund policy update") {
			t.Errorf("the make-live of branch “Refund policy update” was announced without its branch: %.120q", posts[1])
		}
		if n := h.sim.CountCalls("POST", ""); n != 0 {
			t.Errorf("watching wrote to Atoms")
		}
		h.bot.command(alice, "unwatch support-concierge")
		if err := h.sim.DashboardMakeLive(a.ID, feature.ID, "dana@acme.test"); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Minute)
		if n := len(h.livePosts()); n != want {
			t.Fatalf("announced after unwatch")
		}
		h.checkAllSent(t)
	})
}

// A promotion in a watched channel is announced once by the promotion, not
// a second time by the watch; another watching channel gets a note.
func TestBranchModelWatchDoesNotRepeatOwnPromotion(t *testing.T) {
	for _, branch := range []string{"Refund policy update", "Main"} {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				other := h.replica("replica-b")
				a := h.agent(demoAgent)
				h.bot.command(alice, "watch support-concierge")
				h.bot.commandIn("CWATCHERS", carol, "watch support-concierge")
				ts := h.bmPromote(h.bot, branch)
				h.approve(bob, ts)
				for range 6 {
					h.advance(10*time.Second, h.bot, other)
				}
				if live := h.liveBranch(a.ID); live.Name == "Main" {
					t.Fatalf("not live:%s", h.dump())
				}
				if n := h.state().CountText("is live"); n != 1 {
					t.Fatalf("%d 'is live' posts:%s", n, h.dump())
				}
				var told int
				for _, m := range h.state().ChannelMessages("CWATCHERS") {
					if strings.Contains(m.Text, "went live through atomsbot") {
						told++
					}
				}
				if told != 1 {
					t.Errorf("the other watching channel was told %d times:%s", told, h.dump())
				}
			})
		})
	}
}
