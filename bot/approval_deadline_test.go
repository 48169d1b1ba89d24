package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// The approval TTL races the poller: an approval that arrives in time must
// not be thrown away because the poller looked a moment after the deadline,
// and one that arrives after the deadline must not be answered "Activating
// now" and then expire.
func TestApprovalAtTheDeadline(t *testing.T) {
	const ttl = time.Hour
	cases := []struct {
		name      string
		clickAt   time.Duration // after the promotion was requested
		pollAt    time.Duration // the poller's next look (it lags behind the poke)
		wantState state.PromotionState
		wantTold  string // the approver's ephemeral answer
	}{
		{"approved a second before, polled a second after", ttl - time.Second, ttl + time.Second, state.Live, "Activating now"},
		{"approved a second after, before the poller expired it", ttl + time.Second, ttl + 2*time.Second, state.Expired, "expired"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, func(c *harnessConfig) { c.policy.TTL = ttl })
				start := h.clock.Now()
				a, ts := h.promote(h.bot, alice)
				// The poller runs normally until a little before the click.
				for h.clock.Now().Add(2 * time.Minute).Before(start.Add(tc.clickAt)) {
					h.advance(time.Minute)
				}
				h.clock.Set(start.Add(tc.clickAt))
				h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove))
				if got := h.lastEphemeral(bob); !strings.Contains(got, tc.wantTold) {
					t.Errorf("approver was told %q, want it to say %q", got, tc.wantTold)
				}
				h.clock.Set(start.Add(tc.pollAt))
				h.bot.poll()
				p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
				if err != nil {
					t.Fatal(err)
				}
				if p.State != tc.wantState {
					t.Fatalf("promotion is %s (%s), want %s:%s", p.State, p.Reason, tc.wantState, h.dump())
				}
				if tc.wantState == state.Live {
					h.assertLiveOnce(a.ID, 4)
				} else if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
					t.Fatalf("an expired promotion was activated")
				}
			})
		})
	}
}

// An approved promotion whose check is still running at the deadline waits
// for the check at the check's pace: it is neither expired nor made due on
// every poll.
func TestApprovedPromotionWaitsPastTheDeadline(t *testing.T) {
	const ttl = 5 * time.Minute // shorter than the check timeout (10m)
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.policy.TTL = ttl })
		start := h.clock.Now()
		a, ts := h.promote(h.bot, alice)
		id := h.promotionIDFromButton(ts)
		p, err := h.bot.store.Promotion(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		// The check is still running when the approval arrives, a second
		// before the deadline.
		if err := h.sim.SetCheck(p.VersionID, "pending", ""); err != nil {
			t.Fatal(err)
		}
		h.clock.Set(start.Add(ttl - time.Second))
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove))
		h.clock.Set(start.Add(ttl + time.Second))
		h.bot.poll()
		if p, _ = h.bot.store.Promotion(t.Context(), id); p.State != state.Published {
			t.Fatalf("approved promotion is %s (%s) at the deadline, want still published", p.State, p.Reason)
		}
		at, _, ok, err := h.bot.store.Scheduled(t.Context(), state.PromotionItem(id))
		if err != nil || !ok {
			t.Fatalf("promotion not queued (%v)", err)
		}
		if !at.After(h.clock.Now()) {
			t.Fatalf("promotion due again at %s, not after now (%s): it would be polled on every tick", at, h.clock.Now())
		}
		if err := h.sim.SetCheck(p.VersionID, "passed", ""); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Minute)
		h.assertLiveOnce(a.ID, 4)
	})
}
