package workflow

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

func (r *rig) rollbackReq(versionID string) RollbackRequest {
	return RollbackRequest{
		Agent: r.plat.agent(agentID), Version: r.plat.version(agentID, versionID),
		Requester: requester, Channel: deploys,
	}
}

// rollback rolls back to versionID and takes it live.
func (r *rig) rollback(versionID string) state.Promotion {
	r.t.Helper()
	p, err := r.eng.Rollback(r.ctx, r.rollbackReq(versionID))
	if err != nil {
		r.t.Fatalf("Rollback to %s: %v", versionID, err)
	}
	if p.State != state.Published || p.Kind != state.KindRollback || p.VersionID != versionID || p.MessageTS == "" {
		r.t.Fatalf("rollback = %+v, want a published rollback to %s with its approval request", p, versionID)
	}
	r.approve(p, bob)
	r.poll()
	return r.wantState(p.ID, state.Live)
}

// TestRollbackBothWays: promote v2, roll back to v1, then roll back the
// rollback to v2; each activation is announced once, the rollbacks as such.
// Run with and without the platform saying when a version went live.
func TestRollbackBothWays(t *testing.T) {
	for _, tc := range []struct {
		name          string
		noActivatedAt bool
	}{
		{"Live says when", false},
		{"Live does not say when", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			statetest.Each(t, func(t *testing.T, b statetest.Backend) {
				r := newRig(t, b)
				r.plat.noActivatedAt = tc.noActivatedAt
				r.live(r.published())
				r.wantAnnounced(1, "Support Bot v2")

				r.clk.Advance(time.Hour)
				back := r.rollback("ag1-v1")
				if r.plat.liveID(agentID) != "ag1-v1" {
					t.Fatalf("platform serves %s after the rollback", r.plat.liveID(agentID))
				}
				msg, _ := r.slack.message(deploys, back.MessageTS)
				for _, want := range []string{"Rollback: Support Bot → v1", "a rollback to an earlier version", ":white_check_mark: passed"} {
					if !strings.Contains(msg.Text(), want) {
						t.Errorf("rollback approval request lacks %q:\n%s", want, msg.Text())
					}
				}
				got := r.wantAnnounced(2, "is live")
				if !strings.Contains(got[1].Text(), "Support Bot v1") || !strings.Contains(got[1].Text(), "(rollback)") {
					t.Errorf("rollback announcement %q, want v1 as a rollback", got[1].Text())
				}
				r.wantSettled(back)

				r.clk.Advance(time.Hour)
				again := r.rollback("ag1-v2")
				if r.plat.liveID(agentID) != "ag1-v2" {
					t.Fatalf("platform serves %s after rolling the rollback back", r.plat.liveID(agentID))
				}
				got = r.wantAnnounced(3, "is live")
				if !strings.Contains(got[2].Text(), "Support Bot v2") || !strings.Contains(got[2].Text(), "(rollback)") {
					t.Errorf("announcement of the rollback of the rollback %q, want v2 as a rollback", got[2].Text())
				}
				if np := r.get(again.ID); !np.Announced {
					t.Error("rollback of the rollback not recorded as announced")
				}
				r.wantSettled(again)
			})
		})
	}
}

func TestRollbackRefused(t *testing.T) {
	tests := []struct {
		name    string
		req     func(r *rig) RollbackRequest
		refused string // a *RefusedError with this
		err     error  // else an error that is this
		holder  bool   // else an *InFlightError
	}{
		{
			name:    "to the live version",
			req:     func(r *rig) RollbackRequest { return r.rollbackReq("ag1-v1") },
			refused: "v1 is already the active version of Support Bot.",
		},
		{
			name: "to a version the platform reports live",
			req: func(r *rig) RollbackRequest {
				req := r.rollbackReq(r.plat.addVersion(agentID, platform.Check{Status: "passed"}).ID)
				req.Version.Live = true
				return req
			},
			refused: "already the active version",
		},
		{
			name: "its check did not pass",
			req: func(r *rig) RollbackRequest {
				return r.rollbackReq(r.plat.addVersion(agentID, platform.Check{Status: "failed", Reason: "leaks secrets"}).ID)
			},
			refused: "v2 cannot go live: its security check has not passed (status: failed).",
		},
		{
			name: "Atoms unavailable",
			req: func(r *rig) RollbackRequest {
				r.plat.fail("PrepareRollback", 1, errUnavailable)
				return r.rollbackReq(r.plat.addVersion(agentID, platform.Check{Status: "passed"}).ID)
			},
			err: platform.ErrUnavailable,
		},
		{
			name: "a promotion in flight",
			req: func(r *rig) RollbackRequest {
				r.published()
				return r.rollbackReq(r.plat.addVersion(agentID, platform.Check{Status: "passed"}).ID)
			},
			holder: true,
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				req := tt.req(r)
				before := len(r.slack.of(""))
				_, err := r.eng.Rollback(r.ctx, req)
				switch {
				case tt.refused != "":
					wantRefused(t, err, tt.refused)
				case tt.err != nil:
					var re *RefusedError
					if !errors.Is(err, tt.err) || errors.As(err, &re) {
						t.Fatalf("err = %v, want %v and not a refusal", err, tt.err)
					}
				default:
					var ife *InFlightError
					if !errors.As(err, &ife) || ife.Holder.ID == "" {
						t.Fatalf("err = %v, want *InFlightError naming the holder", err)
					}
					return
				}
				if n := len(r.slack.of("")); n != before {
					t.Errorf("%d Slack calls for a refused rollback", n-before)
				}
				if h, _ := r.store.LockHolder(r.ctx, state.AgentLock(agentID)); h != "" {
					t.Errorf("agent locked by %q after a refused rollback", h)
				}
			})
		}
	})
}

// TestRollbackObservesNoCheckWait: a rollback waits for no security check
// (its version passed long ago), so it adds nothing to the check-wait
// metric; a promotion adds its own wait.
func TestRollbackObservesNoCheckWait(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.live(r.published())
		if w := r.metrics.checkWaits; len(w) != 1 || w[0] != 6*time.Second {
			t.Fatalf("check waits after the promotion %v, want [6s]", w)
		}
		r.clk.Advance(7 * 24 * time.Hour)
		r.rollback("ag1-v1")
		if w := r.metrics.checkWaits; len(w) != 1 {
			t.Errorf("check waits after the rollback %v: the rollback observed a wait of %s", w, w[len(w)-1])
		}
	})
}
