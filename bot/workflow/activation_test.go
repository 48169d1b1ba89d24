package workflow

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestActivation takes an approved promotion whose check passes through
// Activate, the verification on Live, Tidy and the announcement, for every
// answer the platform can give on the way.
func TestActivation(t *testing.T) {
	var v3 platform.Version
	tests := []struct {
		name  string
		setup func(r *rig) // before the check passes
		ticks int          // polls after the check passed
		// Live: what the promotion ends as; reason for a failure.
		state  state.PromotionState
		reason string
		// activations: the versions Activate made live; calls: Activate calls.
		activations []string
		calls       int
		// states: the promotion's transitions, in order.
		states []state.PromotionState
	}{
		{
			name:  "verified on Live",
			state: state.Live, activations: []string{"ag1-v2"}, calls: 1,
			states: []state.PromotionState{state.Requested, state.Published, state.Activating, state.Live},
		},
		{
			name:  "read lag within the grace",
			setup: func(r *rig) { r.plat.lagLive(agentID, 3) },
			ticks: 3, state: state.Live, activations: []string{"ag1-v2"}, calls: 4,
		},
		{
			name:  "never shows up as live",
			setup: func(r *rig) { r.plat.lagLive(agentID, 1000) },
			ticks: 61, state: state.Failed, activations: []string{"ag1-v2"},
			reason: "activation did not take: Atoms reports v1 as the live version",
		},
		{
			name:  "no version live at all",
			setup: func(r *rig) { r.plat.failAlways("Live", platform.Errorf(platform.ErrNotFound, "no live version")) },
			ticks: 61, state: state.Failed, activations: []string{"ag1-v2"},
			reason: "activation did not take: Atoms reports no version as the live version",
		},
		{
			name: "refused as check pending: back to waiting, then live",
			setup: func(r *rig) {
				r.plat.queue("Activate", fakeOutcome{err: &platform.Error{Kind: platform.ErrCheckPending, Err: errors.New("400 security check pending")}})
			},
			ticks: 1, state: state.Live, activations: []string{"ag1-v2"}, calls: 2,
			states: []state.PromotionState{state.Requested, state.Published, state.Activating, state.Published, state.Activating, state.Live},
		},
		{
			name:  "temporary errors retried",
			setup: func(r *rig) { r.plat.fail("Activate", 3, errUnavailable) },
			ticks: 6, state: state.Live, activations: []string{"ag1-v2"}, calls: 4,
			states: []state.PromotionState{state.Requested, state.Published, state.Activating, state.Live},
		},
		{
			name:  "unclear answer after it acted",
			setup: func(r *rig) { r.plat.queue("Activate", fakeOutcome{err: errUnclear, act: true}) },
			ticks: 2, state: state.Live, activations: []string{"ag1-v2"}, calls: 2,
		},
		{
			name:  "verification read unavailable",
			setup: func(r *rig) { r.plat.fail("Live", 2, errUnavailable) },
			ticks: 4, state: state.Live, activations: []string{"ag1-v2"}, calls: 3,
		},
		{
			name: "a dashboard change races the activation",
			setup: func(r *rig) {
				v3 = r.plat.addVersion(agentID, platform.Check{Status: "passed"})
				r.plat.onCall("Activate", func() {
					r.plat.onCall("Activate", nil)
					r.plat.activateElsewhere(agentID, v3.ID, "Dana")
				})
			},
			state: state.Failed, calls: 1,
			reason: "nothing went live: the active version changed since the approvers looked (someone activated another version outside this request)",
		},
		{
			name: "the release's branch head moved",
			setup: func(r *rig) {
				r.plat.fail("Activate", 1, &platform.MovedError{What: "someone published on branch “main” after the approval; its head is no longer the approved revision"})
			},
			state: state.Failed, calls: 1,
			reason: "nothing went live: someone published on branch “main” after the approval; its head is no longer the approved revision",
		},
		{
			name: "refused for a clear reason",
			setup: func(r *rig) {
				r.plat.fail("Activate", 1, refusedErr("Atoms refused to make branch “main” live: forbidden"))
			},
			state: state.Failed, calls: 1,
			reason: "activation refused: Atoms refused to make branch “main” live: forbidden",
		},
		{
			name: "someone else's version live right after ours: activated again",
			setup: func(r *rig) {
				v3 = r.plat.addVersion(agentID, platform.Check{Status: "passed"})
				r.plat.queue("Activate", fakeOutcome{act: true, after: func() { r.plat.activateElsewhere(agentID, v3.ID, "Dana") }})
			},
			ticks: 1, state: state.Live, activations: []string{"ag1-v2", "ag1-v2"}, calls: 2,
		},
		{
			name:  "Tidy fails: still live",
			setup: func(r *rig) { r.plat.fail("Tidy", 1, errUnavailable) },
			state: state.Live, activations: []string{"ag1-v2"}, calls: 1,
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := r.published()
				r.approve(p, bob)
				if tt.setup != nil {
					tt.setup(r)
				}
				r.advance(6 * time.Second)
				r.ticks(tt.ticks)
				np := r.wantState(p.ID, tt.state)
				_, _, acts, abandoned, tidied := r.plat.snapshot()
				if !slices.Equal(acts, tt.activations) {
					t.Errorf("activations %v, want %v", acts, tt.activations)
				}
				if tt.calls > 0 {
					wantCount(t, "Activate calls", r.plat.count("Activate"), tt.calls)
				}
				if tt.states != nil && !slices.Equal(r.metrics.states(), tt.states) {
					t.Errorf("transitions %v, want %v", r.metrics.states(), tt.states)
				}
				r.poll()
				r.wantSettled(p)
				if tt.state == state.Live {
					if !slices.Equal(tidied, []string{p.ID}) || len(abandoned) != 0 {
						t.Errorf("tidied %v, abandoned %v; want [%s] and none", tidied, abandoned, p.ID)
					}
					if r.plat.liveID(agentID) != "ag1-v2" || np.VersionID != "ag1-v2" || !np.Announced {
						t.Errorf("platform serves %s; promotion %+v", r.plat.liveID(agentID), np)
					}
					r.wantAnnounced(1, "Support Bot v2 “Main draft (promoted by Rita via atomsbot)” is live")
					wantCount(t, "“verified” notes", r.threadHas(p, ":rocket: Activated v2 and verified that Atoms serves it."), 1)
					r.wantFinalLook(p, ":rocket: Live since")
					return
				}
				if np.Reason != tt.reason {
					t.Errorf("reason = %q, want %q", np.Reason, tt.reason)
				}
				if n := len(r.slack.of(kindAnnounce)); n != 0 {
					t.Errorf("%d announcements of a failed activation", n)
				}
				if len(tidied) != 0 || !slices.Equal(abandoned, []string{p.ID}) {
					t.Errorf("tidied %v, abandoned %v; want none and [%s]", tidied, abandoned, p.ID)
				}
				r.wantEndNote(p, "failed", tt.reason)
				r.wantFinalLook(p, ":x: Failed — "+tt.reason)
			})
		}
	})
}

