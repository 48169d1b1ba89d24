package bot

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/state"
)

// promoteToLive runs a promotion of branch through approval to live.
func (h *harness) promoteToLive(branch string) string {
	h.t.Helper()
	ts := h.bmPromote(h.bot, branch)
	h.approve(bob, ts)
	h.advance(7 * time.Second)
	h.advance(2 * time.Second)
	if p := h.promotionAt(ts); p.State != state.Live {
		h.t.Fatalf("promotion %s (%s), want live:%s", p.State, p.Reason, h.dump())
	}
	return ts
}

// revisionNumbered is revision n of a branch.
func (h *harness) revisionNumbered(agentID, branchID string, n int) atomsim.RevisionInfo {
	h.t.Helper()
	revs, _ := h.sim.Revisions(agentID, branchID)
	for _, r := range revs {
		if r.Number == n {
			return r
		}
	}
	h.t.Fatalf("branch %s has no revision %d: %+v", branchID, n, revs)
	return atomsim.RevisionInfo{}
}

// Rollback both ways: right after a promotion the previous live branch is
// made live again as it is (no new revision); an older revision is restored
// as a new head and its branch made live. Each goes through approval and is
// announced once.
func TestBranchModelRollback(t *testing.T) {
	cases := []struct {
		name     string
		promote  string // promoted to live first ("" for none)
		ref      string
		target   int  // the Main revision whose config goes live
		restores int  // POST …/restore calls
		head     bool // Main's head stays the one it was
	}{
		{"previous branch after a feature-branch promotion", "Refund policy update", "Main/v3", 3, 0, true},
		{"previous branch after a live-branch promotion", "Main", "Main/v3", 3, 0, true},
		{"older revision after a promotion", "Refund policy update", "Main/v2", 2, 1, false},
		{"older revision of the live branch", "", "v1", 1, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				target := h.revisionNumbered(a.ID, main.ID, tc.target)
				h.bot.command(carol, "watch support-concierge") // and not told twice
				lives := 0
				if tc.promote != "" {
					h.promoteToLive(tc.promote)
					lives = 1
				}
				promoted := h.liveBranch(a.ID)
				h.sim.ResetCalls()
				h.bot.command(alice, "rollback support-concierge "+tc.ref)
				var m slackfake.Message
				for _, msg := range h.state().ChannelMessages(testChannel) {
					if msg.ThreadTS == "" && strings.Contains(msg.PostedText(), "Approval needed") && strings.Contains(string(msg.Blocks), "Rollback") {
						m = msg
					}
				}
				if m.TS == "" {
					t.Fatalf("no rollback approval request:%s", h.dump())
				}
				if n := len(h.writes()); n != 0 {
					t.Errorf("preparing the rollback wrote to Atoms: %v", h.writes())
				}
				h.approve(bob, m.TS)
				h.advance(time.Second)
				h.advance(time.Second)
				live := h.liveBranch(a.ID)
				if live.ID != main.ID {
					t.Fatalf("live branch %s after the rollback, want Main:%s", live.Name, h.dump())
				}
				if tc.head != (live.HeadRevisionID == main.HeadRevisionID) {
					t.Errorf("Main's head %s (was %s): kept = %v, want %v", live.HeadRevisionID, main.HeadRevisionID, !tc.head, tc.head)
				}
				want, _ := h.sim.Config(a.ID, target.ID)
				got, _ := h.sim.Config(a.ID, live.HeadRevisionID)
				if !reflect.DeepEqual(want, got) {
					t.Errorf("the live config is not %s's", tc.ref)
				}
				if !tc.head {
					if r := h.revisionNumbered(a.ID, main.ID, live.HeadNumber); r.RestoredFromRevisionID != target.ID {
						t.Errorf("new head %+v does not restore %s", r, target.ID)
					}
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches/*/revisions/*/restore"); n != tc.restores {
					t.Errorf("%d restores, want %d", n, tc.restores)
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish"); n != 0 {
					t.Errorf("a rollback published %d times", n)
				}
				if n := h.state().CountText("is live"); n != lives+1 {
					t.Errorf("%d 'is live' posts, want %d:%s", n, lives+1, h.dump())
				}
				if tc.promote != "" && promoted.ID != main.ID {
					if got := h.branch(a.ID, promoted.Name); got.Status != "active" || got.HeadRevisionID != promoted.HeadRevisionID {
						t.Errorf("the branch rolled back from: %+v, want kept as it was", got)
					}
				}
				if got := h.branch(a.ID, "Main"); got.DraftID != main.DraftID || got.DraftRevision != main.DraftRevision {
					t.Errorf("Main's draft changed: %+v → %+v", main, got)
				}
			})
		})
	}
}

