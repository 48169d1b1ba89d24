package bot

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// published counts the versions the simulator really created by publishing.
func (h *harness) publishes(agentID string, before int) int {
	return len(h.live(agentID).Versions) - before
}

func (h *harness) activations() int {
	n := 0
	for _, c := range h.sim.Calls() {
		if c.Method == "PATCH" && c.Status == 200 && len(c.Path) > 9 && c.Path[len(c.Path)-9:] == "/activate" {
			n++
		}
	}
	return n
}

// Two replicas on one Redis race every step: one publish, one activation,
// one "is live".
func TestTwoReplicasRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.policy = workflow.Policy{Required: 2, TTL: time.Hour} })
		other := h.replica("replica-b")
		a := h.agent(demoAgent)
		before := len(a.Versions)
		_, ts := h.promote(h.bot, alice)
		v := buttonValue(t, h.approvalMessage(), render.ActionApprove)

		var wg sync.WaitGroup
		wg.Go(func() { h.bot.click(bob, ts, render.ActionApprove, v) })
		wg.Go(func() { other.click(carol, ts, render.ActionApprove, v) })
		wg.Go(func() { other.click(bob, ts, render.ActionApprove, v) }) // a double click on the other replica
		wg.Wait()
		for range 10 {
			h.clock.Advance(time.Second)
			var pw sync.WaitGroup
			for _, r := range []*replica{h.bot, other, h.bot, other} {
				pw.Go(func() { r.poll() })
			}
			pw.Wait()
		}
		if n := h.publishes(a.ID, before); n != 1 {
			t.Fatalf("%d versions published, want 1", n)
		}
		if n := h.activations(); n != 1 {
			t.Fatalf("%d activations, want 1", n)
		}
		h.assertLiveOnce(a.ID, 4)
	})
}

// A replica that stops at any point of the flow leaves nothing behind that
// another replica cannot finish — once.
func TestReplicaStoppedMidFlight(t *testing.T) {
	steps := []struct {
		name  string
		crash func(t *testing.T, h *harness, p state.Promotion)
	}{
		{"after approval, holding the lease", func(t *testing.T, h *harness, p state.Promotion) {
			claimAsCrashed(t, h, p)
		}},
		{"after moving to activating", func(t *testing.T, h *harness, p state.Promotion) {
			claimAsCrashed(t, h, p)
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Activating, state.Patch{}); err != nil {
				t.Fatal(err)
			}
		}},
		{"after activating on Atoms", func(t *testing.T, h *harness, p state.Promotion) {
			claimAsCrashed(t, h, p)
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Activating, state.Patch{}); err != nil {
				t.Fatal(err)
			}
			if err := h.sim.ActivateDirect(p.AgentID, p.VersionID, "api"); err != nil {
				t.Fatal(err)
			}
		}},
		{"after going live, before announcing", func(t *testing.T, h *harness, p state.Promotion) {
			claimAsCrashed(t, h, p)
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Activating, state.Patch{}); err != nil {
				t.Fatal(err)
			}
			if err := h.sim.ActivateDirect(p.AgentID, p.VersionID, "api"); err != nil {
				t.Fatal(err)
			}
			now := h.clock.Now()
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Activating, state.Live, state.Patch{ActivatedAt: &now}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				a, ts := h.promote(h.bot, alice)
				h.clock.Advance(7 * time.Second) // the check has passed by now
				p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := h.bot.store.Approve(t.Context(), p.ID, state.Approval{UserID: bob, VersionID: p.VersionID}); err != nil {
					t.Fatal(err)
				}
				step.crash(t, h, p)

				// Another replica takes over once the crashed one's lease lapses.
				other := h.replica("replica-b")
				other.poll()
				if got := h.state().CountText("is live"); got != 0 {
					t.Fatalf("took over a live lease")
				}
				h.advance(3*time.Minute, other)
				h.assertLiveOnce(a.ID, 4)
				// The crashed replica restarted with the same identity changes nothing.
				restarted := h.replica("crashed")
				h.advance(time.Minute, restarted, other)
				h.assertLiveOnce(a.ID, 4)
				if n := h.activations(); n > 2 {
					t.Errorf("%d activation calls", n)
				}
			})
		})
	}
}

// claimAsCrashed takes p's due item for a replica that then dies.
func claimAsCrashed(t *testing.T, h *harness, p state.Promotion) {
	t.Helper()
	for range 3 {
		claims, err := h.bot.store.Claim(t.Context(), "crashed", 100, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range claims {
			if c.Item == state.PromotionItem(p.ID) {
				return
			}
		}
		h.clock.Advance(time.Second)
	}
	t.Fatalf("could not claim %s", p.ID)
}

// A flaky Atoms (a quarter of calls answered 500 or 429, before or after
// taking effect) still yields one version, one activation, one announcement.
func TestFlakyAtoms(t *testing.T) {
	faults := []atomsim.Faults{
		{AfterEffectRate: 1, Methods: []string{"POST"}}, // every publish answered 500 after it happened
	}
	for seed := int64(1); seed <= 8; seed++ {
		faults = append(faults, atomsim.Faults{ErrorRate: 0.25, AfterEffectRate: 0.1, Seed: seed})
	}
	for _, f := range faults {
		t.Run("", func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				a := h.agent(demoAgent)
				before := len(a.Versions)
				h.sim.SetFaults(f)
				h.bot.command(alice, `promote support-concierge "Refund policy update" flaky`)
				var ts string
				for range 40 {
					if m, ok := h.findApproval(); ok {
						ts = m.TS
						break
					}
					h.advance(5 * time.Second)
				}
				if ts == "" {
					t.Fatalf("no approval request; messages:%s", h.dump())
				}
				h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove))
				for range 40 {
					h.advance(3 * time.Second)
				}
				if n := h.publishes(a.ID, before); n != 1 {
					t.Fatalf("%d versions published, want 1", n)
				}
				h.assertLiveOnce(a.ID, 4)
			})
		})
	}
}

func (h *harness) findApproval() (slackfake.Message, bool) {
	for _, m := range h.state().ChannelMessages(testChannel) {
		if m.ThreadTS == "" && strings.Contains(m.PostedText(), "Approval needed") {
			return m, true
		}
	}
	return slackfake.Message{}, false
}

// Persist before post: when Slack refuses the approval request, the
// promotion is safe in Redis and the poller posts the request later.
func TestApprovalRequestRetriedWhenSlackFails(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		h.slack.FailNext("chat.postMessage", 1, "internal_error")
		h.bot.command(alice, `promote support-concierge "Refund policy update"`)
		if _, ok := h.findApproval(); ok {
			t.Fatal("approval posted although Slack failed")
		}
		p := h.promotionOf(a.ID)
		if p.State != state.Published || p.MessageTS != "" {
			t.Fatalf("promotion = %s ts=%q, want published without a message", p.State, p.MessageTS)
		}
		h.advance(2 * time.Second)
		m, ok := h.findApproval()
		if !ok {
			t.Fatalf("approval request not retried:%s", h.dump())
		}
		h.bot.click(bob, m.TS, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		h.advance(7 * time.Second)
		h.assertLiveOnce(a.ID, 4)
		n := 0
		for _, msg := range h.state().ChannelMessages(testChannel) {
			if strings.Contains(msg.PostedText(), "Approval needed") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d approval requests posted, want 1", n)
		}
	})
}
