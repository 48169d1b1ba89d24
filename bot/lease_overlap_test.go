package bot

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// slowWatches queues n watch items, due before everything else, for agents
// whose GET /agent a gate can hold: they keep a replica's workers busy.
func slowWatches(t *testing.T, h *harness, n int) {
	t.Helper()
	for i := range n {
		agent := "slow-" + strconv.Itoa(i)
		if _, err := h.bot.store.Watch(t.Context(), state.Watch{AgentID: agent, Channel: "CSLOW"}); err != nil {
			t.Fatal(err)
		}
		if err := h.bot.store.Schedule(t.Context(), "w:"+agent, h.clock.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
}

func (h *harness) checkPassedNotes(ts string) int {
	n := 0
	for _, m := range h.state().Thread(testChannel, ts) {
		if strings.Contains(m.Text, "security check of") && strings.Contains(m.Text, "passed") {
			n++
		}
	}
	return n
}

// A poller claims a batch and works through it eight items at a time. When
// the items ahead are slow (Atoms answering slowly, Retry-After), an item can
// wait in the local queue until its lease has lapsed and another replica has
// claimed it; starting it then runs one step twice at the same time.
func TestLapsedClaimIsNotStarted(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, ts := h.promote(h.bot, alice)
		p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.sim.SetCheck(p.VersionID, "pending", ""); err != nil {
			t.Fatal(err)
		}
		h.advance(2 * time.Second) // polled: still pending
		slowWatches(t, h, 8)
		if err := h.sim.SetCheck(p.VersionID, "passed", ""); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(2 * time.Second) // the promotion is due again

		slow := newGate(pathHas("GET", "/agent/slow-"))
		a := h.replicaVia("replica-slow", slow.serve(t, h.sim), h.slackURL, 0)
		held := newGate(pathHas("GET", "/versions/"+p.VersionID))
		other := h.replicaVia("replica-b", held.serve(t, h.sim), h.slackURL, 0)

		pollA := a.pollAsync(slow, held)
		slow.wait(t, 8) // every worker of A is busy; the promotion waits in A's queue
		h.clock.Advance(2*time.Minute + time.Second)
		pollB := other.pollAsync(slow, held)
		held.wait(t, 1) // B took over the promotion and is reading its check
		slow.open()
		pollA.wait(t)
		held.open()
		pollB.wait(t)

		if n := h.checkPassedNotes(ts); n != 1 {
			t.Fatalf("%d 'security check passed' notes, want 1:%s", n, h.dump())
		}
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove))
		h.advance(time.Second)
		h.assertLiveOnce(p.AgentID, 4)
	})
}

// Leases follow each replica's clock (a due time in a sorted set). A replica
// whose clock runs ahead by more than the lease — or one that was paused past
// its lease — sees a lease in force as lapsed and takes the item over while
// its holder is still at work. The "is live" post must still happen once.
func TestSkewedReplicaAnnouncesOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		h.clock.Advance(7 * time.Second) // the check has passed; the promotion is due

		live := newGate(isLivePost)
		live.autoOpen = 2 // a second "is live" post lets both through
		slackURL := live.serve(t, h.slack)
		first := h.replicaVia("replica-a2", h.simURL, slackURL, 0)
		ahead := h.replicaVia("replica-ahead", h.simURL, slackURL, 3*time.Minute)

		pollFirst := first.pollAsync(live)
		live.wait(t, 1) // activated, live, posting the announcement
		ahead.pollAsync(live).wait(t)
		live.open()
		pollFirst.wait(t)
		for range 3 {
			h.advance(10*time.Second, first, ahead)
		}
		h.assertLiveOnce(a.ID, 4)
	})
}

// A replica whose clock runs ahead takes over a promotion while its creator
// is still publishing. Its own publish then finds the draft gone (the
// creator's publish consumed it) and ends the promotion as failed although
// the version exists — or, on an API that does not consume drafts
// atomically, publishes twice.
func TestSkewedReplicaDoesNotPublishConcurrently(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		before := len(a.Versions)
		var draft atomsim.DraftInfo
		for _, d := range a.Drafts {
			if d.Name == "Refund policy update" {
				draft = d
			}
		}
		if draft.DraftID == "" {
			t.Fatalf("no seeded draft to promote: %+v", a.Drafts)
		}
		publish := pathHas("POST", "/publish")
		held := newGate(publish)   // the creator's publish, before Atoms sees it
		answer := newGate(publish) // then its answer, after Atoms did it
		answer.after = true
		aheadHeld := newGate(publish)
		creator := h.replicaVia("replica-a2", held.serve(t, answer.wrap(h.sim)), h.slackURL, 0)
		ahead := h.replicaVia("replica-ahead", aheadHeld.serve(t, h.sim), h.slackURL, 3*time.Minute)

		var created state.Promotion
		creating := goAsync(t, func() {
			created, _ = creator.engine.Promote(context.Background(), workflow.PromoteRequest{
				Agent: platform.Agent{ID: a.ID, Name: a.Name, LiveVersionID: a.ActiveVersionID},
				Draft: platform.Draft{ID: draft.DraftID, Name: draft.Name, Open: true},
				Label: "refund wording", Requester: alice, Channel: testChannel,
			})
		}, held, answer, aheadHeld)
		held.wait(t, 1)
		pollAhead := ahead.pollAsync(held, answer, aheadHeld)
		// The replica ahead either stays out or reaches its own publish.
		select {
		case <-aheadHeld.arrived:
			held.open()
			answer.wait(t, 1) // the creator's publish happened; its answer is slow
			aheadHeld.open()
			pollAhead.wait(t)
			answer.open()
		case <-pollAhead.done:
			held.open()
			answer.open()
			aheadHeld.open()
		}
		creating.wait(t)

		p, err := h.bot.store.Promotion(t.Context(), created.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.State != state.Published {
			t.Fatalf("promotion is %s (%s), want published:%s", p.State, p.Reason, h.dump())
		}
		if n := h.publishes(a.ID, before); n != 1 {
			t.Fatalf("%d versions published, want 1", n)
		}
		m, ok := h.findApproval()
		if !ok {
			h.advance(time.Minute, creator)
			if m, ok = h.findApproval(); !ok {
				t.Fatalf("no approval request:%s", h.dump())
			}
		}
		h.bot.click(bob, m.TS, render.ActionApprove, buttonValue(t, h.approvalMessageAt(m.TS), render.ActionApprove))
		for range 3 {
			h.advance(10*time.Second, creator, ahead)
		}
		h.assertLiveOnce(a.ID, 4)
	})
}
