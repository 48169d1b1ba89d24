package bot

import (
	"strings"
	"testing"
	"time"
)

// A promotion refused for a reason known at once is refused without a
// "Publishing…" first: promoting the same draft again says where the first
// promotion stands, with a link to its request; another draft while one is in
// flight, or a draft that does not exist, is refused plainly. Nothing is
// published a second time.
func TestPromoteRefusedAtOnce(t *testing.T) {
	cases := []struct {
		name   string
		mods   []func(*harnessConfig)
		second string
		scan   bool // let the security check finish before the second command
		want   []string
	}{
		{"drafts, same draft again", nil, `promote support-concierge "Refund policy update"`, false,
			[]string{"Draft “Refund policy update” of support-concierge is already published as v4, awaiting approval — <https://slack.com/archives/CDEPLOYS/p", "|see the request>", "in flight"}},
		{"drafts, same draft by id", nil, "promote support-concierge DRAFTID", false,
			[]string{"is already published as v4, awaiting approval", "in flight"}},
		{"branches, same draft again", editModels[1].mods, `promote support-concierge "Refund policy update"`, true,
			[]string{"Draft “Refund policy update” of support-concierge is already published as Refund policy update/v1, awaiting approval — <https://slack.com/archives/CDEPLOYS/p", "in flight"}},
		{"drafts, another draft while one is in flight", nil, "promote support-concierge other-draft", false,
			[]string{"support-concierge already has a promotion in flight: v4", "see the request"}},
		{"branches, another branch while one is in flight", editModels[1].mods, "promote support-concierge Main", false,
			[]string{"support-concierge already has a promotion in flight", "see the request"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, tc.mods...)
				a := h.agent(demoAgent)
				draftID := h.draftPlace(a.ID, "Refund policy update")
				h.bot.command(alice, `promote support-concierge "Refund policy update" refund wording`)
				first := h.newestApproval()
				if tc.scan {
					h.advance(7 * time.Second)
					h.advance(2 * time.Second)
				}
				publishes := h.sim.CountCalls("POST", "/agent/*/drafts/*/publish") + h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish")
				before := len(h.ephemeralTo(alice))
				rec := h.bot.command(alice, strings.Replace(tc.second, "DRAFTID", draftID, 1))
				if rec.Body.Len() != 0 {
					t.Errorf("ack %s, want none (the answer follows)", rec.Body)
				}
				said := h.ephemeralTo(alice)[before:]
				if len(said) != 1 {
					t.Fatalf("answers %q, want exactly the refusal", said)
				}
				for _, w := range tc.want {
					if !strings.Contains(said[0], w) {
						t.Errorf("refusal lacks %q: %s", w, said[0])
					}
				}
				for _, n := range []string{"Publishing", "no open draft"} {
					if strings.Contains(said[0], n) {
						t.Errorf("refusal says %q: %s", n, said[0])
					}
				}
				if n := h.sim.CountCalls("POST", "/agent/*/drafts/*/publish") + h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish"); n != publishes {
					t.Errorf("published again: %d → %d", publishes, n)
				}
				if again := h.newestApproval(); again != first {
					t.Errorf("a second approval request was posted")
				}
			})
		})
	}
}

// draftPlace is the id commands name a draft by: the v1 draft's id, or its
// branch's id.
func (h *harness) draftPlace(agentID, name string) string {
	h.t.Helper()
	if h.cfg.sim.BranchModel {
		return h.branch(agentID, name).ID
	}
	for _, d := range h.live(agentID).Drafts {
		if d.Name == name {
			return d.DraftID
		}
	}
	h.t.Fatalf("no draft %q", name)
	return ""
}

// A draft that does not exist is refused without "Publishing…" first.
func TestPromoteUnknownDraftRefusedAtOnce(t *testing.T) {
	for _, m := range editModels {
		t.Run(m.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, m.mods...)
				rec := h.bot.command(alice, "promote support-concierge no-such-draft")
				said := h.ephemeralTo(alice)
				if rec.Body.Len() != 0 || len(said) != 1 || !strings.Contains(said[0], "has no open draft “no-such-draft”") || strings.Contains(said[0], "Publishing") {
					t.Errorf("ack %s, then %q; want only the refusal", rec.Body, said)
				}
				if w := h.writes(); len(w) != 0 {
					t.Errorf("wrote %v", w)
				}
			})
		})
	}
}
