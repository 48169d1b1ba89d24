package bot

import (
	"strings"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// branch returns the agent's branch of that name as the simulator has it.
func (h *harness) branch(agentID, name string) atomsim.BranchInfo {
	h.t.Helper()
	bs, _ := h.sim.Branches(agentID)
	for _, b := range bs {
		if b.Name == name {
			return b
		}
	}
	h.t.Fatalf("agent %s has no branch %q: %+v", agentID, name, bs)
	return atomsim.BranchInfo{}
}

// liveBranch is the agent's live branch.
func (h *harness) liveBranch(agentID string) atomsim.BranchInfo {
	h.t.Helper()
	bs, _ := h.sim.Branches(agentID)
	for _, b := range bs {
		if b.Live {
			return b
		}
	}
	h.t.Fatalf("agent %s has no live branch", agentID)
	return atomsim.BranchInfo{}
}

// approve clicks Approve on the approval request at ts as user.
func (h *harness) approve(user, ts string) {
	h.t.Helper()
	h.bot.click(user, ts, render.ActionApprove, buttonValue(h.t, h.approvalMessageAt(ts), render.ActionApprove))
}

// bmPromote types `/atoms promote support-concierge "<branch>" <label>` as
// alice and returns the approval request's ts.
func (h *harness) bmPromote(r *replica, branch string) string {
	h.t.Helper()
	rec := r.command(alice, `promote support-concierge "`+branch+`" refund wording`)
	if rec.Code != 200 {
		h.t.Fatalf("promote: %d %s", rec.Code, rec.Body)
	}
	return h.newestApproval()
}

// newestApproval is the ts of the newest approval request in the channel.
func (h *harness) newestApproval() string {
	h.t.Helper()
	ts := ""
	for _, m := range h.state().ChannelMessages(testChannel) {
		if m.ThreadTS == "" && strings.Contains(m.PostedText(), "Approval needed") {
			ts = m.TS
		}
	}
	if ts == "" {
		h.t.Fatalf("no approval request:%s", h.dump())
	}
	return ts
}

// ownBranches are the branches atomsbot made for promotions (archived ones
// included).
func (h *harness) ownBranches(agentID string) []atomsim.BranchInfo {
	bs, _ := h.sim.Branches(agentID)
	var out []atomsim.BranchInfo
	for _, b := range bs {
		if strings.HasPrefix(b.Name, "atomsbot-pr_") {
			out = append(out, b)
		}
	}
	return out
}

// ownBranch is the one branch atomsbot made for a promotion.
func (h *harness) ownBranch(agentID string) atomsim.BranchInfo {
	h.t.Helper()
	own := h.ownBranches(agentID)
	if len(own) != 1 {
		h.t.Fatalf("%d branches of atomsbot's own, want 1: %+v", len(own), own)
	}
	return own[0]
}

// publishesOn counts the publishes Atoms was asked for on a branch.
func (h *harness) publishesOn(branchID string) int {
	return h.sim.CountCalls("POST", "/agent/*/branches/"+branchID+"/draft/publish")
}

// promotionAt is the promotion of the approval request at ts.
func (h *harness) promotionAt(ts string) state.Promotion {
	h.t.Helper()
	p, err := h.bot.store.Promotion(h.t.Context(), h.promotionIDFromButton(ts))
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// assertNothingWentLive checks that Main is still live at the same head,
// with its draft as it was, and that no post says "is live".
func (h *harness) assertNothingWentLive(agentID string, main atomsim.BranchInfo) {
	h.t.Helper()
	if live := h.liveBranch(agentID); live.ID != main.ID || live.HeadRevisionID != main.HeadRevisionID {
		h.t.Errorf("live is %s at %s, want Main at %s", live.Name, live.HeadRevisionID, main.HeadRevisionID)
	}
	if got := h.branch(agentID, "Main"); got.DraftID != main.DraftID || got.DraftRevision != main.DraftRevision {
		h.t.Errorf("Main's draft changed: %+v → %+v", main, got)
	}
	if n := h.state().CountText("is live"); n != 0 {
		h.t.Errorf("%d posts say 'is live':%s", n, h.dump())
	}
	if n := h.publishesOn(main.ID); n != 0 {
		h.t.Errorf("published on the live branch %d times", n)
	}
}
