package workflow

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestThreadNotesStateWhenEachStepHappened: every note on a step of a
// promotion (approved, check passed, activated, rejected) carries the full
// date and time of that step as a Slack date, with a UTC fallback; an end
// note retried later still states when the promotion ended.
func TestThreadNotesStateWhenEachStepHappened(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		// stamped is the note in p's thread containing sub; it fails unless
		// the note carries exactly the timestamp of at.
		stamped := func(t *testing.T, r *rig, p state.Promotion, sub string, at time.Time) {
			t.Helper()
			want := render.Timestamp(at)
			if !strings.Contains(want, "{date_short_pretty} at {time}|"+at.UTC().Format("2006-01-02 15:04")+" UTC>") {
				t.Fatalf("timestamp %q is not a full Slack date with a UTC fallback", want)
			}
			found := 0
			for _, c := range r.slack.thread(p.Channel, r.get(p.ID).MessageTS) {
				if !strings.Contains(c.Msg.Text, sub) {
					continue
				}
				found++
				if !strings.Contains(c.Text(), want) {
					t.Errorf("note %q does not state %s:\n%s", sub, want, c.Text())
				}
			}
			if found != 1 {
				t.Errorf("%d notes say %q, want 1", found, sub)
			}
		}

		t.Run("promotion to live", func(t *testing.T) {
			r := newRig(t, b)
			p := r.published()
			r.clk.Advance(90 * time.Second)
			approvedAt := r.clk.Now()
			r.approve(p, bob)
			r.advance(r.plat.checkAfter)
			np := r.wantState(p.ID, state.Live)
			stamped(t, r, p, "Approved by <@"+bob+">", approvedAt)
			stamped(t, r, p, "The security check of v2 passed.", np.CheckPassedAt)
			stamped(t, r, p, "Activated v2 and verified", np.ActivatedAt)
		})
		t.Run("rejected, end note retried later", func(t *testing.T) {
			r := newRig(t, b)
			p := r.published()
			r.clk.Advance(time.Minute)
			r.slack.failNext("post", 1) // the end note does not get through at first
			if _, err := r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), bob, ""); err != nil {
				t.Fatal(err)
			}
			ended := r.get(p.ID).EndedAt
			for range 10 {
				r.advance(time.Minute)
			}
			if !r.get(p.ID).Announced {
				t.Fatalf("the end note never went out")
			}
			stamped(t, r, p, "rejected by <@"+bob+">", ended)
		})
	})
}
