package workflow

import (
	"slices"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestExpiry: a promotion not approved within APPROVAL_TTL expires, at
// whatever stage it waits.
func TestExpiry(t *testing.T) {
	tests := []struct {
		name   string
		policy Policy
		setup  func(r *rig) state.Promotion
	}{
		{"requested (the publish never answers clearly)", Policy{}, func(r *rig) state.Promotion {
			r.plat.failAlways("Publish", errUnclear)
			return r.promote()
		}},
		{"published, check pending", Policy{}, func(r *rig) state.Promotion {
			r.plat.checkAfter = 0
			return r.published()
		}},
		{"published, check passed, no approval", Policy{}, func(r *rig) state.Promotion {
			p := r.published()
			r.advance(6 * time.Second)
			return p
		}},
		{"published, one approval of two", Policy{Required: 2}, func(r *rig) state.Promotion {
			p := r.published()
			r.approve(p, bob)
			r.advance(6 * time.Second)
			return p
		}},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.policy.TTL = time.Hour
				r := newRig(t, b, withPolicy(tt.policy), func(c *Config) { c.CheckTimeout = 2 * time.Hour })
				p := tt.setup(r)
				r.clk.Set(t0.Add(time.Hour - time.Second))
				r.poll()
				if got := r.get(p.ID).State; got.Done() {
					t.Fatalf("promotion is %s before its expiry", got)
				}
				if r.get(p.ID).State == state.Published {
					// The next look is never later than the expiry.
					if due := r.due(p); due.After(t0.Add(time.Hour)) {
						t.Errorf("next look at %s, after the expiry", due)
					}
					r.clk.Set(t0.Add(time.Hour))
				} else {
					// A publish retry is due at most ambiguousRetry after.
					r.clk.Set(t0.Add(time.Hour + ambiguousRetry))
				}
				r.poll()
				np := r.wantState(p.ID, state.Expired)
				if np.Reason != "not approved within 1h0m0s" {
					t.Errorf("reason = %q", np.Reason)
				}
				r.wantEndNote(p, "expired", "not approved within 1h0m0s")
				if np.MessageTS != "" {
					r.wantFinalLook(p, ":hourglass: Expired — not approved within 1h0m0s")
				}
				_, _, acts, abandoned, _ := r.plat.snapshot()
				if len(acts) != 0 || !slices.Equal(abandoned, []string{p.ID}) {
					t.Errorf("activations %v, abandoned %v; want none and [%s]", acts, abandoned, p.ID)
				}
				r.ticks(5)
				r.wantSettled(p)
			})
		}
	})
}
