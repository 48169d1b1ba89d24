package workflow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// approval is one click of Approve in a test case.
type approval struct {
	user     string
	key      string // the button's version; "" is the promotion's own
	refused  string // the refusal, if refused
	added    bool
	count    int
	complete bool
}

// TestApprove applies the approval policy click by click, checking what each
// click did and whether the promotion went live.
func TestApprove(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		before func(r *rig) // after publishing, before the clicks
		clicks []approval
		live   bool
	}{
		{
			name:   "self-approval off",
			clicks: []approval{{user: requester, refused: "self-approval is turned off"}},
		},
		{
			name:   "self-approval on",
			policy: Policy{AllowSelf: true},
			clicks: []approval{{user: requester, added: true, count: 1, complete: true}},
			live:   true,
		},
		{
			name:   "anyone but the requester",
			clicks: []approval{{user: mallory, added: true, count: 1, complete: true}},
			live:   true,
		},
		{
			name:   "listed approver",
			policy: Policy{Approvers: []string{bob, carol}},
			clicks: []approval{{user: carol, added: true, count: 1, complete: true}},
			live:   true,
		},
		{
			name:   "not on the approver list",
			policy: Policy{Approvers: []string{bob}},
			clicks: []approval{{user: mallory, refused: "not on the list of approvers"}},
		},
		{
			name:   "listed requester without self-approval",
			policy: Policy{Approvers: []string{requester, bob}},
			clicks: []approval{{user: requester, refused: "self-approval is turned off"}},
		},
		{
			name:   "APPROVALS_REQUIRED 2",
			policy: Policy{Required: 2},
			clicks: []approval{
				{user: bob, added: true, count: 1},
				{user: carol, added: true, count: 2, complete: true},
			},
			live: true,
		},
		{
			name:   "APPROVALS_REQUIRED 2, one approver",
			policy: Policy{Required: 2},
			clicks: []approval{{user: bob, added: true, count: 1}},
		},
		{
			name:   "duplicate approval counts once",
			policy: Policy{Required: 2},
			clicks: []approval{
				{user: bob, added: true, count: 1},
				{user: bob, added: false, count: 1},
			},
		},
		{
			name:   "button of another version",
			clicks: []approval{{user: bob, key: "ag1-v1", refused: "different version"}},
		},
		{
			name:   "after the expiry",
			before: func(r *rig) { r.clk.Advance(24 * time.Hour) },
			clicks: []approval{{user: bob, refused: "expired"}},
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b, withPolicy(tt.policy))
				p := r.published()
				r.advance(6 * time.Second) // the check passed
				if tt.before != nil {
					tt.before(r)
				}
				required := max(1, tt.policy.Required)
				for i, c := range tt.clicks {
					key := c.key
					if key == "" {
						key = p.ApprovalKey()
					}
					res, err := r.eng.Approve(r.ctx, p.ID, key, c.user)
					if c.refused != "" {
						wantRefused(t, err, c.refused)
						continue
					}
					if err != nil {
						t.Fatalf("click %d by %s: %v", i, c.user, err)
					}
					if res.Added != c.added || res.Count != c.count || res.Complete != c.complete || res.Promotion.ID != p.ID {
						t.Errorf("click %d by %s = %+v, want added %v count %d complete %v", i, c.user, res, c.added, c.count, c.complete)
					}
					if c.added {
						note := fmt.Sprintf(":thumbsup: Approved by <@%s> (%d of %d).", c.user, c.count, required)
						wantCount(t, "notes "+note, r.threadHas(p, note), 1)
						up, _ := r.slack.lastUpdate(deploys, p.MessageTS)
						if want := fmt.Sprintf("%d of %d — ", c.count, required); !strings.Contains(up.Text(), want) {
							t.Errorf("approval message does not show %q:\n%s", want, up.Text())
						}
					}
				}
				wantCount(t, "approval notes", r.threadHas(p, ":thumbsup:"), countAdded(tt.clicks))
				r.poll()
				np := r.get(p.ID)
				if got := np.State == state.Live; got != tt.live {
					t.Fatalf("promotion is %s, want live %v", np.State, tt.live)
				}
				if tt.live {
					r.wantAnnounced(1, "approved by")
				}
			})
		}
	})
}

func countAdded(cs []approval) int {
	n := 0
	for _, c := range cs {
		if c.added {
			n++
		}
	}
	return n
}

