package bot

import (
	"testing"
	"time"
)

// A Slack failure when a watch announces an activation made elsewhere must
// not lose the announcement: the claim on the activation and the "seen"
// version were recorded before the post, so nothing ever retried it.
func TestWatchAnnouncementSurvivesSlackFailure(t *testing.T) {
	cases := []struct {
		name  string
		fails int // chat.postMessage calls refused in a row
	}{
		{"one refusal", 1},
		{"refused for a while", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				other := h.replica("replica-b")
				a := h.agent(demoAgent)
				h.bot.command(alice, "watch support-concierge")
				if err := h.sim.ActivateDirect(a.ID, a.Versions[1].ID, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
				h.slack.FailNext("chat.postMessage", tc.fails, "internal_error")
				for range tc.fails {
					h.advance(20*time.Second, h.bot, other)
				}
				for range 4 {
					h.advance(20*time.Second, h.bot, other)
				}
				if n := h.state().CountText("is live"); n != 1 {
					t.Fatalf("%d 'is live' posts after Slack refused %d post(s), want 1:%s", n, tc.fails, h.dump())
				}
			})
		})
	}
}

// Two replicas that both believe they hold a watched agent's item (one's
// clock is ahead by more than the lease) announce an activation made
// elsewhere once: the claim on the activation is held by "the watch", the
// same owner in every replica, so it alone does not keep them apart.
func TestSkewedWatchAnnouncesOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		h.bot.command(alice, "watch support-concierge")
		if err := h.sim.ActivateDirect(a.ID, a.Versions[1].ID, "dana@acme.test"); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(20 * time.Second) // the watch is due

		live := newGate(isLivePost)
		live.autoOpen = 2
		slackURL := live.serve(t, h.slack)
		first := h.replicaVia("replica-a2", h.simURL, slackURL, 0)
		ahead := h.replicaVia("replica-ahead", h.simURL, slackURL, 3*time.Minute)

		pollFirst := first.pollAsync(live)
		live.wait(t, 1)
		ahead.pollAsync(live).wait(t)
		live.open()
		pollFirst.wait(t)
		for range 3 {
			h.advance(20*time.Second, first, ahead)
		}
		if n := h.state().CountText("is live"); n != 1 {
			t.Fatalf("%d 'is live' posts for one external activation:%s", n, h.dump())
		}
	})
}
