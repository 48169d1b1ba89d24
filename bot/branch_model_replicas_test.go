package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// makeLives counts the make-live calls that took effect on Atoms (answered
// 200, or answered 500 after acting).
func (h *harness) makeLives() int {
	n := 0
	for _, c := range h.sim.Calls() {
		if c.Method == "POST" && strings.HasSuffix(c.Path, "/live") &&
			(c.Status == 200 && c.Fault == "" || c.Fault == atomsim.FaultAfterEffect) {
			n++
		}
	}
	return n
}

// stageOf is the branch a promotion of branch publishes on: the branch
// itself, or for the live branch's draft the bot's own.
func (h *harness) stageOf(agentID, branch string) atomsim.BranchInfo {
	h.t.Helper()
	if branch == "Main" {
		return h.ownBranch(agentID)
	}
	return h.branch(agentID, branch)
}

// assertPromotedOnce checks the end of a promotion of branch: one revision
// published on its stage, that branch live at it, Main's draft and head as
// they were, no publish on Main, one "is live".
func (h *harness) assertPromotedOnce(agentID, branch string, main atomsim.BranchInfo) {
	h.t.Helper()
	stage := h.stageOf(agentID, branch)
	revs, _ := h.sim.Revisions(agentID, stage.ID)
	if len(revs) != 1 {
		h.t.Fatalf("%d revisions published on %s, want 1: %+v", len(revs), stage.Name, revs)
	}
	if live := h.liveBranch(agentID); live.ID != stage.ID || live.HeadRevisionID != revs[0].ID {
		h.t.Fatalf("live %s at %s, want %s at %s:%s", live.Name, live.HeadRevisionID, stage.Name, revs[0].ID, h.dump())
	}
	if got := h.branch(agentID, "Main"); got.DraftID != main.DraftID || got.DraftRevision != main.DraftRevision || got.HeadRevisionID != main.HeadRevisionID {
		h.t.Errorf("Main changed: %+v → %+v", main, got)
	}
	if n := h.publishesOn(main.ID); n != 0 {
		h.t.Errorf("published on the live branch %d times", n)
	}
	if n := len(h.ownBranches(agentID)); branch == "Main" && n != 1 || branch != "Main" && n != 0 {
		h.t.Errorf("%d branches of the bot's own", n)
	}
	if n := h.state().CountText("is live"); n != 1 {
		h.t.Fatalf("%d posts say 'is live', want 1:%s", n, h.dump())
	}
}

var promotedBranches = []string{"Refund policy update", "Main"}

// Two replicas on one Redis race every step: one publish, one make-live,
// one "is live".
func TestBranchModelTwoReplicasRace(t *testing.T) {
	for _, branch := range promotedBranches {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"), func(c *harnessConfig) { c.policy = workflow.Policy{Required: 2, TTL: time.Hour} })
				other := h.replica("replica-b")
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				ts := h.bmPromote(h.bot, branch)
				v := buttonValue(t, h.approvalMessage(), render.ActionApprove)
				var wg sync.WaitGroup
				wg.Go(func() { h.bot.click(bob, ts, render.ActionApprove, v) })
				wg.Go(func() { other.click(carol, ts, render.ActionApprove, v) })
				wg.Go(func() { other.click(bob, ts, render.ActionApprove, v) })
				wg.Wait()
				for range 10 {
					h.clock.Advance(time.Second)
					var pw sync.WaitGroup
					for _, r := range []*replica{h.bot, other, h.bot, other} {
						pw.Go(func() { r.poll() })
					}
					pw.Wait()
				}
				h.assertPromotedOnce(a.ID, branch, main)
				if n := h.makeLives(); n != 1 {
					t.Errorf("%d make-live calls, want 1", n)
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish"); n != 1 {
					t.Errorf("%d publishes, want 1", n)
				}
			})
		})
	}
}

