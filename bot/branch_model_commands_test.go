package bot

import (
	"strings"
	"testing"
)

// The read commands on the branch model speak the product's words: a draft
// is a branch's open draft named by its branch, `vN` is revision N of the
// live branch and `<branch>/vN` one of another branch. None of them changes
// anything on Atoms.
func TestBranchModelReadCommands(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		main, feature := h.liveBranch(a.ID), h.branch(a.ID, "Refund policy update")
		// A revision on a branch that is not live, published in the dashboard.
		rev, err := h.sim.DashboardPublish(a.ID, feature.ID, nil, "dana@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		h.sim.ResetCalls()
		revs, _ := h.sim.Revisions(a.ID, main.ID)
		v1 := revs[0]
		h.checkReplies(t, []replyCase{
			{"status", "status support-concierge",
				[]string{"*support-concierge*", "Active: *v3*", "on branch *Main*", "Open drafts: 1 (Main)", "No promotion in flight."},
				[]string{"Refund policy update/v"}},
			{"drafts", "drafts support-concierge",
				[]string{"Open drafts of *support-concierge* (1)", "*Main*", main.ID, "from v3", "on the live branch", "last edited by priya.sharma"},
				[]string{"*Refund policy update*"}},
			{"versions of the live branch", "versions support-concierge",
				[]string{"on branch *Main* (3)", "*v3*", "*v2*", "*v1*", "*active*", v1.ID},
				[]string{"Refund policy update/v1"}},
			{"versions of another branch", `versions support-concierge "Refund policy update"`,
				[]string{"on branch *Refund policy update* (1)", "*Refund policy update/v1*", rev, "dana@acme.test"},
				[]string{"*active*"}},
			{"versions of a branch that does not exist", "versions support-concierge nosuch",
				[]string{"no branch “nosuch”", "/atoms drafts support-concierge"}, nil},
			{"diff of a branch's draft", "diff support-concierge Main",
				[]string{"draft “Main” vs the active version", "1 change in 1 section", "synthesizer.speed"}, nil},
			{"diff of the only open draft", "diff support-concierge",
				[]string{"draft “Main” vs the active version"}, nil},
			{"diff of a branch without a draft", `diff support-concierge "Refund policy update"`,
				[]string{"no open draft on “Refund policy update”", "/atoms edit support-concierge"}, nil},
			{"diff of a live version and another branch's", `diff support-concierge v3 "Refund policy update/v1"`,
				[]string{"support-concierge: v3 → Refund policy update/v1", "2 changes in 2 sections", "Refunds: items can be returned within 30 days", "csat_score"}, nil},
			{"diff of two versions of the live branch", "diff support-concierge v1 v3",
				[]string{"support-concierge: v1 → v3", "5 changes in 4 sections"}, nil},
			{"diff by branch/vN of the live branch", "diff support-concierge Main/v3 v3",
				[]string{"No changes"}, nil},
			{"diff of a version a branch does not have", `diff support-concierge v3 "Refund policy update/v2"`,
				[]string{"no version v2 on branch “Refund policy update” (the newest is v1)"}, nil},
		})
		h.t = t
		h.checkAllSent(t)
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" {
				t.Errorf("a read-only command called %s %s", c.Method, c.Path)
			}
		}
	})
}

// Two branches with an open draft each: naming none is ambiguous, and the
// answer names both.
func TestBranchModelDiffNeedsTheBranchWhenSeveralDraftsAreOpen(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		got := h.reply("diff support-concierge")
		for _, w := range []string{"has 2 open drafts", "“Main”", "“Refund policy update”"} {
			if !strings.Contains(got, w) {
				t.Errorf("ambiguous diff answer lacks %q: %s", w, got)
			}
		}
		got = h.reply(`diff support-concierge "Refund policy update"`)
		for _, w := range []string{"draft “Refund policy update” vs the active version", "2 changes in 2 sections", "csat_score"} {
			if !strings.Contains(got, w) {
				t.Errorf("diff of the feature branch lacks %q: %s", w, got)
			}
		}
	})
}
