package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

func TestRejectEndsPromotion(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		msg := h.approvalMessage()
		h.bot.reject(bob, ts, "")
		h.advance(7*time.Second, h.bot)
		h.advance(time.Minute, h.bot)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("rejected promotion was activated")
		}
		if !threadSays(h, ts, "rejected by <@"+bob+">") {
			t.Errorf("no 'rejected by <@%s>' reply in the thread (a mention, not escaped text):%s", bob, h.dump())
		}
		if cur, _ := h.state().Find(testChannel, ts); strings.Contains(string(cur.Blocks), "&lt;@") {
			t.Errorf("approval message shows an escaped mention: %s", cur.Blocks)
		}
		final, _ := h.state().Find(testChannel, ts)
		if strings.Contains(string(final.Blocks), render.ActionApprove) {
			t.Errorf("buttons still offered after reject")
		}
		// The lock is free: a new promotion may start.
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("lock still held by %s after reject", holder)
		}
		// A late approval changes nothing and is explained.
		h.bot.click(carol, ts, render.ActionApprove, buttonValue(t, msg, render.ActionApprove))
		if got := h.lastEphemeral(carol); !strings.Contains(got, "already rejected") {
			t.Errorf("late approval answer = %q", got)
		}
		if n := h.state().CountText("is live"); n != 0 {
			t.Errorf("%d 'is live' posts after a rejection", n)
		}
	})
}

func threadSays(h *harness, ts, word string) bool {
	for _, m := range h.state().Thread(testChannel, ts) {
		if m.TS != ts && strings.Contains(strings.ToLower(m.Text), strings.ToLower(word)) {
			return true
		}
	}
	return false
}

func TestApprovalExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.policy.TTL = time.Hour })
		a, ts := h.promote(h.bot, alice)
		h.advance(7 * time.Second)
		for range 5 {
			h.advance(15 * time.Minute)
		}
		p, err := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if err != nil {
			t.Fatal(err)
		}
		if p.State != state.Expired {
			t.Fatalf("state after TTL = %s, want expired", p.State)
		}
		if !threadSays(h, ts, "expired") {
			t.Errorf("no expiry note in the thread:%s", h.dump())
		}
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("lock still held after expiry")
		}
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove))
		if got := h.lastEphemeral(bob); !strings.Contains(got, "expired") {
			t.Errorf("approval after expiry answer = %q", got)
		}
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("expired promotion activated")
		}
	})
}

// approvalMessageAt returns the approval message as first posted (its
// buttons), even after updates removed them.
func (h *harness) approvalMessageAt(ts string) slackfake.Message {
	h.t.Helper()
	m, ok := h.state().Find(testChannel, ts)
	if !ok {
		h.t.Fatalf("no message %s", ts)
	}
	if len(m.History) > 0 {
		m.Blocks = m.History[0].Blocks
	}
	return m
}

func (h *harness) promotionIDFromButton(ts string) string {
	id, _, ok := render.ParseButtonValue(buttonValue(h.t, h.approvalMessageAt(ts), render.ActionApprove))
	if !ok {
		h.t.Fatal("unparseable button value")
	}
	return id
}

func TestFailedSecurityCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		if err := h.sim.FailNextCheck(a.ID, "failed", "prompt asks for card numbers"); err != nil {
			t.Fatal(err)
		}
		_, ts := h.promote(h.bot, alice)
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		h.advance(7 * time.Second)
		p, _ := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if p.State != state.Failed || !strings.Contains(p.Reason, "card numbers") {
			t.Fatalf("promotion = %s (%q), want failed with the reason", p.State, p.Reason)
		}
		if !threadSays(h, ts, "failed") || !threadSays(h, ts, "card numbers") {
			t.Errorf("thread does not say failed with the reason:%s", h.dump())
		}
		final, _ := h.state().Find(testChannel, ts)
		if !strings.Contains(final.Text+string(final.Blocks), "failed") {
			t.Errorf("approval message not updated to failed: %s", final.Blocks)
		}
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("failed version activated")
		}
		if n := h.state().CountText("is live"); n != 0 {
			t.Errorf("%d 'is live' posts after a failed check", n)
		}
	})
}

