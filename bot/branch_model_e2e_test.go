package bot

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

func TestBranchModelPromoteFeatureBranch(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		feature := h.branch(a.ID, "Refund policy update")
		main := h.liveBranch(a.ID)
		rec := h.bot.command(alice, `promote support-concierge "Refund policy update" refund wording`)
		if rec.Code != 200 {
			t.Fatalf("promote: %d %s", rec.Code, rec.Body)
		}
		ts := h.approvalMessage().TS
		msg := string(h.approvalMessage().Blocks)
		for _, want := range []string{"Approve", "Reject", "Refund policy update/v1", "Refunds: items can be returned"} {
			if !strings.Contains(msg, want) {
				t.Errorf("approval request lacks %q: %s", want, msg)
			}
		}
		if n := h.sim.CountCalls("POST", "/agent/*/branches"); n != 0 {
			t.Errorf("a draft on a feature branch made %d branches", n)
		}
		h.approve(bob, ts)
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		live := h.liveBranch(a.ID)
		if live.ID != feature.ID {
			t.Fatalf("live branch %s, want %s (%s)", live.Name, feature.Name, h.dump())
		}
		if revs, _ := h.sim.Revisions(a.ID, feature.ID); len(revs) != 1 || live.HeadRevisionID != revs[0].ID || revs[0].SourceDraftID != feature.DraftID || revs[0].Label != "refund wording" {
			t.Errorf("revisions of the feature branch %+v, want one from its draft, the live head", revs)
		}
		if n := h.state().CountText("is live"); n != 1 {
			t.Fatalf("%d 'is live' posts:%s", n, h.dump())
		}
		if got := h.branch(a.ID, "Main"); got.HeadRevisionID != main.HeadRevisionID || got.DraftID != main.DraftID {
			t.Errorf("Main changed: %+v → %+v", main, got)
		}
		if n := h.publishesOn(main.ID); n != 0 {
			t.Errorf("published on the live branch %d times", n)
		}
		if !strings.Contains(h.dump(), "Refund policy update/v1") {
			t.Errorf("version not named after its branch:%s", h.dump())
		}
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Active: *v1*") || !strings.Contains(got, "on branch *Refund policy update*") {
			t.Errorf("status after the promotion: %s", got)
		}
	})
}

func TestBranchModelPromoteDraftOnLiveBranch(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		main := h.liveBranch(a.ID)
		if main.DraftID == "" {
			t.Fatalf("seed: no draft on Main")
		}
		rec := h.bot.command(alice, `promote support-concierge Main greeting tweak`)
		if rec.Code != 200 {
			t.Fatalf("promote: %d %s", rec.Code, rec.Body)
		}
		ts := h.approvalMessage().TS
		if msg := string(h.approvalMessage().Blocks); !strings.Contains(msg, "synthesizer.speed") {
			t.Errorf("approval request does not show the draft's change: %s", msg)
		}
		h.approve(bob, ts)
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		if n := h.publishesOn(main.ID); n != 0 {
			t.Fatalf("published on the live branch %d times", n)
		}
		live := h.liveBranch(a.ID)
		if !strings.HasPrefix(live.Name, "atomsbot-pr_") || live.ID != h.ownBranch(a.ID).ID {
			t.Fatalf("live branch %q, want the bot's own:%s", live.Name, h.dump())
		}
		if live.SourceBranchID != main.ID || live.SourceRevisionID != main.HeadRevisionID {
			t.Errorf("the bot's branch %+v is not a fork of Main's head", live)
		}
		if got := h.branch(a.ID, "Main"); got.DraftID != main.DraftID || got.DraftRevision != main.DraftRevision || got.HeadRevisionID != main.HeadRevisionID {
			t.Errorf("Main's draft or head changed: %+v → %+v", main, got)
		}
		cfgMainDraft, _ := h.sim.Config(a.ID, main.DraftID)
		cfgLive, _ := h.sim.Config(a.ID, live.HeadRevisionID)
		for _, k := range []string{"firstMessage", "synthesizer", "singlePromptConfig", "language", "slmModel"} {
			if !reflect.DeepEqual(cfgMainDraft[k], cfgLive[k]) {
				t.Errorf("the copy differs in %s: draft %v, live %v", k, cfgMainDraft[k], cfgLive[k])
			}
		}
		if n := h.state().CountText("is live"); n != 1 {
			t.Fatalf("%d 'is live' posts:%s", n, h.dump())
		}
	})
}

