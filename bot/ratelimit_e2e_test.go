package bot

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// All Atoms calls of a process share one rate limiter: however many
// promotions are pending, the poller never sends Atoms more than ATOMS_RPS
// (beyond the limiter's one-second burst).
func TestPollerRespectsAtomsRateLimit(t *testing.T) {
	const (
		rps     = 5
		pending = 20
	)
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := t.Context()
		setup, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, RPS: 1e6, Sleep: noSleep})
		if err != nil {
			t.Fatal(err)
		}
		store := h.bot.store
		for i := range pending {
			p := publishPending(t, setup, fmt.Sprintf("rate-agent-%02d", i), h.clock.Now())
			if _, err := store.CreatePromotion(ctx, p, time.Hour, "", 0); err != nil {
				t.Fatal(err)
			}
			if _, _, err := store.Approve(ctx, p.ID, state.Approval{UserID: bob, VersionID: p.VersionID}); err != nil {
				t.Fatal(err)
			}
		}

		// The limiter's waits move the shared clock to when the token is due,
		// as a real sleep would.
		var mu sync.Mutex
		sleep := func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			h.clock.Advance(d)
			return nil
		}
		limited, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, RPS: rps, Now: h.clock.Now, Sleep: sleep})
		if err != nil {
			t.Fatal(err)
		}
		sc := slackweb.New(slackweb.Options{Token: testToken, APIURL: h.slackURL + "/", Sleep: noSleep})
		eng := workflow.New(h.platformOf(limited, h.clock.Now), store, sc, workflow.Config{
			Policy: h.cfg.policy, PollInterval: time.Second, Now: h.clock.Now, Owner: "limited", RPS: rps,
		})
		h.sim.ResetCalls()
		start := h.clock.Now()
		for range 400 {
			if _, err := eng.PollOnce(ctx); err != nil {
				t.Fatal(err)
			}
			if h.state().CountText("is live") == pending {
				break
			}
			h.clock.Advance(250 * time.Millisecond)
		}
		if n := h.state().CountText("is live"); n != pending {
			t.Fatalf("%d of %d promotions went live", n, pending)
		}
		// The test's clock jumps as the poller's workers sleep concurrently,
		// so the limiter may see their reads of it slightly out of order and
		// let one extra call per worker through; a limiter that was not
		// shared, or not there, is off by far more (200 calls in 6 s).
		const slack = 8 // poller workers
		calls := h.sim.Calls()
		elapsed := h.clock.Now().Sub(start).Seconds()
		if max := rps + rps*elapsed + slack; float64(len(calls)) > max {
			t.Fatalf("%d Atoms calls in %.1fs: more than the burst plus %d/s allow (%.0f)", len(calls), elapsed, rps, max)
		}
		for i := range calls {
			in := 0
			for _, c := range calls[i:] {
				if c.At.Sub(calls[i].At) < 2*time.Second {
					in++
				}
			}
			if in > rps+2*rps+slack {
				t.Fatalf("%d calls within 2s from %s: more than burst+2s×%d", in, calls[i].At, rps)
			}
		}
		t.Logf("%d promotions, %d Atoms calls over %.1fs of simulated time (%.1f/s)", pending, len(calls), elapsed, float64(len(calls))/elapsed)
	})
}

// publishPending creates an agent whose new version was just published (its
// security check running) and the promotion that waits for it.
func publishPending(t *testing.T, c *atoms.Client, name string, now time.Time) state.Promotion {
	t.Helper()
	ctx := t.Context()
	id, err := c.CreateAgent(ctx, atoms.CreateAgentRequest{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.GetAgent(ctx, id, atoms.GetAgentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateDraft(ctx, id, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID})
	if err != nil {
		t.Fatal(err)
	}
	greeting := "Hello from " + name
	if _, err := c.UpdateDraftConfig(ctx, id, d.DraftID, atoms.ConfigPatch{FirstMessage: &greeting}); err != nil {
		t.Fatal(err)
	}
	v, err := c.PublishDraft(ctx, id, d.DraftID, atoms.PublishRequest{Label: "rate test"})
	if err != nil {
		t.Fatal(err)
	}
	return state.Promotion{
		ID: workflow.NewPromotionID(), AgentID: id, AgentName: name, VersionID: v.ID, VersionNumber: v.VersionNumber,
		PreviousVersionID: a.ActiveVersionID, Kind: state.KindRollback, Requester: alice, Channel: testChannel,
		State: state.Published, CheckStatus: atoms.CheckPending, CreatedAt: now, PublishedAt: now,
	}
}