func TestSecondPromoteRefusedWhileInFlight(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, _ := h.promote(h.bot, alice)
		before := len(h.live(a.ID).Versions)
		// Another draft of the same agent: carol starts one by saving a form.
		f := h.openEdit(carol, "support-concierge")
		if rec := h.submit(carol, f, map[string]string{"firstMessage": "Carol's greeting"}); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("saving carol's form: %d %s", rec.Code, rec.Body)
		}
		drafts := h.live(a.ID).Drafts
		if len(drafts) == 0 || drafts[len(drafts)-1].Name != "carol-2026-11-02-0900" {
			t.Fatalf("saving the form did not start carol's draft: %+v", drafts)
		}
		rec := h.bot.command(carol, "promote support-concierge "+drafts[len(drafts)-1].DraftID)
		if rec.Code != 200 {
			t.Fatalf("second promote: %d", rec.Code)
		}
		got := h.lastEphemeral(carol)
		if !strings.Contains(got, "in flight") {
			t.Fatalf("second promote answer = %q, want it to say 'in flight'", got)
		}
		if !strings.Contains(got, "slack.com/archives/") {
			t.Errorf("refusal lacks a link to the promotion in flight: %q", got)
		}
		if n := len(h.live(a.ID).Versions); n != before {
			t.Fatalf("a refused promotion published a version (%d → %d)", before, n)
		}
	})
}

func TestCancelByRequester(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		h.bot.command(carol, "cancel support-concierge") // carol may approve: allowed
		h.bot.command(alice, "cancel support-concierge")
		p, _ := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if p.State != state.Cancelled || p.EndedBy != carol {
			t.Fatalf("after cancel: %s by %s, want cancelled by %s", p.State, p.EndedBy, carol)
		}
		if got := h.lastEphemeral(alice); !strings.Contains(got, "no promotion in flight") {
			t.Errorf("second cancel answer = %q", got)
		}
		h.advance(7 * time.Second)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("cancelled promotion activated")
		}
		if !threadSays(h, ts, "cancelled") {
			t.Errorf("no cancel note in thread:%s", h.dump())
		}
	})
}

func TestCancelRefusedForOutsider(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.policy.Approvers = []string{bob} })
		_, ts := h.promote(h.bot, alice)
		h.bot.command(carol, "cancel support-concierge")
		if got := h.lastEphemeral(carol); !strings.Contains(got, "Only the requester") {
			t.Errorf("outsider cancel answer = %q", got)
		}
		p, _ := h.bot.store.Promotion(t.Context(), h.promotionIDFromButton(ts))
		if p.State != state.Published {
			t.Fatalf("outsider cancel changed the promotion to %s", p.State)
		}
		// Not an approver either: the click is refused and changes nothing.
		h.bot.click(carol, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		if got := h.lastEphemeral(carol); !strings.Contains(got, "not on the list of approvers") {
			t.Errorf("outsider approval answer = %q", got)
		}
	})
}

func TestRollback(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent) // v3 active
		h.bot.command(alice, "rollback support-concierge v1")
		m := h.approvalMessage()
		if !strings.Contains(string(m.Blocks), "Rollback") {
			t.Errorf("approval message does not say rollback: %s", m.Blocks)
		}
		h.bot.click(bob, m.TS, render.ActionApprove, buttonValue(t, m, render.ActionApprove))
		h.bot.poll()
		h.assertLiveOnce(a.ID, 1)
		// The version is already active: a second rollback to it is refused.
		h.bot.command(alice, "rollback support-concierge v1")
		if got := h.lastEphemeral(alice); !strings.Contains(got, "already the active version") {
			t.Errorf("rollback to the active version answer = %q", got)
		}
	})
}