// While a promotion of an agent is in flight, a second one is refused with
// the words people scan for and a link, and nothing is staged for it.
func TestBranchModelSecondPromotionRefusedInFlight(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		main := h.liveBranch(a.ID)
		h.bmPromote(h.bot, "Refund policy update")
		h.bot.command(carol, "promote support-concierge Main")
		got := h.lastEphemeral(carol)
		for _, w := range []string{"in flight", "Refund policy update/v1", "slack.com/archives/", "/atoms cancel"} {
			if !strings.Contains(got, w) {
				t.Errorf("second promote answer lacks %q: %q", w, got)
			}
		}
		if n := h.sim.CountCalls("POST", "/agent/*/branches"); n != 0 {
			t.Errorf("the refused promotion made %d branches", n)
		}
		if n := h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish"); n != 1 {
			t.Errorf("%d publishes, want the first promotion's only", n)
		}
		if got := h.branch(a.ID, "Main"); got != main {
			t.Errorf("Main changed: %+v → %+v", main, got)
		}
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Refund policy update/v1") || !strings.Contains(got, "published") {
			t.Errorf("status does not show the promotion in flight: %s", got)
		}
	})
}

// A rejected promotion ends with the words people scan for; what the bot
// staged is undone (the running scan cancelled, its own branch archived) and
// the drafts people made are left open.
func TestBranchModelReject(t *testing.T) {
	for _, branch := range []string{"Refund policy update", "Main"} {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main, feature := h.liveBranch(a.ID), h.branch(a.ID, "Refund policy update")
				ts := h.bmPromote(h.bot, branch)
				h.advance(2 * time.Second) // scanning
				h.bot.reject(bob, ts, "")
				h.advance(7 * time.Second)
				h.advance(time.Minute)
				if p := h.promotionAt(ts); p.State != state.Rejected {
					t.Fatalf("promotion %s, want rejected", p.State)
				}
				if !threadSays(h, ts, "rejected by <@"+bob+">") {
					t.Errorf("no 'rejected' note in the thread:%s", h.dump())
				}
				if final, _ := h.state().Find(testChannel, ts); strings.Contains(string(final.Blocks), render.ActionApprove) {
					t.Errorf("buttons still offered after reject")
				}
				h.assertNothingWentLive(a.ID, main)
				if n := h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish/cancel"); n != 1 {
					t.Errorf("%d scan cancellations, want 1", n)
				}
				if got := h.branch(a.ID, "Refund policy update"); got.DraftID != feature.DraftID || got.HeadRevisionID != "" || got.Scanning {
					t.Errorf("the feature branch after reject: %+v (was %+v)", got, feature)
				}
				if branch == "Main" {
					if own := h.ownBranch(a.ID); own.Status != "archived" {
						t.Errorf("the bot's branch %+v, want archived", own)
					}
				} else if n := len(h.ownBranches(a.ID)); n != 0 {
					t.Errorf("%d branches of the bot's own for a feature-branch draft", n)
				}
				if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
					t.Errorf("lock still held after reject")
				}
			})
		})
	}
}