// A revision whose scan failed, and the live version itself, are refused
// at once: nothing is held, nothing written.
func TestBranchModelRollbackRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		main := h.liveBranch(a.ID)
		v2 := h.revisionNumbered(a.ID, main.ID, 2)
		if err := h.sim.SetCheck(v2.ID, "failed", "leaks PII"); err != nil {
			t.Fatal(err)
		}
		h.sim.ResetCalls()
		h.bot.command(alice, "rollback support-concierge v2")
		if got := h.lastEphemeral(alice); !strings.Contains(got, "v2 cannot go live") || !strings.Contains(got, "has not passed") {
			t.Errorf("rollback to a failed revision: %q", got)
		}
		h.bot.command(alice, "rollback support-concierge Main/v3")
		if got := h.lastEphemeral(alice); !strings.Contains(got, "already the active version") {
			t.Errorf("rollback to the live version: %q", got)
		}
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("a refused rollback holds the lock")
		}
		if w := h.writes(); len(w) != 0 {
			t.Errorf("a refused rollback wrote: %v", w)
		}
		if _, ok := h.findApproval(); ok {
			t.Errorf("a refused rollback asked for approval:%s", h.dump())
		}
	})
}

// A dashboard change between the approvers' look and the activation — the
// live branch or the promoted branch's head moved — means nothing goes live,
// and the request says what moved.
func TestBranchModelActivationRefusedWhenSomethingMoved(t *testing.T) {
	cases := []struct {
		name   string
		branch string
		move   func(t *testing.T, h *harness, agentID string)
		says   []string
		live   string // the live branch afterwards
	}{
		{"dashboard publish on the live branch", "Refund policy update", func(t *testing.T, h *harness, agentID string) {
			if _, err := h.sim.DashboardPublish(agentID, h.branch(agentID, "Main").ID, map[string]any{"firstMessage": "Dashboard greeting"}, "dana@acme.test"); err != nil {
				t.Fatal(err)
			}
		}, []string{"nothing went live", "the live version changed", "“Main” at v4", "dana@acme.test"}, "Main"},
		{"dashboard make-live of another branch", "Main", func(t *testing.T, h *harness, agentID string) {
			feature := h.branch(agentID, "Refund policy update")
			if _, err := h.sim.DashboardPublish(agentID, feature.ID, nil, "dana@acme.test"); err != nil {
				t.Fatal(err)
			}
			if err := h.sim.DashboardMakeLive(agentID, feature.ID, "dana@acme.test"); err != nil {
				t.Fatal(err)
			}
		}, []string{"nothing went live", "the live version changed", "“Refund policy update” at v1", "dana@acme.test"}, "Refund policy update"},
		{"dashboard publish on the promoted branch", "Refund policy update", func(t *testing.T, h *harness, agentID string) {
			feature := h.branch(agentID, "Refund policy update")
			if _, err := h.sim.DashboardPublish(agentID, feature.ID, map[string]any{"firstMessage": "Published over the approved one"}, "dana@acme.test"); err != nil {
				t.Fatal(err)
			}
		}, []string{"nothing went live", "someone published on branch “Refund policy update”", "no longer the approved revision"}, "Main"},
		{"dashboard archive of the promoted branch", "Refund policy update", func(t *testing.T, h *harness, agentID string) {
			if err := h.sim.DashboardArchive(agentID, h.branch(agentID, "Refund policy update").ID, "dana@acme.test"); err != nil {
				t.Fatal(err)
			}
		}, []string{"failed", "“Refund policy update” was archived"}, "Main"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				ts := h.bmPromote(h.bot, tc.branch)
				h.advance(7 * time.Second) // the scan passed: the revision the approvers see
				tc.move(t, h, a.ID)
				before := h.liveBranch(a.ID)
				h.approve(bob, ts)
				h.advance(time.Second)
				h.advance(time.Minute)
				p := h.promotionAt(ts)
				if p.State != state.Failed {
					t.Fatalf("promotion %s (%s), want failed", p.State, p.Reason)
				}
				for _, w := range tc.says {
					if !threadSays(h, ts, w) {
						t.Errorf("the thread does not say %q:%s", w, h.dump())
					}
				}
				if final, _ := h.state().Find(testChannel, ts); !strings.Contains(final.Text+string(final.Blocks), "failed") || strings.Contains(string(final.Blocks), render.ActionApprove) {
					t.Errorf("request not updated to failed: %s", final.Blocks)
				}
				if live := h.liveBranch(a.ID); live.Name != tc.live || live.HeadRevisionID != before.HeadRevisionID {
					t.Errorf("live %s at %s after a refused activation, want %s at %s", live.Name, live.HeadRevisionID, tc.live, before.HeadRevisionID)
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches/*/live"); n != 0 {
					t.Errorf("%d make-live calls", n)
				}
				if n := h.state().CountText("is live"); n != 0 {
					t.Errorf("%d 'is live' posts", n)
				}
			})
		})
	}
}

// During a config freeze (423) the user is told, nothing changes on Atoms,
// and the promotion goes on by itself once the freeze ends.
func TestBranchModelConfigFreeze(t *testing.T) {
	for _, branch := range promotedBranches {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main, src := h.liveBranch(a.ID), h.branch(a.ID, branch)
				h.sim.SetFrozen(true)
				h.bot.command(alice, `promote support-concierge "`+branch+`" refund wording`)
				if got := strings.Join(h.ephemeralTo(alice), "\n"); !strings.Contains(strings.ToLower(got), "freeze") {
					t.Errorf("the requester was not told about the freeze (bug: a 423 is answered as an unclear publish): %q", got)
				}
				for range 3 {
					h.advance(15 * time.Second)
				}
				if got := h.branch(a.ID, branch); got != src {
					t.Errorf("the draft changed during the freeze: %+v → %+v", src, got)
				}
				if n := len(h.ownBranches(a.ID)); n != 0 {
					t.Errorf("%d branches made during the freeze", n)
				}
				h.assertNothingWentLive(a.ID, main)

				h.sim.SetFrozen(false)
				var ts string
				for range 4 {
					h.advance(15 * time.Second)
					if m, ok := h.findApproval(); ok {
						ts = m.TS
						break
					}
				}
				if ts == "" {
					t.Fatalf("the promotion did not go on after the freeze:%s", h.dump())
				}
				// A freeze again while it waits for activation: told, retried.
				h.advance(7 * time.Second)
				h.sim.SetFrozen(true)
				h.approve(bob, ts)
				h.advance(time.Second)
				h.advance(5 * time.Second)
				if live := h.liveBranch(a.ID); live.ID != main.ID {
					t.Fatalf("went live during a freeze")
				}
				if p := h.promotionAt(ts); p.State.Terminal() {
					t.Fatalf("a freeze ended the promotion: %s (%s)", p.State, p.Reason)
				}
				if !threadSays(h, ts, "freeze") {
					t.Errorf("the approvers were told “Activating now” and nothing about the freeze that holds the activation")
				}
				h.sim.SetFrozen(false)
				h.advance(5 * time.Second)
				h.advance(5 * time.Second)
				h.assertPromotedOnce(a.ID, branch, main)
			})
		})
	}
}

// The dashboard makes Main live again between atomsbot's make-live and its
// check that the branch serves: as on v1, the approved release is made live
// again and announced once.
func TestBranchModelActivationRacedByDashboardMakeLive(t *testing.T) {
	for _, branch := range promotedBranches {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				ts := h.bmPromote(h.bot, branch)
				h.advance(7 * time.Second) // the scan passed and was seen
				answers := newGate(pathHas("POST", "/live"))
				answers.after = true
				r := h.replicaVia("replica-gated", answers.serve(t, h.sim), h.slackURL, 0)
				h.approve(bob, ts)
				job := r.pollAsync(answers)
				answers.wait(t, 1) // made live on Atoms; the answer is held
				if err := h.sim.DashboardMakeLive(a.ID, main.ID, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
				answers.open()
				job.wait(t)
				if p := h.promotionAt(ts); p.State != state.Activating {
					t.Fatalf("after a failed verification: %s (%s), want still activating", p.State, p.Reason)
				}
				h.advance(2*time.Second, r)
				h.advance(2*time.Second, r)
				h.assertPromotedOnce(a.ID, branch, main)
			})
		})
	}
}
