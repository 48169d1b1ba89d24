package workflow

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestModelSwitch: when Atoms turns out to run the other versioning model
// than the one a promotion was begun on, the promotion fails with a message
// saying why, at whichever step notices — it is never left stuck.
func TestModelSwitch(t *testing.T) {
	tests := []struct {
		name string
		// run switches the model and polls until the step that notices.
		run func(r *rig) state.Promotion
	}{
		{"Stage", func(r *rig) state.Promotion {
			r.plat.fail("Stage", 1, errWrongModel)
			return r.promote()
		}},
		{"Publish (a retry after an unclear answer)", func(r *rig) state.Promotion {
			r.plat.fail("Publish", 1, errUnclear)
			p := r.promote()
			r.plat.setModel(platform.ModelV2)
			r.advance(ambiguousRetry)
			return p
		}},
		{"Refresh", func(r *rig) state.Promotion {
			p := r.published()
			r.plat.setModel(platform.ModelV2)
			r.ticks(1)
			return p
		}},
		{"Activate", func(r *rig) state.Promotion {
			p := r.published()
			r.approve(p, bob)
			r.plat.fail("Activate", 1, errWrongModel)
			r.advance(6 * time.Second)
			return p
		}},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := tt.run(r)
				np := r.wantState(p.ID, state.Failed)
				for _, want := range []string{"Atoms switched versioning model while this promotion was in flight (", "versioning model", "); nothing went live, promote the draft again"} {
					if !strings.Contains(np.Reason, want) {
						t.Errorf("reason %q lacks %q", np.Reason, want)
					}
				}
				r.wantEndNote(p, "failed", "Atoms switched versioning model")
				if np.MessageTS != "" {
					r.wantFinalLook(p, ":x: Failed — Atoms switched versioning model")
				}
				_, _, acts, abandoned, _ := r.plat.snapshot()
				if len(acts) != 0 || !slices.Equal(abandoned, []string{p.ID}) {
					t.Errorf("activations %v, abandoned %v; want none and [%s]", acts, abandoned, p.ID)
				}
				if n := len(r.slack.of(kindAnnounce)); n != 0 {
					t.Errorf("%d announcements", n)
				}
				r.ticks(10)
				r.wantSettled(p)

				// The agent takes a promotion on the model Atoms runs now.
				r.plat.setModel(platform.ModelV2)
				r.plat.reopenDraft(agentID)
				if next := r.promote(); next.State != state.Published || next.Platform != "v2" {
					t.Errorf("next promotion is %s on %q, want published on v2", next.State, next.Platform)
				}
			})
		}
	})
}

// TestPromotionStoredBeforeModels: a promotion stored before promotions
// recorded their versioning model is the drafts model's (v1): it goes on
// where Atoms still runs v1 and fails clearly where it runs v2.
func TestPromotionStoredBeforeModels(t *testing.T) {
	tests := []struct {
		name  string
		model platform.Model
		state state.PromotionState
	}{
		{"Atoms still on v1", platform.ModelV1, state.Live},
		{"Atoms now on v2", platform.ModelV2, state.Failed},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				v := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
				r.plat.setModel(tt.model)
				old := state.Promotion{
					ID: "pr_legacy", AgentID: agentID, AgentName: agentName, Kind: state.KindRollback,
					VersionID: v.ID, VersionNumber: v.Number, PreviousVersionID: "ag1-v1",
					Requester: requester, Channel: deploys, MessageTS: "1699999999.000001",
					State: state.Published, CheckStatus: "passed", CreatedAt: r.clk.Now(), PublishedAt: r.clk.Now(),
				}
				if _, err := r.store.CreatePromotion(r.ctx, old, time.Hour, "", 0); err != nil {
					t.Fatal(err)
				}
				if _, _, err := r.store.Approve(r.ctx, old.ID, state.Approval{UserID: bob, VersionID: v.ID}); err != nil {
					t.Fatal(err)
				}
				r.poll()
				np := r.wantState(old.ID, tt.state)
				if tt.state == state.Failed && !strings.Contains(np.Reason, "Atoms switched versioning model") {
					t.Errorf("reason %q does not explain the model switch", np.Reason)
				}
				r.wantSettled(old)
			})
		}
	})
}