// A scan that fails ends the promotion as failed with the reason, in the
// thread and on the request; the draft is left open with the failed check.
func TestBranchModelFailedScan(t *testing.T) {
	cases := []struct {
		name, branch string
		plan         func(h *harness, agentID string) error
	}{
		{"feature branch", "Refund policy update", func(h *harness, agentID string) error {
			return h.sim.SetScanOutcome(agentID, h.branch(agentID, "Refund policy update").ID, "fail", "prompt asks for card numbers")
		}},
		{"errored scan", "Refund policy update", func(h *harness, agentID string) error {
			return h.sim.SetScanOutcome(agentID, h.branch(agentID, "Refund policy update").ID, "error", "scanner timed out on card numbers")
		}},
		{"live branch's draft", "Main", func(h *harness, agentID string) error {
			return h.sim.FailNextCheck(agentID, "failed", "prompt asks for card numbers")
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main, feature := h.liveBranch(a.ID), h.branch(a.ID, "Refund policy update")
				if err := tc.plan(h, a.ID); err != nil {
					t.Fatal(err)
				}
				ts := h.bmPromote(h.bot, tc.branch)
				h.approve(bob, ts)
				h.advance(7 * time.Second)
				h.advance(2 * time.Second)
				p := h.promotionAt(ts)
				if p.State != state.Failed || !strings.Contains(p.Reason, "card numbers") {
					t.Fatalf("promotion %s (%q), want failed with the reason", p.State, p.Reason)
				}
				if !threadSays(h, ts, "failed") || !threadSays(h, ts, "card numbers") {
					t.Errorf("thread does not say failed with the reason:%s", h.dump())
				}
				if final, _ := h.state().Find(testChannel, ts); !strings.Contains(final.Text+string(final.Blocks), "failed") || strings.Contains(string(final.Blocks), render.ActionApprove) {
					t.Errorf("approval request not updated to failed: %s", final.Blocks)
				}
				h.assertNothingWentLive(a.ID, main)
				if tc.branch == "Main" {
					if own := h.ownBranch(a.ID); own.Status != "archived" {
						t.Errorf("the bot's branch %+v, want archived", own)
					}
					return
				}
				got := h.branch(a.ID, "Refund policy update")
				if got.DraftID != feature.DraftID || got.HeadRevisionID != "" || got.Scanning || !strings.Contains(got.CheckReason, "card numbers") {
					t.Errorf("the draft after its failed scan: %+v, want it open with the check", got)
				}
				if d := h.reply("drafts support-concierge"); !strings.Contains(d, "*Refund policy update*") || !strings.Contains(d, "card numbers") {
					t.Errorf("drafts does not show the failed check: %s", d)
				}
			})
		})
	}
}

// Cancelling while the scan runs cancels the scan, archives the bot's own
// branch and leaves Main (and a feature branch's draft) as they were.
func TestBranchModelCancelDuringScan(t *testing.T) {
	for _, branch := range []string{"Main", "Refund policy update"} {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main, feature := h.liveBranch(a.ID), h.branch(a.ID, "Refund policy update")
				ts := h.bmPromote(h.bot, branch)
				h.advance(2 * time.Second)
				stage := feature.ID
				if branch == "Main" {
					stage = h.ownBranch(a.ID).ID
				}
				bs, _ := h.sim.Branches(a.ID)
				for _, s := range bs {
					if s.ID == stage && !s.Scanning {
						t.Fatalf("not scanning when cancelled: %+v", s)
					}
				}
				h.bot.command(alice, "cancel support-concierge")
				if got := h.lastEphemeral(alice); !strings.Contains(got, "Cancelled the promotion") {
					t.Errorf("cancel answer = %q", got)
				}
				if p := h.promotionAt(ts); p.State != state.Cancelled {
					t.Fatalf("promotion %s, want cancelled", p.State)
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches/"+stage+"/draft/publish/cancel"); n != 1 {
					t.Errorf("%d cancellations of the scan, want 1", n)
				}
				h.advance(10 * time.Second) // the scan would have ended by now
				h.advance(time.Minute)
				if !threadSays(h, ts, "cancelled") {
					t.Errorf("no cancel note in the thread:%s", h.dump())
				}
				h.assertNothingWentLive(a.ID, main)
				if revs, _ := h.sim.Revisions(a.ID, stage); len(revs) != 0 {
					t.Errorf("a cancelled scan committed %+v", revs)
				}
				if branch == "Main" {
					if own := h.ownBranch(a.ID); own.Status != "archived" {
						t.Errorf("the bot's branch %+v, want archived", own)
					}
				} else if got := h.branch(a.ID, branch); got.DraftID != feature.DraftID || got.Scanning || got.Status != "active" {
					t.Errorf("the feature branch after cancel: %+v", got)
				}
			})
		})
	}
}

