package workflow

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// requestText is what p's approval request showed when posted.
func (r *rig) requestText(p state.Promotion) string {
	r.t.Helper()
	msg, ok := r.slack.message(p.Channel, r.get(p.ID).MessageTS)
	if !ok {
		r.t.Fatalf("no approval request for %s", p.ID)
	}
	return msg.Text()
}

func wantShows(t *testing.T, what, text string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not show %q:\n%s", what, w, text)
		}
	}
	for _, n := range not {
		if strings.Contains(text, n) {
			t.Errorf("%s shows %q:\n%s", what, n, text)
		}
	}
}

// TestApprovalRequestNamesBaselineEditorsAndFork: the request says which
// version the new one replaces, who edited the draft (through atomsbot and on
// Atoms), links the agent in the dashboard when configured, and warns when
// the draft was forked from a version that is not the active one. The
// editor Atoms records for atomsbot's own last save (the API key's owner)
// is not named beside the Slack user who made it.
func TestApprovalRequestNamesBaselineEditorsAndFork(t *testing.T) {
	tests := []struct {
		name      string
		fork      bool // the active version moved on after the draft was forked
		lastOnBot bool // atomsbot made the draft's last edit
		dashboard string
		want, not []string
	}{
		{"forked from the active version", false, false, "https://app.smallest.ai/atoms/agents",
			[]string{"v1 (active) → *v2* · Requested by <@UREQ> · edited by <@UCAROL>, <@UBOB>, Dana (last edit on Atoms)",
				"<https://app.smallest.ai/atoms/agents/ag1|Open Support Bot in the Atoms dashboard>"},
			[]string{"forked from"}},
		{"forked from an older version", true, false, "",
			[]string{"v2 (active) → *v3*", ":warning: This draft was forked from v1, not from the active v2: the diff also carries what differs between them."},
			[]string{"Atoms dashboard"}},
		{"last edit through atomsbot", false, true, "",
			[]string{"v1 (active) → *v2* · Requested by <@UREQ> · edited by <@UCAROL>, <@UBOB>\""},
			[]string{"last edit on Atoms", "Dana"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statetest.Each(t, func(t *testing.T, b statetest.Backend) {
				r := newRig(t, b, func(c *Config) { c.DashboardURL = tt.dashboard })
				draft := r.plat.agents[agentID].drafts["draft-"+agentID]
				draft.LastEditor, draft.Revision = "Dana", 5
				if tt.fork {
					v2 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
					r.plat.activateElsewhere(agentID, v2.ID, "someone")
				}
				r.eng.RecordEdit(r.ctx, agentID, "draft-"+agentID, 2, carol)
				r.eng.RecordEdit(r.ctx, agentID, "another-draft", 5, mallory)
				r.eng.RecordEdit(r.ctx, agentID, "draft-"+agentID, 3, bob)
				last := 4 // Dana edited on Atoms after carol's last save
				if tt.lastOnBot {
					last = 5
				}
				r.eng.RecordEdit(r.ctx, agentID, "draft-"+agentID, last, carol)
				p := r.published()
				text := r.requestText(p)
				if !tt.fork {
					tt.not = append(tt.not, "<@UMAL>")
				}
				wantShows(t, "the approval request", text, tt.want, tt.not)
			})
		})
	}
}

// TestApprovalRequestEditorsOfThisDraftOnly: on a platform with branches a
// draft is named by its branch, so saves of an earlier draft of the branch
// share its name. Revisions only grow within a draft: the request names
// only who edited the draft being promoted.
func TestApprovalRequestEditorsOfThisDraftOnly(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		draft := r.plat.agents[agentID].drafts["draft-"+agentID]
		draft.LastEditor, draft.Revision = "", 2
		id := "draft-" + agentID
		r.eng.RecordEdit(r.ctx, agentID, id, 1, mallory) // an earlier draft of the branch
		r.eng.RecordEdit(r.ctx, agentID, id, 3, mallory)
		r.eng.RecordEdit(r.ctx, agentID, id, 1, carol) // this draft
		r.eng.RecordEdit(r.ctx, agentID, id, 2, bob)
		wantShows(t, "the approval request", r.requestText(r.published()),
			[]string{"edited by <@UCAROL>, <@UBOB>\""}, []string{"<@UMAL>"})
	})
}