func TestRollbackRefusesVersionWithFailedCheck(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		if err := h.sim.SetCheck(a.Versions[0].ID, "failed", "leaks PII"); err != nil {
			t.Fatal(err)
		}
		h.bot.command(alice, "rollback support-concierge v1")
		if got := h.lastEphemeral(alice); !strings.Contains(got, "has not passed") {
			t.Errorf("rollback answer = %q", got)
		}
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("a refused rollback holds the lock")
		}
	})
}

func TestTwoApprovalsRequired(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.policy = workflow.Policy{Required: 2, TTL: time.Hour} })
		a, ts := h.promote(h.bot, alice)
		h.advance(7 * time.Second)
		v := buttonValue(t, h.approvalMessage(), render.ActionApprove)
		h.bot.click(bob, ts, render.ActionApprove, v)
		h.bot.click(bob, ts, render.ActionApprove, v) // a double click counts once
		h.advance(2 * time.Second)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("activated with one distinct approval of two")
		}
		if got := h.lastEphemeral(bob); !strings.Contains(got, "already approved") {
			t.Errorf("double click answer = %q", got)
		}
		h.bot.click(carol, ts, render.ActionApprove, v)
		h.bot.poll()
		h.assertLiveOnce(a.ID, 4)
		live := h.state()
		for _, m := range live.Messages {
			if strings.Contains(m.Text, "is live") && (!strings.Contains(string(m.Blocks), bob) || !strings.Contains(string(m.Blocks), carol)) {
				t.Errorf("announcement does not name both approvers: %s", m.Blocks)
			}
		}
	})
}

func TestApprovalForOtherVersionRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		id, _, _ := render.ParseButtonValue(buttonValue(t, h.approvalMessage(), render.ActionApprove))
		h.bot.click(bob, ts, render.ActionApprove, render.ButtonValue(id, a.Versions[0].ID))
		if got := h.lastEphemeral(bob); !strings.Contains(got, "different version") {
			t.Errorf("answer = %q", got)
		}
		h.advance(7 * time.Second)
		if got := h.live(a.ID).ActiveVersionID; got != a.ActiveVersionID {
			t.Fatalf("approval of another version activated the promotion")
		}
	})
}

// A label is the requester's text and is shown as written — escaped, so
// "<!channel>" pings no one — even when it says "is live". The bot's own
// words say "is live" in one post only, the announcement (the post tagged
// with its metadata).
func TestLabelShownAsWrittenAndAnnouncedOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		h.bot.command(alice, `promote support-concierge "Refund policy update" this is live <!channel> & more`)
		m := h.approvalMessage()
		const label = "this is live &lt;!channel&gt; &amp; more"
		if !strings.Contains(m.PostedText(), "“"+label+"”") {
			t.Fatalf("approval request text does not show the label as written: %q", m.PostedText())
		}
		if strings.Contains(m.PostedText()+string(m.Blocks), "<!channel>") {
			t.Fatalf("unescaped broadcast in the approval request: %s", m.Blocks)
		}
		h.bot.click(bob, m.TS, render.ActionApprove, buttonValue(t, m, render.ActionApprove))
		h.advance(7 * time.Second)
		if got := h.live(a.ID).ActiveVersionID; got == a.ActiveVersionID {
			t.Fatalf("not activated:%s", h.dump())
		}
		var own []string
		for _, p := range h.state().Messages {
			if p.Method == slackfake.MethodPostMessage && strings.Contains(strings.ReplaceAll(p.PostedText(), label, ""), "is live") {
				own = append(own, p.TS)
			}
		}
		ann := h.announcements()
		if len(own) != 1 || len(ann) != 1 || own[0] != ann[0].TS {
			t.Fatalf("posts whose own words say 'is live': %v; announcements: %d; want the one announcement:%s", own, len(ann), h.dump())
		}
	})
}

// announcements are the posts tagged as "is live" announcements.
func (h *harness) announcements() []slackfake.Message {
	var out []slackfake.Message
	for _, m := range h.state().Messages {
		if m.Method == slackfake.MethodPostMessage && strings.Contains(string(m.Metadata), `"atomsbot_live"`) {
			out = append(out, m)
		}
	}
	return out
}