// A replica that stops at any point of the flow leaves nothing another
// replica cannot finish — once. "After making the branch live" stops the
// replica for real: Atoms made the branch live, and the answer never reaches
// it before another replica has taken over its lease.
func TestBranchModelReplicaStoppedMidFlight(t *testing.T) {
	steps := []struct {
		name  string
		crash func(t *testing.T, h *harness, p state.Promotion, stage string) func()
	}{
		{"after approval, holding the lease", func(t *testing.T, h *harness, p state.Promotion, stage string) func() {
			claimAsCrashed(t, h, p)
			return nil
		}},
		{"after moving to activating", func(t *testing.T, h *harness, p state.Promotion, stage string) func() {
			claimAsCrashed(t, h, p)
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Activating, state.Patch{}); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
		{"after making the branch live, before recording it", func(t *testing.T, h *harness, p state.Promotion, stage string) func() {
			answers := newGate(pathHas("POST", "/live"))
			answers.after = true
			gated := h.replicaVia("replica-gated", answers.serve(t, h.sim), h.slackURL, 0)
			job := gated.pollAsync(answers)
			answers.wait(t, 1) // live on Atoms; the replica never hears it
			if got := h.liveBranch(p.AgentID); got.Name == "Main" {
				t.Fatalf("the gated make-live did not act")
			}
			if got, _ := h.bot.store.Promotion(t.Context(), p.ID); got.State != state.Activating || strings.Contains(got.Token, `"activated":true`) {
				t.Fatalf("recorded before the answer: %s %s", got.State, got.Token)
			}
			return func() { answers.open(); job.wait(t) } // it comes back late
		}},
		{"after going live, before announcing", func(t *testing.T, h *harness, p state.Promotion, stage string) func() {
			claimAsCrashed(t, h, p)
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Published, state.Activating, state.Patch{}); err != nil {
				t.Fatal(err)
			}
			if err := h.sim.DashboardMakeLive(p.AgentID, stage, "api"); err != nil {
				t.Fatal(err)
			}
			now := h.clock.Now()
			if _, err := h.bot.store.Transition(t.Context(), p.ID, state.Activating, state.Live, state.Patch{ActivatedAt: &now}); err != nil {
				t.Fatal(err)
			}
			return nil
		}},
	}
	for _, step := range steps {
		for _, branch := range promotedBranches {
			t.Run(step.name+"/"+branch, func(t *testing.T) {
				eachBackend(t, func(t *testing.T, b backend) {
					h := newHarness(t, b, branchModel("v2"))
					a := h.agent(demoAgent)
					main := h.liveBranch(a.ID)
					ts := h.bmPromote(h.bot, branch)
					h.advance(7 * time.Second) // the scan passed and was seen
					p := h.promotionAt(ts)
					if p.VersionID == "" || p.CheckStatus != "passed" {
						t.Fatalf("promotion %+v, want its revision known and passed", p)
					}
					if _, _, err := h.bot.store.Approve(t.Context(), p.ID, state.Approval{UserID: bob, VersionID: p.ApprovalKey()}); err != nil {
						t.Fatal(err)
					}
					if err := h.bot.store.Poke(t.Context(), state.PromotionItem(p.ID)); err != nil {
						t.Fatal(err)
					}
					late := step.crash(t, h, p, h.stageOf(a.ID, branch).ID)

					// Another replica takes over once the stopped one's lease lapses.
					other := h.replica("replica-b")
					other.poll()
					if got := h.state().CountText("is live"); got != 0 {
						t.Fatalf("took over a live lease")
					}
					h.advance(3*time.Minute, other)
					h.assertPromotedOnce(a.ID, branch, main)
					if late != nil {
						late()
					}
					// The stopped replica restarted with the same identity changes nothing.
					restarted := h.replica("crashed")
					h.advance(time.Minute, restarted, other, h.bot)
					h.assertPromotedOnce(a.ID, branch, main)
					if n := h.makeLives(); n > 2 {
						t.Errorf("%d make-live calls", n)
					}
					if got := h.promotionAt(ts); got.State != state.Live || !got.Announced {
						t.Errorf("promotion %s announced=%v, want live and announced", got.State, got.Announced)
					}
				})
			})
		}
	}
}