// A promotion not approved in time expires; what the bot staged goes.
func TestBranchModelExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"), func(c *harnessConfig) { c.policy.TTL = time.Hour })
		a := h.agent(demoAgent)
		main := h.liveBranch(a.ID)
		ts := h.bmPromote(h.bot, "Main")
		h.advance(7 * time.Second) // the scan passed: committed on the bot's branch
		if revs, _ := h.sim.Revisions(a.ID, h.ownBranch(a.ID).ID); len(revs) != 1 {
			t.Fatalf("bot's branch revisions %+v, want the scanned commit", revs)
		}
		for range 5 {
			h.advance(15 * time.Minute)
		}
		if p := h.promotionAt(ts); p.State != state.Expired {
			t.Fatalf("state after TTL = %s, want expired", p.State)
		}
		if !threadSays(h, ts, "expired") {
			t.Errorf("no expiry note in the thread:%s", h.dump())
		}
		h.approve(bob, ts)
		if got := h.lastEphemeral(bob); !strings.Contains(got, "expired") {
			t.Errorf("approval after expiry answer = %q", got)
		}
		h.advance(time.Minute)
		h.assertNothingWentLive(a.ID, main)
		if own := h.ownBranch(a.ID); own.Status != "archived" || own.Live {
			t.Errorf("the bot's branch %+v, want archived", own)
		}
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("lock still held after expiry")
		}
	})
}

// The live branch moves with every promotion; whichever branch is live
// when a draft on it is promoted is never published on: its draft goes
// through a branch of the bot's own. A branch that is no longer live is
// published where it is. Each promotion is announced once.
func TestBranchModelNeverPublishesOnTheLiveBranch(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		rounds := []struct {
			branch string
			edit   bool   // the dashboard opens a draft on the branch first
			stage  string // "own" or the branch itself
		}{
			{"Refund policy update", false, "Refund policy update"},
			{"Refund policy update", true, "own"}, // now the live branch
			{"Main", false, "Main"},               // no longer live
			{"Main", true, "own"},                 // live again
		}
		for i, r := range rounds {
			if r.edit {
				if _, err := h.sim.DashboardEditDraft(a.ID, h.branch(a.ID, r.branch).ID, map[string]any{"firstMessage": fmt.Sprintf("Round %d", i+1)}, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
			}
			live := h.liveBranch(a.ID)
			ownBefore, pubBefore := len(h.ownBranches(a.ID)), h.publishesOn(live.ID)
			ts := h.bmPromote(h.bot, r.branch)
			h.approve(bob, ts)
			h.advance(7 * time.Second)
			h.advance(2 * time.Second)
			if p := h.promotionAt(ts); p.State != state.Live {
				t.Fatalf("round %d: promotion %s (%s):%s", i+1, p.State, p.Reason, h.dump())
			}
			if n := h.publishesOn(live.ID) - pubBefore; n != 0 {
				t.Fatalf("round %d: published on the live branch %s", i+1, live.Name)
			}
			now := h.liveBranch(a.ID)
			switch {
			case r.stage == "own" && (!strings.HasPrefix(now.Name, "atomsbot-pr_") || len(h.ownBranches(a.ID)) != ownBefore+1):
				t.Errorf("round %d: live %s, want a new branch of the bot's own", i+1, now.Name)
			case r.stage != "own" && now.Name != r.stage:
				t.Errorf("round %d: live %s, want %s", i+1, now.Name, r.stage)
			}
			if n := h.state().CountText("is live"); n != i+1 {
				t.Errorf("round %d: %d 'is live' posts", i+1, n)
			}
			if r.edit {
				cfg, _ := h.sim.Config(a.ID, now.HeadRevisionID)
				if cfg["firstMessage"] != fmt.Sprintf("Round %d", i+1) {
					t.Errorf("round %d: live firstMessage %v", i+1, cfg["firstMessage"])
				}
				if got := h.branch(a.ID, r.branch); got.DraftID == "" {
					t.Errorf("round %d: the live branch's draft was consumed", i+1)
				}
			}
		}
		// What earlier promotions left is tidied: only the live branch and
		// the previous one (a rollback target) of the bot's own stay.
		active := 0
		for _, o := range h.ownBranches(a.ID) {
			if o.Status == "active" {
				active++
			}
		}
		if active > 2 {
			t.Errorf("%d branches of the bot's own left active", active)
		}
	})
}
