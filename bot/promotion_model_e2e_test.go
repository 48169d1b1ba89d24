package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
)

// A promotion stored without the versioning model it was begun on (stored
// before promotions recorded it) is a v1 one: it goes on as v1 while Atoms
// runs v1, and ends as failed, saying why, once Atoms runs the branch model
// — never stuck.
func TestPromotionWithoutRecordedModel(t *testing.T) {
	tests := []struct {
		name      string
		switchTo2 bool
		want      state.PromotionState
		words     string
	}{
		{"goes live on v1", false, state.Live, "is live"},
		{"ends clearly after the switch to branches", true, state.Failed, "switched versioning model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, func(c *harnessConfig) { c.api = "auto" })
				ctx := t.Context()
				p := publishPending(t, h.atomsClient(), "stored-agent", h.clock.Now())
				if p.Platform != "" || p.ReleaseKey != "" || p.Token != "" {
					t.Fatalf("not a promotion of the old schema: %+v", p)
				}
				if _, err := h.bot.store.CreatePromotion(ctx, p, time.Hour, "", 0); err != nil {
					t.Fatal(err)
				}
				if _, _, err := h.bot.store.Approve(ctx, p.ID, state.Approval{UserID: bob, VersionID: p.VersionID}); err != nil {
					t.Fatal(err)
				}
				if tt.switchTo2 {
					h.sim.SetBranchModel(true)
				}
				for range 5 {
					h.advance(7 * time.Second)
				}
				got, err := h.bot.store.Promotion(ctx, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State != tt.want {
					t.Fatalf("state %s (%s), want %s:%s", got.State, got.Reason, tt.want, h.dump())
				}
				if !strings.Contains(h.dump(), tt.words) && !strings.Contains(got.Reason, tt.words) {
					t.Errorf("nobody was told %q: reason %q%s", tt.words, got.Reason, h.dump())
				}
				if holder, _ := h.bot.store.LockHolder(ctx, state.AgentLock(p.AgentID)); holder != "" {
					t.Errorf("the agent is still locked by %s", holder)
				}
			})
		})
	}
}