// TestActivationGrace: a version that does not show up as live is given one
// minute from the activation, not more.
func TestActivationGrace(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.approve(p, bob)
		r.plat.lagLive(agentID, 1000)
		r.advance(6 * time.Second)
		activating := r.wantState(p.ID, state.Activating)
		r.clk.Set(activating.UpdatedAt.Add(activationGrace - time.Second))
		r.poll()
		r.wantState(p.ID, state.Activating)
		r.clk.Set(activating.UpdatedAt.Add(activationGrace))
		r.poll()
		r.wantState(p.ID, state.Failed)
	})
}

// TestActivationLockHeld: while activating, the agent stays locked (a second
// promotion is refused) however long Atoms is down.
func TestActivationLockHeld(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.plat.failAlways("Activate", errUnavailable)
		p := r.published()
		r.approve(p, bob)
		r.advance(6 * time.Second)
		r.advance(time.Hour)
		r.wantState(p.ID, state.Activating)
		r.plat.reopenDraft(agentID)
		_, err := r.eng.Promote(r.ctx, r.promoteReq(agentID))
		var ife *InFlightError
		if !errors.As(err, &ife) || ife.Holder.ID != p.ID {
			t.Fatalf("promotion while activating: %v, want *InFlightError held by %s", err, p.ID)
		}
		if got, want := r.due(p), r.clk.Now().Add(2*time.Second); !got.Equal(want) {
			t.Errorf("activation retried at %s, want %s", got, want)
		}
		r.plat.failAlways("Activate", nil)
		r.ticks(2)
		r.wantState(p.ID, state.Live)
		if !strings.Contains(r.wantAnnounced(1, "is live")[0].Text(), "approved by <@UBOB>") {
			t.Error("announcement does not name the approver")
		}
	})
}

// TestFinalLookAfterLive: when Slack refuses the update that gives the
// approval message its live look, it is made later; the message does not
// keep showing the buttons of an open promotion.
func TestFinalLookAfterLive(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		var once sync.Once
		r.slack.on(kindUpdate, func(c slackCall) {
			if strings.Contains(c.Text(), ":rocket: Live") {
				once.Do(func() { r.slack.failNext(kindUpdate, 1) })
			}
		})
		p := r.live(r.published())
		r.ticks(10)
		r.wantAnnounced(1, "Support Bot v2")
		r.wantFinalLook(p, ":rocket: Live since")
	})
}

// TestActivationKeepsProgress: what Activate did before it failed is
// recorded, so the next attempt builds on it: here, made live once and then
// changed by someone else, the release is made live again instead of being
// refused as moved.
func TestActivationKeepsProgress(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		v3 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
		r.approve(p, bob)
		r.plat.queue("Activate", fakeOutcome{act: true, err: errUnavailable, after: func() {
			r.plat.activateElsewhere(agentID, v3.ID, "Dana")
		}})
		r.advance(6 * time.Second)
		if np := r.wantState(p.ID, state.Activating); np.Token != activatedToken {
			t.Fatalf("token after a failed attempt that acted %q, want %q", np.Token, activatedToken)
		}
		r.ticks(2)
		r.wantState(p.ID, state.Live)
		_, _, acts, _, _ := r.plat.snapshot()
		if !slices.Equal(acts, []string{"ag1-v2", "ag1-v2"}) {
			t.Errorf("activations %v, want ag1-v2 twice", acts)
		}
		r.wantAnnounced(1, "Support Bot v2")
	})
}
