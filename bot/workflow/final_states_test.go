package workflow

import (
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestEndedRequestShowsOnlyWhatIsTrue: a request that was rejected (with a
// reason), cancelled or failed no longer shows a pending check, an approval
// count or who may approve; the rejection's reason is in the request and in
// the thread note, which mentions the requester.
func TestEndedRequestShowsOnlyWhatIsTrue(t *testing.T) {
	tests := []struct {
		name  string
		end   func(r *rig, p state.Promotion)
		word  string
		shows []string // in the final look
		note  []string // in the end note
	}{
		{"rejected with a reason", func(r *rig, p state.Promotion) {
			if _, err := r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), bob, "not during the <!channel> sale"); err != nil {
				r.t.Fatal(err)
			}
		}, "rejected", []string{":no_entry: Rejected by <@UBOB> — not during the &lt;!channel&gt; sale", render.ActionReopen},
			[]string{"rejected by <@UBOB> — not during the &lt;!channel&gt; sale. cc <@UREQ>"}},
		{"cancelled by the requester", func(r *rig, p state.Promotion) {
			if _, err := r.eng.CancelRequest(r.ctx, r.get(p.ID), requester); err != nil {
				r.t.Fatal(err)
			}
		}, "cancelled", []string{":heavy_multiplication_x: Cancelled by <@UREQ>"}, nil},
		{"failed check", func(r *rig, p state.Promotion) {
			r.plat.setCheck(agentID, p.ID, "failed", "asks for card numbers")
			r.poll()
		}, "failed", []string{":x: Failed", ":x: failed: asks for card numbers", render.ActionReopen},
			[]string{"failed", "cc <@UREQ>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statetest.Each(t, func(t *testing.T, b statetest.Backend) {
				r := newRig(t, b, withPolicy(Policy{Required: 1, Approvers: []string{requester, bob}}))
				r.plat.checkAfter = 0 // the check stays pending
				p := r.published()
				r.approve(p, bob)
				tt.end(r, p)
				r.wantFinalLook(p, "")
				up, _ := r.slack.lastUpdate(p.Channel, r.get(p.ID).MessageTS)
				wantShows(t, "the final look", up.Text(), tt.shows,
					[]string{"pending", "Who may approve", "1 of 1", "Expires", render.ActionApprove, render.ActionCancel})
				r.wantEndNote(p, tt.word, "")
				for _, c := range r.slack.thread(p.Channel, r.get(p.ID).MessageTS) {
					if strings.Contains(c.Msg.Text, "Promotion of") {
						wantShows(t, "the end note", c.Msg.Text, tt.note, nil)
					}
				}
			})
		})
	}
}

// TestOpenRequestNeverNamesTheRequesterAsApprover: with self-approval off,
// "Who may approve" leaves the requester out even when APPROVERS lists them.
func TestOpenRequestNeverNamesTheRequesterAsApprover(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b, withPolicy(Policy{Required: 1, Approvers: []string{requester, bob}}))
		p := r.published()
		wantShows(t, "the request", r.requestText(p), []string{"*Who may approve*\\n<@UBOB>"}, []string{"<@UREQ>, <@UBOB>"})
	})
}

// TestCancelButtonIsTheRequesters: the requester's Cancel ends the request
// like /atoms cancel; anyone else's click is refused and changes nothing.
func TestCancelButtonIsTheRequesters(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		_, err := r.eng.CancelRequest(r.ctx, r.get(p.ID), bob)
		wantRefused(t, err, "Only <@UREQ>, who requested it, can cancel this request. If it should not go live, use Reject instead.")
		r.wantState(p.ID, state.Published)
		np, err := r.eng.CancelRequest(r.ctx, r.get(p.ID), requester)
		if err != nil {
			t.Fatal(err)
		}
		if np.State != state.Cancelled || np.EndedBy != requester {
			t.Errorf("after the requester's Cancel: %s by %q, want cancelled by the requester", np.State, np.EndedBy)
		}
		r.poll()
		r.wantSettled(p)
	})
}

// TestClickMustComeFromItsOwnRequest: a button value names a promotion, but
// only a click on that promotion's own request message counts.
func TestClickMustComeFromItsOwnRequest(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		for _, c := range []struct{ channel, ts string }{{"COTHER", p.MessageTS}, {deploys, "1.000001"}, {deploys, ""}} {
			_, err := r.eng.Clicked(r.ctx, p.ID, c.channel, c.ts)
			wantRefused(t, err, "does not belong to this promotion's approval request")
		}
		if got, err := r.eng.Clicked(r.ctx, p.ID, deploys, p.MessageTS); err != nil || got.ID != p.ID {
			t.Errorf("a click on the request itself: %v, %v", got.ID, err)
		}
	})
}

// TestLiveMessageOffersRollBack: "is live" names the version it replaced and
// carries a Roll back button for it.
func TestLiveMessageOffersRollBack(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.live(r.published())
		got := r.wantAnnounced(1, "Support Bot v2")
		wantShows(t, "the announcement", got[0].Text(), []string{"is live* — it replaces v1\\nRequested by <@UREQ>",
			`"action_id":"` + render.ActionRollback + `"`, `"value":"` + render.RollbackValue(agentID, "ag1-v1") + `"`, "Roll back to v1"}, nil)
	})
}
