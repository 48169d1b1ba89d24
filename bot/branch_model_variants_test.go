package bot

import (
	"strings"
	"testing"
	"time"
)

// The reference leaves some behaviours of the branch model open: reads
// that lag a commit or a make-live by a few seconds, whether a fresh fork
// has a head of its own, whether a scanning publish shows in the revision
// list, the diff's shape. The story must be the same under each.

// Reads of the live branch lag a commit or a make-live by 3 s: the
// promotion still goes live once (not failed as "did not take" or "moved"),
// and a watching channel is not told twice.
func TestBranchModelReadLag(t *testing.T) {
	for _, branch := range promotedBranches {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"), func(c *harnessConfig) { c.sim.ReadLag = 3 * time.Second })
				other := h.replica("replica-b")
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				h.bot.command(alice, "watch support-concierge")
				ts := h.bmPromote(h.bot, branch)
				h.approve(bob, ts)
				for range 20 {
					h.advance(time.Second, h.bot, other)
				}
				h.assertPromotedOnce(a.ID, branch, main)
				// A dashboard publish on the new live branch, seen late, is
				// announced once too.
				if _, err := h.sim.DashboardPublish(a.ID, h.liveBranch(a.ID).ID, map[string]any{"firstMessage": "Lagging hello"}, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
				for range 6 {
					h.advance(10*time.Second, h.bot, other)
				}
				if n := h.state().CountText("is live"); n != 2 {
					t.Errorf("%d 'is live' posts, want 2 (the promotion and the dashboard publish):%s", n, h.dump())
				}
			})
		})
	}
}

// Forks that copy the source's head as their own revision 1: promotions
// still go live once, and the requester is told the name of the version
// that goes live (not one it was expected to get).
func TestBranchModelForkCopiesHead(t *testing.T) {
	for _, branch := range promotedBranches {
		t.Run(branch, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"), func(c *harnessConfig) { c.sim.ForkCopiesHead = true })
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				ts := h.bmPromote(h.bot, branch)
				told := h.lastEphemeral(alice)
				h.approve(bob, ts)
				h.advance(7 * time.Second)
				h.advance(2 * time.Second)
				stage := h.stageOf(a.ID, branch)
				if live := h.liveBranch(a.ID); live.ID != stage.ID {
					t.Fatalf("live %s, want %s:%s", live.Name, stage.Name, h.dump())
				}
				if n := h.state().CountText("is live"); n != 1 {
					t.Fatalf("%d 'is live' posts:%s", n, h.dump())
				}
				if n := h.publishesOn(main.ID); n != 0 {
					t.Errorf("published on the live branch")
				}
				want := stage.Name + "/v2" // revision 1 is the fork's copy
				var live string
				for _, m := range h.state().ChannelMessages(testChannel) {
					if strings.Contains(m.PostedText(), "is live") {
						live = m.PostedText()
					}
				}
				if !strings.Contains(live, want) {
					t.Errorf("“is live” post %q, want it to name %s", live, want)
				}
				if !strings.Contains(told, "support-concierge "+want+" is published") {
					t.Errorf("the requester was told %q, but %s is what went live", told, want)
				}
			})
		})
	}
}

// A publish still scanning may show in the revision list as a draft row
// (ListScanningDraft): `versions` must not present it as a published
// version, and version lookups stay right.
func TestBranchModelVersionsWhileScanning(t *testing.T) {
	for _, listed := range []bool{false, true} {
		name := "scanning publish not listed"
		if listed {
			name = "scanning publish listed as a draft row"
		}
		t.Run(name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"), func(c *harnessConfig) { c.sim.ListScanningDraft = listed })
				a := h.agent(demoAgent)
				main := h.liveBranch(a.ID)
				h.bmPromote(h.bot, "Refund policy update")
				// The dashboard publishes on Main too; its scan runs.
				if _, err := h.sim.DashboardEditDraft(a.ID, main.ID, map[string]any{"firstMessage": "Scanning hello"}, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
				if _, err := h.atomsClientAs("dana@acme.test").PublishBranchDraft(t.Context(), a.ID, main.ID, "dashboard"); err != nil {
					t.Fatal(err)
				}
				h.advance(2 * time.Second)
				got := h.reply(`versions support-concierge "Refund policy update"`)
				if !strings.Contains(got, "none published") || strings.Contains(got, "/v0") {
					t.Errorf("versions of a branch whose first publish is scanning: %s", got)
				}
				got = h.reply("versions support-concierge")
				if !strings.Contains(got, "on branch *Main* (3)") || strings.Contains(got, "v0") || strings.Contains(got, "*v4*") {
					t.Errorf("versions of Main while a publish scans: %s", got)
				}
				got = h.reply("diff support-concierge v2 v3")
				if !strings.Contains(got, "support-concierge: v2 → v3") {
					t.Errorf("diff by number while a publish scans: %s", got)
				}
			})
		})
	}
}

// Diffs answered in the spec's shape read the same.
func TestBranchModelSpecDiffShape(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"), func(c *harnessConfig) { c.sim.SpecDiffShape = true })
		h.checkReplies(t, []replyCase{
			{"diff of a branch's draft", "diff support-concierge Main",
				[]string{"draft “Main” vs the active version", "1 change in 1 section", "synthesizer.speed"}, nil},
			{"diff of two versions", "diff support-concierge v1 v3",
				[]string{"support-concierge: v1 → v3", "in 4 sections", "lookup_order"}, nil},
		})
		h.t = t
		ts := h.bmPromote(h.bot, "Refund policy update")
		if msg := string(h.approvalMessageAt(ts).Blocks); !strings.Contains(msg, "Refunds: items can be returned") {
			t.Errorf("approval request without the diff: %s", msg)
		}
	})
}
