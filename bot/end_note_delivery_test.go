package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// When a promotion ends (here: its security check failed) the thread says so
// and the approval message loses its buttons. If Slack refuses those posts at
// that moment, they are made later — once — instead of being dropped, which
// left the requester never told and the buttons on a dead promotion.
func TestEndNoteSurvivesSlackFailure(t *testing.T) {
	cases := []struct {
		name   string
		method string
	}{
		{"thread note refused", "chat.postMessage"},
		{"message update refused", "chat.update"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				other := h.replica("replica-b")
				a := h.agent(demoAgent)
				if err := h.sim.FailNextCheck(a.ID, "failed", "prompt asks for card numbers"); err != nil {
					t.Fatal(err)
				}
				_, ts := h.promote(h.bot, alice)
				h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
				h.slack.FailNext(tc.method, 1, "internal_error")
				h.advance(7*time.Second, h.bot, other)
				for range 3 {
					h.advance(5*time.Second, h.bot, other)
				}
				notes := 0
				for _, m := range h.state().Thread(testChannel, ts) {
					if m.TS != ts && strings.Contains(m.Text, "failed") {
						notes++
					}
				}
				if notes != 1 {
					t.Errorf("%d 'failed' notes in the thread, want 1:%s", notes, h.dump())
				}
				final, _ := h.state().Find(testChannel, ts)
				if strings.Contains(string(final.Blocks), render.ActionApprove) || !strings.Contains(final.Text+string(final.Blocks), "failed") {
					t.Errorf("approval message does not show the failure: %s %s", final.Text, final.Blocks)
				}
			})
		})
	}
}

// A replica that dies right after ending a promotion (the state is written,
// nothing posted yet) leaves the notes to whoever takes the item over.
func TestEndNoteAfterCrash(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, ts := h.promote(h.bot, alice)
		p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if err != nil {
			t.Fatal(err)
		}
		claimAsCrashed(t, h, p)
		reason, by := "", bob
		if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Rejected, state.Patch{Reason: &reason, EndedBy: &by}); err != nil {
			t.Fatal(err)
		}
		other := h.replica("replica-b")
		h.advance(3*time.Minute, other)
		h.advance(time.Minute, other, h.bot)
		notes := 0
		for _, m := range h.state().Thread(testChannel, ts) {
			if m.TS != ts && strings.Contains(m.Text, "rejected by <@"+bob+">") {
				notes++
			}
		}
		if notes != 1 {
			t.Errorf("%d 'rejected' notes in the thread, want 1:%s", notes, h.dump())
		}
		final, _ := h.state().Find(testChannel, ts)
		if strings.Contains(string(final.Blocks), render.ActionApprove) {
			t.Errorf("buttons still offered on a rejected promotion: %s", final.Blocks)
		}
	})
}
