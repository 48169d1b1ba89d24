package workflow

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// stages at which a promotion can still be ended by a person.
var openStages = []struct {
	name  string
	setup func(r *rig) state.Promotion
}{
	{"requested", func(r *rig) state.Promotion {
		r.plat.failAlways("Publish", errUnclear)
		p := r.promote()
		if p.State != state.Requested {
			r.t.Fatalf("promotion is %s, want requested", p.State)
		}
		return p
	}},
	{"published, check pending", func(r *rig) state.Promotion { return r.published() }},
	{"published, check passed", func(r *rig) state.Promotion {
		p := r.published()
		r.advance(6 * time.Second)
		return r.wantState(p.ID, state.Published)
	}},
	{"published, approved, check pending", func(r *rig) state.Promotion {
		p := r.published()
		r.approve(p, bob)
		r.poll()
		return r.wantState(p.ID, state.Published)
	}},
}

// wantEndedByUser: the promotion ended as want, by user, with its final look
// and one end note; Atoms was told to abandon it once; nothing went live; the
// agent is free at once and the due item goes at the next poll.
func wantEndedByUser(t *testing.T, r *rig, p state.Promotion, want state.PromotionState, user, reason string) {
	t.Helper()
	np := r.wantState(p.ID, want)
	if np.EndedBy != user || np.Reason != reason || np.EndedAt.IsZero() {
		t.Errorf("ended by %q (%q) at %s, want by %s (%q)", np.EndedBy, np.Reason, np.EndedAt, user, reason)
	}
	if h, _ := r.store.LockHolder(r.ctx, state.AgentLock(agentID)); h != "" {
		t.Errorf("agent still locked by %q", h)
	}
	word := string(want)
	sub := "by <@" + user + ">"
	if reason != "" {
		sub += " — " + reason
	}
	r.wantEndNote(p, word, sub)
	if np.MessageTS != "" {
		look := map[state.PromotionState]string{state.Cancelled: ":heavy_multiplication_x: Cancelled by <@", state.Rejected: ":no_entry: Rejected by <@"}[want]
		r.wantFinalLook(p, look+user+">")
	}
	r.poll()
	r.ticks(10)
	r.wantState(p.ID, want)
	r.wantSettled(p)
	_, _, acts, abandoned, _ := r.plat.snapshot()
	if len(acts) != 0 || !slices.Equal(abandoned, []string{p.ID}) {
		t.Errorf("activations %v, abandoned %v; want none and [%s]", acts, abandoned, p.ID)
	}
	if n := len(r.slack.of(kindAnnounce)); n != 0 {
		t.Errorf("%d announcements", n)
	}
}

func TestCancel(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, st := range openStages {
			for _, by := range []string{requester, bob} {
				t.Run(st.name+" by "+by, func(t *testing.T) {
					r := newRig(t, b)
					p := st.setup(r)
					got, err := r.eng.Cancel(r.ctx, agentID, agentName, by)
					if err != nil || got.State != state.Cancelled {
						t.Fatalf("Cancel = %s, %v; want cancelled", got.State, err)
					}
					wantEndedByUser(t, r, p, state.Cancelled, by, "")

					// The agent takes a promotion again.
					r.plat.failAlways("Publish", nil)
					r.plat.reopenDraft(agentID)
					if np := r.promote(); np.State != state.Published {
						t.Errorf("next promotion is %s", np.State)
					}
				})
			}
		}
	})
}

func TestCancelRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig)
		user  string
		want  string
	}{
		{"nothing in flight", func(r *rig) {}, requester, "Support Bot has no promotion in flight."},
		{"by someone who may not approve", func(r *rig) { r.published() }, mallory, "Only the requester (<@UREQ>) or an approver can cancel"},
		{"activation started", func(r *rig) {
			r.plat.failAlways("Activate", errUnavailable)
			p := r.published()
			r.approve(p, bob)
			r.advance(6 * time.Second)
			r.wantState(p.ID, state.Activating)
		}, requester, "Activation of Support Bot has already started; it can no longer be cancelled."},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b, withPolicy(Policy{Approvers: []string{bob}}))
				tt.setup(r)
				_, err := r.eng.Cancel(r.ctx, agentID, agentName, tt.user)
				wantRefused(t, err, tt.want)
				_, _, _, abandoned, _ := r.plat.snapshot()
				if len(abandoned) != 0 || len(r.slack.postsContaining("Promotion of")) != 0 {
					t.Errorf("a refused cancel abandoned %v and posted %v", abandoned, texts(r.slack.postsContaining("Promotion of")))
				}
			})
		}
	})
}

