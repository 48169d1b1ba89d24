package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

const demoAgent = "support-concierge"

// promote runs `/atoms promote` for the seeded agent's open draft and returns
// the approval message.
func (h *harness) promote(r *replica, user string) (atomsim.AgentInfo, string) {
	h.t.Helper()
	a := h.agent(demoAgent)
	rec := r.command(user, `promote support-concierge "Refund policy update" refund wording`)
	if rec.Code != 200 {
		h.t.Fatalf("promote: %d %s", rec.Code, rec.Body)
	}
	return a, h.approvalMessage().TS
}

func (h *harness) assertLiveOnce(agentID string, wantVersion int) {
	h.t.Helper()
	got := h.live(agentID)
	var active atomsim.VersionInfo
	for _, v := range got.Versions {
		if v.ID == got.ActiveVersionID {
			active = v
		}
	}
	if active.Number != wantVersion {
		h.t.Fatalf("active version = v%d, want v%d", active.Number, wantVersion)
	}
	if n := h.state().CountText("is live"); n != 1 {
		h.t.Fatalf("%d posts say 'is live', want exactly 1:%s", n, h.dump())
	}
}

func TestPromoteApproveThenCheckPasses(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		msg := h.approvalMessage()
		for _, want := range []string{"Approve", "Reject", "Refund", "v4"} {
			if !strings.Contains(string(msg.Blocks), want) {
				t.Errorf("approval message lacks %q: %s", want, msg.Blocks)
			}
		}
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("activated before approval: %s", got)
		}
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, msg, render.ActionApprove))
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("activated before the security check passed")
		}
		h.advance(2 * time.Second)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("activated before the security check passed (2s)")
		}
		h.advance(5 * time.Second) // the check takes 6 s
		h.assertLiveOnce(a.ID, 4)
		final, _ := h.state().Find(testChannel, ts)
		if strings.Contains(string(final.Blocks), "atoms_approve") {
			t.Errorf("buttons still shown after live: %s", final.Blocks)
		}
		h.advance(time.Minute)
		h.assertLiveOnce(a.ID, 4)
	})
}

func TestCheckPassesBeforeApproval(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		h.advance(7 * time.Second)
		h.advance(7 * time.Second)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("activated without approval")
		}
		msg := h.approvalMessage()
		if cur, _ := h.state().Find(testChannel, ts); !strings.Contains(string(cur.Blocks), "passed") {
			t.Errorf("approval message does not show the passed check: %s", cur.Blocks)
		}
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, msg, render.ActionApprove))
		// The approval pokes the promotion: due now, no slow poll needed.
		h.bot.poll()
		h.assertLiveOnce(a.ID, 4)
	})
}

func TestSelfApprovalRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		h.advance(7 * time.Second)
		h.bot.click(alice, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		if got := h.lastEphemeral(alice); !strings.Contains(got, "self-approval") {
			t.Errorf("self-approval answer = %q", got)
		}
		h.advance(time.Minute)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("self-approval activated the version")
		}
		p := h.promotionOf(a.ID)
		if approvals, _ := h.bot.store.Approvals(t.Context(), p.ID); len(approvals) != 0 {
			t.Fatalf("self-approval recorded: %+v", approvals)
		}
	})
}

// promotionOf returns the promotion holding the agent's lock.
func (h *harness) promotionOf(agentID string) state.Promotion {
	h.t.Helper()
	id, err := h.bot.store.LockHolder(h.t.Context(), state.AgentLock(agentID))
	if err != nil || id == "" {
		h.t.Fatalf("no promotion in flight for %s (%v)", agentID, err)
	}
	p, err := h.bot.store.Promotion(h.t.Context(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}
