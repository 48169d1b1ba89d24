package render

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestApprovalRequestGivesTheApproverEverything pins what an approver sees
// besides the diff (the baseline, a fork from another version, who edited,
// the dashboard link, a rollback target's history) and what a request shows
// once it ended: only what is still true, and the way back to a draft.
func TestApprovalRequestGivesTheApproverEverything(t *testing.T) {
	forked := approval("published")
	forked.VersionRef = "v4"
	forked.Context = RequestContext{BaseRef: "v3", ForkedFrom: "v2", Editors: []string{"UCAROL", "UDAVE"}, AtomsEditor: "dashboard user " + evil,
		Dashboard: DashboardLink("https://app.smallest.ai/atoms/agents/", "6900000000000000000000a7")}

	newer := approval("published")
	newer.Kind, newer.VersionRef, newer.VersionNumber, newer.Diff = "rollback", "v5", 5, nil
	newer.Context = RequestContext{BaseRef: "v3", Newer: true,
		Past: &PastEnd{State: "rejected", By: "UBOB", Reason: "not during the sale " + evil, At: t0.Add(-2 * time.Minute)}}

	older := approval("published")
	older.Kind, older.VersionRef, older.VersionNumber, older.Diff = "rollback", "v2", 2, nil
	older.Context = RequestContext{BaseRef: "v3", TargetCheckFailed: true, Past: &PastEnd{State: "failed", Reason: "Atoms refused the activation", At: t0.Add(-time.Hour)}}

	rejected := approval("rejected")
	rejected.Approvals, rejected.Approvers = []string{"UCAROL"}, []string{"UBOB", "UCAROL"}
	rejected.EndedBy, rejected.Reason = "UBOB", "not during the sale "+evil
	cancelled := approval("cancelled")
	cancelled.EndedBy = "UALICE"
	expired := approval("expired")
	expired.Reason = "not approved within 24h0m0s"
	failedPublish := approval("failed")
	failedPublish.VersionID, failedPublish.VersionNumber, failedPublish.Reason = "", 0, "publishing failed: Atoms refused the draft"

	selfListed := approval("published")
	selfListed.Approvers = []string{"UALICE", "UBOB"}
	onlySelf := approval("published")
	onlySelf.Approvers = []string{"UALICE"}

	value := ButtonValue("p_1", oid(3))
	tests := []struct {
		name string
		msg  Message
		want []string
		not  []string
	}{
		{"approval_forked", Approval(forked), []string{"v3 (active) → *v4* · Requested by <@UALICE>",
			"edited by <@UCAROL>, <@UDAVE>, dashboard user &lt;!channel&gt;", "(last edit on Atoms)",
			":warning: This draft was forked from v2, not from the active v3: the diff also carries what differs between them.",
			"<https://app.smallest.ai/atoms/agents/6900000000000000000000a7|Open support-concierge"}, nil},
		{"approval_rollback_newer", Approval(newer), []string{"v3 (active) → *v5*",
			":warning: v5 is newer than the active v3: this is not a rollback to an earlier version.",
			":warning: v5 was rejected by <@UBOB> <!date^" + itoa(t0.Add(-2*time.Minute).Unix()) + "^{ago}|on 2026-11-02 08:58 UTC> — not during the sale &lt;!channel&gt;"},
			[]string{"a rollback to an earlier version —", "Requested by <@UALICE> — a rollback to an earlier version"}},
		{"approval_rollback_history", Approval(older), []string{"Requested by <@UALICE> — a rollback to an earlier version",
			":warning: v2: its security check failed.", ":warning: The promotion of v2 failed <!date^"}, []string{"newer"}},
		{"approval_rejected_final", Approval(rejected), []string{":no_entry: Rejected by <@UBOB> — not during the sale &lt;!channel&gt;",
			"*Approved by*\n<@UCAROL>", `"action_id": "` + ActionReopen + `"`, `"value": "` + value + `"`, "Reopen as a draft"},
			[]string{"pending", "Who may approve", "1 of 2", "Expires", ActionApprove, ActionReject}},
		{"approval_cancelled_final", Approval(cancelled), []string{":heavy_multiplication_x: Cancelled by <@UALICE>"},
			[]string{"pending", "Who may approve", "0 of 2", ActionReopen, ActionApprove}},
		{"approval_expired_final", Approval(expired), []string{":hourglass: Expired — not approved"},
			[]string{"pending", "Who may approve", "0 of 2", ActionReopen}},
		{"approval_failed_unpublished", Approval(failedPublish), []string{":x: Failed — publishing failed"},
			[]string{"pending", "Who may approve", ActionReopen}},
		{"approval_approvers_without_requester", Approval(selfListed), []string{"*Who may approve*\n<@UBOB>"}, []string{"*Who may approve*\n<@UALICE>", "(not the requester)"}},
		{"approval_only_approver_requested", Approval(onlySelf), []string{"no one: the only listed approver requested it"}, []string{"Who may approve*\n<@UALICE>"}},
		{"live_replaces", Live(LiveView{AgentName: "clinic-scheduler", VersionNumber: 4, VersionRef: "v4", Kind: "promote", Requester: "UALICE",
			Approvers: []string{"UBOB"}, Replaced: "v3", Rollback: RollbackValue(oid(7), oid(3))}),
			[]string{"*clinic-scheduler v4 is live* — it replaces v3\nRequested by <@UALICE>", `"action_id": "` + ActionRollback + `"`, "Roll back to v3",
				`"value": "` + oid(7) + "|" + oid(3) + `"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckMessage(tt.msg); err != nil {
				t.Errorf("breaks Slack limits: %v", err)
			}
			raw := viewJSON(t, tt.msg)
			assertEscaped(t, string(raw))
			shown := tt.msg.Text + "\n" + decoded(t, raw)
			wantShown(t, shown, raw, tt.want, tt.not)
			compareGolden(t, filepath.Join("testdata", "views", tt.name+".golden.json"), raw)
		})
	}
}

// TestApprovalButtonsComeBeforeTheDiff: whatever the diff's length, Approve
// and Reject sit right under the request, and the requester can cancel.
func TestApprovalButtonsComeBeforeTheDiff(t *testing.T) {
	for _, n := range []int{1, 60} {
		v := approval("published")
		v.Diff = nil
		for i := range n {
			v.Diff = append(v.Diff, section("diff block "+itoa(int64(i))))
		}
		m := Approval(v)
		actions, firstDiff := -1, -1
		for i, b := range m.Blocks {
			raw, _ := json.Marshal(b)
			if actions < 0 && strings.Contains(string(raw), ActionApprove) {
				actions = i
				for _, id := range []string{ActionReject, ActionCancel} {
					if !strings.Contains(string(raw), id) {
						t.Errorf("%d diff blocks: the actions lack %s: %s", n, id, raw)
					}
				}
			}
			if firstDiff < 0 && strings.Contains(string(raw), "diff block 0") {
				firstDiff = i
			}
		}
		if actions < 0 || actions > 4 || firstDiff < actions {
			t.Errorf("%d diff blocks: buttons at block %d, diff from block %d; want buttons near the top, before the diff", n, actions, firstDiff)
		}
		if err := CheckMessage(m); err != nil {
			t.Errorf("%d diff blocks: %v", n, err)
		}
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// decoded is raw with JSON string escapes undone, so wants can say "\n".
func decoded(t *testing.T, raw []byte) string {
	t.Helper()
	return strings.ReplaceAll(string(raw), `\n`, "\n")
}

// BenchmarkApprovalRequest renders a request with its context and a
// one-page diff, as every update of the message does. Target: well under
// a millisecond (it runs once per click and per state change).
func BenchmarkApprovalRequest(b *testing.B) {
	v := approval("published")
	v.Context = RequestContext{BaseRef: "v3", ForkedFrom: "v2", Editors: []string{"UCAROL", "UDAVE"}, AtomsEditor: "dana",
		Past: &PastEnd{State: "rejected", By: "UBOB", Reason: "not now", At: t0}, Dashboard: "https://app.smallest.ai/atoms/agents/a1"}
	b.ReportAllocs()
	for b.Loop() {
		_ = Approval(v)
	}
}