// TestReject: an approver's Reject rejects; the requester's own withdraws.
func TestReject(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		state  state.PromotionState
		reason string
	}{
		{"rejected by an approver", bob, state.Rejected, ""},
		{"withdrawn by the requester", requester, state.Cancelled, "withdrawn by the requester"},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			for _, st := range openStages[1:] {
				t.Run(tt.name+", "+st.name, func(t *testing.T) {
					r := newRig(t, b, withPolicy(Policy{Approvers: []string{bob}}))
					p := st.setup(r)
					got, err := r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), tt.user, "")
					if err != nil || got.State != tt.state {
						t.Fatalf("Reject = %s, %v; want %s", got.State, err, tt.state)
					}
					wantEndedByUser(t, r, p, tt.state, tt.user, tt.reason)
					_, err = r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), tt.user, "")
					wantRefused(t, err, "already "+string(tt.state))
				})
			}
		}
	})
}

func TestRejectRefused(t *testing.T) {
	tests := []struct {
		name string
		user string
		key  string
		want string
	}{
		{"not an approver", mallory, "", "not on the list of approvers"},
		{"button of another version", bob, "ag1-v1", "different version"},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b, withPolicy(Policy{Approvers: []string{bob}}))
				p := r.published()
				key := tt.key
				if key == "" {
					key = p.ApprovalKey()
				}
				_, err := r.eng.Reject(r.ctx, p.ID, key, tt.user, "")
				wantRefused(t, err, tt.want)
				r.wantState(p.ID, state.Published)
			})
		}
	})
}

// TestEndNotesRetried: when Slack refuses the final look or the end note,
// the poller posts them later — once — and asks Atoms to abandon again.
func TestEndNotesRetried(t *testing.T) {
	cancel := func(r *rig, p state.Promotion) {
		np, err := r.eng.Cancel(r.ctx, agentID, agentName, requester)
		if err != nil || np.State != state.Cancelled || np.Announced {
			r.t.Fatalf("Cancel = %+v, %v; want cancelled, its notes not out", np, err)
		}
	}
	checkFails := func(r *rig, p state.Promotion) {
		r.plat.setCheck(agentID, p.ID, "failed", "leaks secrets")
		r.ticks(1)
		if np := r.wantState(p.ID, state.Failed); np.Announced {
			r.t.Fatal("end notes recorded as out")
		}
	}
	tests := []struct {
		name    string
		kind    string
		n       int
		end     func(r *rig, p state.Promotion)
		word    string
		note    string
		look    string
		abandon int
	}{
		{"end note refused once", kindPost, 1, cancel, "cancelled", "by <@UREQ>", ":heavy_multiplication_x: Cancelled by <@UREQ>", 2},
		{"final look refused once", kindUpdate, 1, cancel, "cancelled", "by <@UREQ>", ":heavy_multiplication_x: Cancelled by <@UREQ>", 2},
		{"Slack down for a while", kindPost, 3, cancel, "cancelled", "by <@UREQ>", ":heavy_multiplication_x: Cancelled by <@UREQ>", 4},
		{"ended by the poller, end note refused", kindPost, 1, checkFails, "failed", "the security check failed: leaks secrets", ":x: Failed — the security check failed", 2},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := r.published()
				r.slack.failNext(tt.kind, tt.n)
				tt.end(r, p)
				r.poll()
				for range tt.n {
					r.advance(5 * time.Second)
				}
				r.wantEndNote(p, tt.word, tt.note)
				r.wantFinalLook(p, tt.look)
				_, _, _, abandoned, _ := r.plat.snapshot()
				wantCount(t, "Abandon calls", len(abandoned), tt.abandon)
				r.ticks(20)
				r.wantSettled(p)
				r.wantEndNote(p, tt.word, tt.note)
			})
		}
	})
}

// TestAbandonFails: Atoms refusing to undo what a promotion staged does not
// keep it from ending.
func TestAbandonFails(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.plat.failAlways("Abandon", errUnavailable)
		p := r.published()
		if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
			t.Fatal(err)
		}
		r.wantEndNote(p, "cancelled", "by <@UREQ>")
		r.ticks(3)
		r.wantSettled(p)
		wantCount(t, "Abandon calls", r.plat.count("Abandon"), 1)
	})
}

// TestCancelDuringPublish: a cancel that lands while the publish is on its
// way to Atoms still has what the publish set up undone (a scan cancelled,
// a staging branch archived): Abandon runs after the publish.
func TestCancelDuringPublish(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.plat.setModel(platform.ModelV2) // a publish starts a scan
		var once sync.Once
		r.plat.onCall("Publish", func() {
			once.Do(func() {
				if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
					t.Errorf("Cancel: %v", err)
				}
			})
		})
		p := r.promote()
		r.ticks(3)
		r.advance(ambiguousRetry)
		r.wantState(p.ID, state.Cancelled)
		r.wantSettled(p)
		_, publishes, acts, abandoned, _ := r.plat.snapshot()
		if publishes != 1 || len(acts) != 0 {
			t.Fatalf("publishes %d, activations %v; want the one publish, nothing live", publishes, acts)
		}
		if r.plat.leftBehind(agentID, p.ID) {
			t.Errorf("the publish of the cancelled promotion was never abandoned (Abandon calls %v, all before the publish acted)", abandoned)
		}
	})
}
