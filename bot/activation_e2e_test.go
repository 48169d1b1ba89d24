package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// A security check that never settles ends the promotion after
// SECURITY_CHECK_TIMEOUT (10m in the harness), with the reason in the thread.
func TestSecurityCheckTimeout(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.sim.SetCheck(p.VersionID, "queued", ""); err != nil {
			t.Fatal(err)
		}
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		for range 9 {
			h.advance(time.Minute)
		}
		if got, _ := h.bot.store.Promotion(t.Context(), p.ID); got.State != state.Published {
			t.Fatalf("gave up before the timeout: %s", got.State)
		}
		for range 4 {
			h.advance(30 * time.Second)
		}
		got, _ := h.bot.store.Promotion(t.Context(), p.ID)
		if got.State != state.Failed || !strings.Contains(got.Reason, "did not finish within 10m") {
			t.Fatalf("after the timeout: %s (%q), want failed", got.State, got.Reason)
		}
		if !threadSays(h, ts, "failed") {
			t.Errorf("no 'failed' note in the thread:%s", h.dump())
		}
		if h.live(a.ID).ActiveVersionID != a.ActiveVersionID {
			t.Fatal("a version whose check never passed was activated")
		}
	})
}

// Atoms refusing the activation as "security check pending" is "not yet":
// the promotion goes back to waiting and goes live once the check passes.
func TestActivationPendingIsNotYet(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := h.bot.store.Approve(t.Context(), p.ID, state.Approval{UserID: bob, VersionID: p.VersionID}); err != nil {
			t.Fatal(err)
		}
		// Ready as far as atomsbot knows, but Atoms still says pending.
		if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Activating, state.Patch{}); err != nil {
			t.Fatal(err)
		}
		if err := h.sim.SetCheck(p.VersionID, "pending", ""); err != nil {
			t.Fatal(err)
		}
		h.advance(2 * time.Second)
		if got, _ := h.bot.store.Promotion(t.Context(), p.ID); got.State != state.Published {
			t.Fatalf("after a pending refusal: %s, want back to published", got.State)
		}
		if err := h.sim.SetCheck(p.VersionID, "passed", ""); err != nil {
			t.Fatal(err)
		}
		h.advance(2 * time.Second)
		h.assertLiveOnce(a.ID, 4)
	})
}

// Someone activates another version in the dashboard while atomsbot's
// activation is on its way back: the verification on GET /agent sees it, and
// the approved version is activated again and announced once.
func TestActivationRacedByDashboard(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		h.clock.Advance(7 * time.Second)
		answers := newGate(pathHas("PATCH", "/activate"))
		answers.after = true
		r := h.replicaVia("replica-gated", answers.serve(t, h.sim), h.slackURL, 0)
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		job := r.pollAsync(answers)
		answers.wait(t, 1) // activated on Atoms; the answer is held
		if err := h.sim.ActivateDirect(a.ID, a.Versions[0].ID, "dana@acme.test"); err != nil {
			t.Fatal(err)
		}
		answers.open()
		job.wait(t)
		if got, _ := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts)); got.State != state.Activating {
			t.Fatalf("after a failed verification: %s, want still activating", got.State)
		}
		h.advance(2*time.Second, r)
		h.assertLiveOnce(a.ID, 4)
	})
}
