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

// TestSecurityCheck follows a published version's security check to each of
// its ends, as the poller reads it through Refresh.
func TestSecurityCheck(t *testing.T) {
	tests := []struct {
		name   string
		tune   func(c *Config)
		setup  func(r *rig)
		during func(r *rig, p state.Promotion) // once published
		state  state.PromotionState
		reason string
	}{
		{
			name:   "failed with a reason",
			during: func(r *rig, p state.Promotion) { r.plat.setCheck(agentID, p.ID, "FAILED", "prompt injection detected") },
			state:  state.Failed, reason: "the security check FAILED: prompt injection detected",
		},
		{
			name:   "errored",
			during: func(r *rig, p state.Promotion) { r.plat.setCheck(agentID, p.ID, "errored", "") },
			state:  state.Failed, reason: "the security check errored",
		},
		{
			name:   "never finishes",
			setup:  func(r *rig) { r.plat.checkAfter = 0 },
			during: func(r *rig, p state.Promotion) { r.clk.Advance(10 * time.Minute) },
			state:  state.Failed, reason: "the security check did not finish within 10m0s",
		},
		{
			name:   "never finishes within a shorter SECURITY_CHECK_TIMEOUT",
			tune:   func(c *Config) { c.CheckTimeout = 2 * time.Minute },
			setup:  func(r *rig) { r.plat.checkAfter = 0 },
			during: func(r *rig, p state.Promotion) { r.clk.Advance(2 * time.Minute) },
			state:  state.Failed, reason: "the security check did not finish within 2m0s",
		},
		{
			name: "the version is gone",
			during: func(r *rig, p state.Promotion) {
				r.plat.fail("Refresh", 1, platform.Errorf(platform.ErrNotFound, "the published version is gone from Atoms"))
			},
			state: state.Failed, reason: "the published version is gone from Atoms",
		},
		{
			name: "the platform refuses to say",
			during: func(r *rig, p state.Promotion) {
				r.plat.fail("Refresh", 1, refusedErr("this version belongs to another agent"))
			},
			state: state.Failed, reason: "this version belongs to another agent",
		},
		{
			name:   "Atoms unavailable for a while, then passed",
			during: func(r *rig, p state.Promotion) { r.plat.fail("Refresh", 3, errUnavailable) },
			state:  state.Published,
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var tune []func(*Config)
				if tt.tune != nil {
					tune = append(tune, tt.tune)
				}
				r := newRig(t, b, tune...)
				if tt.setup != nil {
					tt.setup(r)
				}
				p := r.published()
				if p.CheckStatus != "pending" {
					t.Errorf("check recorded as %q, want pending", p.CheckStatus)
				}
				tt.during(r, p)
				r.ticks(8)
				np := r.wantState(p.ID, tt.state)
				if tt.state == state.Published {
					if np.CheckStatus != "passed" || r.plat.count("Refresh") < 4 {
						t.Errorf("check %q after %d reads, want passed after the outage", np.CheckStatus, r.plat.count("Refresh"))
					}
					return
				}
				if np.Reason != tt.reason {
					t.Errorf("reason = %q, want %q", np.Reason, tt.reason)
				}
				r.wantFinalLook(p, ":x: Failed — "+tt.reason)
				r.wantEndNote(p, "failed", tt.reason)
				_, _, acts, abandoned, _ := r.plat.snapshot()
				if len(acts) != 0 || !slices.Equal(abandoned, []string{p.ID}) {
					t.Errorf("activations %v, abandoned %v; want none and [%s]", acts, abandoned, p.ID)
				}
				if n := len(r.slack.of(kindAnnounce)); n != 0 {
					t.Errorf("%d announcements of a version that failed", n)
				}
				r.poll()
				r.wantSettled(p)
			})
		}
	})
}

func TestSecurityCheckPassed(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		first, _ := r.slack.message(deploys, p.MessageTS)
		if !strings.Contains(first.Text(), "Waiting for the security check and 1 more approval") {
			t.Errorf("approval request does not say what it waits for:\n%s", first.Text())
		}
		r.ticks(5)
		wantCount(t, "“passed” notes while pending", r.threadHas(p, "passed"), 0)
		r.ticks(1)
		np := r.wantState(p.ID, state.Published)
		if np.CheckStatus != "passed" || !np.CheckPassedAt.Equal(t0.Add(6*time.Second)) {
			t.Errorf("check %q passed at %s, want passed at %s", np.CheckStatus, np.CheckPassedAt, t0.Add(6*time.Second))
		}
		wantCount(t, "“passed” notes", r.threadHas(p, ":white_check_mark: The security check of v2 passed."), 1)
		up, _ := r.slack.lastUpdate(deploys, p.MessageTS)
		if !strings.Contains(up.Text(), ":white_check_mark: passed") || !strings.Contains(up.Text(), "Waiting for 1 more approval") {
			t.Errorf("approval message not refreshed to the passed check:\n%s", up.Text())
		}
		// Without approvals it looks again a minute later (the safety net
		// for a lost approval poke), not every second.
		if got, want := r.due(p), r.clk.Now().Add(approvalRecheck); !got.Equal(want) {
			t.Errorf("next look at %s, want %s", got, want)
		}
		r.ticks(3)
		wantCount(t, "“passed” notes after more polls", r.threadHas(p, "passed."), 1)

		r.approve(p, bob)
		r.poll()
		r.wantState(p.ID, state.Live)
		if w := r.metrics.checkWaits; len(w) != 1 || w[0] != 6*time.Second {
			t.Errorf("check waits observed %v, want [6s]", w)
		}
	})
}

// TestSecurityCheckPollSchedule: every POLL_INTERVAL while the check is
// young, then doubling every 30 s up to 15 s, never past the expiry.
func TestSecurityCheckPollSchedule(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b, withPolicy(Policy{Required: 1, TTL: 5 * time.Minute}))
		r.plat.checkAfter = 0
		p := r.published()
		steps := []struct {
			waited time.Duration
			delay  time.Duration
		}{
			{1 * time.Second, time.Second},
			{29 * time.Second, time.Second},
			{30 * time.Second, 2 * time.Second},
			{60 * time.Second, 4 * time.Second},
			{90 * time.Second, 8 * time.Second},
			{120 * time.Second, 15 * time.Second},
			{4 * time.Minute, 15 * time.Second},
			{5*time.Minute - 5*time.Second, 5 * time.Second}, // the expiry comes first
		}
		for _, s := range steps { // each step is due by the one before
			r.clk.Set(t0.Add(s.waited))
			r.poll()
			if got, want := r.due(p), r.clk.Now().Add(s.delay); !got.Equal(want) {
				t.Errorf("after waiting %s: next look at +%s, want +%s", s.waited, got.Sub(r.clk.Now()), s.delay)
			}
		}
		r.clk.Set(t0.Add(5 * time.Minute))
		r.poll()
		r.wantState(p.ID, state.Expired)
	})
}

// TestSecurityCheckAfterDeadline: a promotion approved in time does not
// expire while its check is still running; it goes live when it passes.
func TestSecurityCheckAfterDeadline(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b, withPolicy(Policy{Required: 1, TTL: time.Minute}))
		r.plat.checkAfter = 3 * time.Minute
		p := r.published()
		r.approve(p, bob)
		r.advance(time.Minute)
		r.wantState(p.ID, state.Published)
		r.clk.Set(t0.Add(3 * time.Minute))
		for range 3 {
			r.poll()
			r.clk.Advance(15 * time.Second)
		}
		r.wantState(p.ID, state.Live)
		r.wantAnnounced(1, "Support Bot v2")
	})
}
