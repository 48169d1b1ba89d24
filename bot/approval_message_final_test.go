package bot

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// clickBody is the form body of a button click (as replica.click sends it).
func (h *harness) clickBody(user, ts, actionID, value string) string {
	b, err := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team":      map[string]any{"id": "T1"},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": testChannel},
		"channel":   map[string]any{"id": testChannel}, "trigger_id": h.slack.IssueTrigger(user),
		"response_url": h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user, MessageTS: ts}),
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "approval_actions", "value": value,
			"action_ts": strconv.FormatInt(h.clock.Now().Unix(), 10) + "." + strconv.FormatInt(actionSeq.Add(1), 10)}},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// The approval handler and the poller both re-render the approval message.
// When the handler's update reaches Slack after the poller's "live" update,
// the message is left showing the Approve and Reject buttons of a promotion
// that is already live.
func TestApprovalMessageEndsInFinalState(t *testing.T) {
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
		updates := newGate(pathHas("POST", "chat.update"))
		front := h.replicaVia("replica-front", h.simURL, updates.serve(t, h.slack), 0)

		// Bob's click is handled by one replica; its message update is slow.
		front.serve("/slack/interactions", h.clickBody(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove)))
		updates.wait(t, 1)
		// Meanwhile the check passes and the poller of another replica
		// activates and marks the message live.
		if err := h.sim.SetCheck(p.VersionID, "passed", ""); err != nil {
			t.Fatal(err)
		}
		h.advance(2 * time.Second)
		h.assertLiveOnce(p.AgentID, 4)
		updates.open()
		front.drain()

		final, ok := h.state().Find(testChannel, ts)
		if !ok {
			t.Fatal("approval message gone")
		}
		if strings.Contains(string(final.Blocks), render.ActionApprove) {
			t.Fatalf("the approval message of a live promotion still offers the buttons: %s", final.Blocks)
		}
		if !strings.Contains(final.Text+string(final.Blocks), "live") {
			t.Errorf("the approval message does not say live: %s %s", final.Text, final.Blocks)
		}
	})
}

// An approval that completes a promotion whose check already passed
// activates at once — also when Slack is slow to take the approval's thread
// note and message update: the promotion is made due before those posts.
func TestApprovalActivatesWhileSlackIsSlow(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, ts := h.promote(h.bot, alice)
		h.advance(7 * time.Second) // the check passed; next look in a minute
		posts := newGate(pathHas("POST", "chat.postMessage"))
		front := h.replicaVia("replica-front", h.simURL, posts.serve(t, h.slack), 0)

		front.serve("/slack/interactions", h.clickBody(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessageAt(ts), render.ActionApprove)))
		posts.wait(t, 1) // approval recorded; the thread note hangs
		h.bot.poll()     // another replica's poller, a moment later
		if got := h.live(a.ID).ActiveVersionID; got == a.ActiveVersionID {
			t.Errorf("not activated while the approver's replica waits for Slack:%s", h.dump())
		}
		posts.open()
		front.drain()
		h.advance(time.Minute)
		h.assertLiveOnce(a.ID, 4)
	})
}