// TestApprovalRequestEditorsSinceLastPublished: saves through atomsbot of a
// draft that was published since (on a platform with branches the next
// draft of the branch has the same name) are not this draft's: the request
// names who edited it on Atoms instead.
func TestApprovalRequestEditorsSinceLastPublished(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		id := "draft-" + agentID
		r.eng.RecordEdit(r.ctx, agentID, id, 1, mallory)
		r.eng.RecordEdit(r.ctx, agentID, id, 2, mallory)
		first := r.published()
		if _, err := r.eng.Reject(r.ctx, first.ID, first.ApprovalKey(), bob, ""); err != nil {
			t.Fatal(err)
		}
		r.ticks(2)
		// The branch's next draft, edited twice on Atoms by Dana.
		draft := r.plat.agents[agentID].drafts[id]
		draft.Open, draft.Revision, draft.LastEditor = true, 2, "Dana"
		second := r.published()
		wantShows(t, "the approval request", r.requestText(second),
			[]string{"edited by Dana (last edit on Atoms)"}, []string{"<@UMAL>"})
	})
}

// TestNothingToPromoteIsRefusedBeforePublishing: a draft that changes
// nothing against the active version is refused, and nothing is staged,
// published, locked or posted.
func TestNothingToPromoteIsRefusedBeforePublishing(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.plat.diff = platform.Diff{Unchanged: []string{"prompt"}}
		_, err := r.eng.Promote(r.ctx, r.promoteReq(agentID))
		wantRefused(t, err, "Draft “Main draft” of Support Bot has no changes against the active v1: nothing to promote.")
		wantCount(t, "Stage calls", r.plat.count("Stage"), 0)
		wantCount(t, "Publish calls", r.plat.count("Publish"), 0)
		wantCount(t, "posts", len(r.slack.of(kindPost)), 0)
		if h, err := r.store.LockHolder(r.ctx, state.AgentLock(agentID)); err != nil || h != "" {
			t.Errorf("agent locked by %q (err %v)", h, err)
		}
	})
}

// TestRollbackRequestTellsTheTargetsHistory: rolling back to a version that
// was just rejected, and that is newer than the active one, says both.
func TestRollbackRequestTellsTheTargetsHistory(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.advance(r.plat.checkAfter) // v2's check passes
		if _, err := r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), bob, "not during the <!here> sale"); err != nil {
			t.Fatal(err)
		}
		rejectedAt := r.clk.Now()
		r.advance(2 * time.Minute)
		back, err := r.eng.Rollback(r.ctx, r.rollbackReq("ag1-v2"))
		if err != nil {
			t.Fatal(err)
		}
		wantShows(t, "the rollback request", r.requestText(back), []string{
			"v1 (active) → *v2*",
			":warning: v2 is newer than the active v1: this is not a rollback to an earlier version.",
			":warning: v2 was rejected by <@UBOB> <!date^" + strconv.FormatInt(rejectedAt.Unix(), 10) + "^{ago}|", "— not during the &lt;!here&gt; sale",
		}, []string{"— a rollback to an earlier version", "<!here>"})
	})
}

// TestRollbackRequestToAnOlderVersion says it is a rollback, and no warning.
func TestRollbackRequestToAnOlderVersion(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.live(r.published())
		r.clk.Advance(time.Hour)
		back, err := r.eng.Rollback(r.ctx, r.rollbackReq("ag1-v1"))
		if err != nil {
			t.Fatal(err)
		}
		wantShows(t, "the rollback request", r.requestText(back),
			[]string{"v2 (active) → *v1* · Requested by <@UREQ> — a rollback to an earlier version"}, []string{":warning:"})
	})
}