// A replica pauses right after Atoms accepted its publish (202, scanning)
// and before it heard the answer; another replica takes the promotion over.
// Nothing is published twice (the 202 names no revision, so a blind retry
// would be refused as "in progress" or publish again after the commit).
func TestBranchModelReplicaPausedWhilePublishing(t *testing.T) {
	for _, branch := range promotedBranches {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				src := h.branch(a.ID, branch)
				answer := newGate(pathHas("POST", "/draft/publish"))
				answer.after = true
				creator := h.replicaVia("replica-creator", answer.serve(t, h.sim), h.slackURL, 0)
				var created state.Promotion
				var cerr error
				creating := goAsync(t, func() {
					created, cerr = creator.engine.Promote(context.Background(), workflow.PromoteRequest{
						Agent: platform.Agent{ID: a.ID, Name: a.Name, LiveVersionID: main.HeadRevisionID},
						Draft: platform.Draft{ID: src.ID, Name: src.Name, Open: true, Live: branch == "Main"},
						Label: "refund wording", Requester: alice, Channel: testChannel,
					})
				}, answer)
				answer.wait(t, 1) // scanning on Atoms; the answer is held
				other := h.replica("replica-b")
				h.advance(3*time.Minute, other) // the creator's lease lapsed
				answer.open()
				creating.wait(t)
				if cerr != nil {
					t.Fatalf("promote: %v", cerr)
				}
				for range 3 {
					h.advance(10*time.Second, other, creator)
				}
				m, ok := h.findApproval()
				if !ok {
					t.Fatalf("no approval request:%s", h.dump())
				}
				n := 0
				for _, msg := range h.state().ChannelMessages(testChannel) {
					if msg.ThreadTS == "" && strings.Contains(msg.PostedText(), "Approval needed") {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%d approval requests", n)
				}
				if p := h.promotionAt(m.TS); p.ID != created.ID || p.State != state.Published {
					t.Fatalf("promotion %s %s (%s), want %s published", p.ID, p.State, p.Reason, created.ID)
				}
				h.approve(bob, m.TS)
				for range 3 {
					h.advance(10*time.Second, other, creator)
				}
				h.assertPromotedOnce(a.ID, branch, main)
				if n := h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish"); n != 1 {
					t.Errorf("%d publish calls, want 1", n)
				}
			})
		})
	}
}

// A flaky Atoms (a quarter of calls answered 500 or 429, before or after
// taking effect) still yields one publish, one activation, one announcement,
// and never a publish on the live branch.
func TestBranchModelFlakyAtoms(t *testing.T) {
	faults := []atomsim.Faults{
		{AfterEffectRate: 1, Methods: []string{"POST", "PUT"}}, // every write answered 500 after it happened
	}
	for seed := int64(1); seed <= 8; seed++ {
		faults = append(faults, atomsim.Faults{ErrorRate: 0.25, AfterEffectRate: 0.1, Seed: seed})
	}
	for _, branch := range promotedBranches {
		for i, f := range faults {
			t.Run(branch+"/"+faultName(i, f), func(t *testing.T) {
				eachBackend(t, func(t *testing.T, b backend) {
					h := newHarness(t, b, branchModel("v2"))
					a := h.agent(demoAgent)
					main := h.liveBranch(a.ID)
					h.sim.SetFaults(f)
					h.bot.command(alice, `promote support-concierge "`+branch+`" flaky`)
					var ts string
					for range 40 {
						if m, ok := h.findApproval(); ok {
							ts = m.TS
							break
						}
						h.advance(5 * time.Second)
					}
					if ts == "" {
						t.Fatalf("no approval request; messages:%s", h.dump())
					}
					h.approve(bob, ts)
					for range 40 {
						h.advance(3 * time.Second)
					}
					h.assertPromotedOnce(a.ID, branch, main)
					// Make-live is idempotent (the client repeats it through
					// 5xx); one activation is: only the stage was ever made live.
					stage := h.stageOf(a.ID, branch)
					for _, c := range h.sim.Calls() {
						if c.Method == "POST" && strings.HasSuffix(c.Path, "/live") && c.Path != "/agent/"+a.ID+"/branches/"+stage.ID+"/live" {
							t.Errorf("made another branch live: %s", c.Path)
						}
					}
					if n := h.makeLives(); n < 1 {
						t.Errorf("no make-live took effect")
					}
					if p := h.promotionAt(ts); p.State != state.Live || !p.Announced {
						t.Errorf("promotion %s (%s), want live and announced", p.State, p.Reason)
					}
				})
			})
		}
	}
}

func faultName(i int, f atomsim.Faults) string {
	if i == 0 {
		return "every write answered 500 after acting"
	}
	return "25% faults seed " + string(rune('0'+f.Seed))
}