// TestApproveRefusedOutsidePublished: approvals are taken only while the
// promotion is published.
func TestApproveRefusedOutsidePublished(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig) state.Promotion
		want  string
	}{
		{"unknown promotion", func(r *rig) state.Promotion { return state.Promotion{ID: "pr_gone", VersionID: "x"} }, "no longer exists"},
		{"still publishing", func(r *rig) state.Promotion {
			r.plat.fail("Publish", 1, errUnclear)
			return r.promote()
		}, "still being published"},
		{"activating", func(r *rig) state.Promotion {
			r.plat.failAlways("Activate", errUnavailable)
			p := r.published()
			r.approve(p, bob)
			r.advance(6 * time.Second)
			return r.wantState(p.ID, state.Activating)
		}, "already being activated"},
		{"cancelled", func(r *rig) state.Promotion {
			p := r.published()
			if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
				r.t.Fatal(err)
			}
			return p
		}, "already cancelled"},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := tt.setup(r)
				_, err := r.eng.Approve(r.ctx, p.ID, p.ApprovalKey(), carol)
				wantRefused(t, err, tt.want)
				_, err = r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), carol, "")
				wantRefused(t, err, tt.want)
				if n := len(r.slack.postsContaining("Approved by <@UCAROL>")); n != 0 {
					t.Errorf("%d approval notes for a refused approval", n)
				}
			})
		}
	})
}

// TestApprovalBeforeCheckPassed: the promotion waits for its check and
// activates on the poll that sees it pass.
func TestApprovalBeforeCheckPassed(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		if res := r.approve(p, bob); !res.Complete {
			t.Fatalf("approval = %+v, want complete", res)
		}
		if got := r.due(p); got.After(r.clk.Now()) {
			t.Errorf("approved promotion due at %s, want now (%s)", got, r.clk.Now())
		}
		r.poll()
		r.wantState(p.ID, state.Published)
		wantCount(t, "Activate calls while pending", r.plat.count("Activate"), 0)
		r.ticks(5)
		r.wantState(p.ID, state.Published)
		r.ticks(1)
		r.wantState(p.ID, state.Live)
		wantCount(t, "Activate calls", r.plat.count("Activate"), 1)
		r.wantAnnounced(1, "approved by <@UBOB>")
	})
}

// TestApprovalAfterCheckPassed: the last approval makes the promotion due at
// once and wakes the local poller; it does not wait for the minute's recheck.
func TestApprovalAfterCheckPassed(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.advance(6 * time.Second)
		if got, want := r.due(p), r.clk.Now().Add(approvalRecheck); !got.Equal(want) {
			t.Fatalf("waiting for approval: due %s, want %s", got, want)
		}
		select {
		case <-r.eng.wake:
		default:
		}
		r.approve(p, bob)
		if got := r.due(p); got.After(r.clk.Now()) {
			t.Errorf("approved promotion due at %s, want now", got)
		}
		select {
		case <-r.eng.wake:
		default:
			t.Error("the completing approval did not wake the poller")
		}
		r.poll() // no time passes
		np := r.wantState(p.ID, state.Live)
		if !np.ActivatedAt.Equal(r.clk.Now()) {
			t.Errorf("activated at %s, want now (%s)", np.ActivatedAt, r.clk.Now())
		}
	})
}

// TestApprovalWhileStepRuns: an approval completing while the poller holds
// the promotion's lease is not lost: the step's reschedule honours it.
func TestApprovalWhileStepRuns(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.advance(6 * time.Second) // passed; next look in a minute
		r.clk.Advance(approvalRecheck)
		// Approve from inside the step, while the item is leased to the
		// poller.
		approved := false
		r.plat.onCall("Refresh", func() {
			if approved {
				return
			}
			approved = true
			if _, err := r.eng.Approve(r.ctx, p.ID, p.ApprovalKey(), bob); err != nil {
				t.Errorf("Approve during the step: %v", err)
			}
		})
		r.poll()
		if !approved {
			t.Fatal("the step never ran")
		}
		// The step read its approvals before the click, so it did not
		// activate; the poke makes it due now rather than in a minute.
		if got := r.due(p); got.After(r.clk.Now()) {
			t.Errorf("due at %s after an approval during the step, want now (%s)", got, r.clk.Now())
		}
		r.poll()
		r.wantState(p.ID, state.Live)
	})
}
