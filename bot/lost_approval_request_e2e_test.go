package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// isApprovalRequest matches the post of an approval request.
func isApprovalRequest(c slackfake.Call) bool {
	return strings.Contains(c.Form.Get("metadata"), render.TagRequest)
}

// When Slack runs the approval request's post but its answer is lost — a
// 500 after the post, or no answer before the client gives up — the next
// try, on another replica, finds the request in the channel's history:
// exactly one request, whose buttons work.
func TestLostApprovalRequestAnswerAcrossReplicas(t *testing.T) {
	for _, tt := range lostAnswers(isApprovalRequest) {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newGiveUpHarness(t, b)
				first, other := h.bot, h.replica("replica-b")
				tt.arm(h.slack)
				agent, ts := h.promote(first, alice)
				for range 5 {
					h.advance(time.Second, other)
				}
				var requests []string
				for _, m := range h.state().ChannelMessages(testChannel) {
					if m.ThreadTS == "" && strings.Contains(m.PostedText(), "Approval needed") {
						requests = append(requests, m.TS)
					}
				}
				if len(requests) != 1 || requests[0] != ts {
					t.Fatalf("approval requests %v, want the one whose answer was lost (%s):%s", requests, ts, h.dump())
				}
				if got := h.promotionAt(ts).MessageTS; got != ts {
					t.Fatalf("the promotion records request %q, want %q", got, ts)
				}
				if len(h.state().CallsTo("conversations.history")) == 0 {
					t.Error("the channel's history was never searched")
				}
				h.approve(bob, ts)
				for range 4 {
					h.advance(7*time.Second, first, other)
				}
				h.assertLiveOnce(agent.ID, 4)
			})
		})
	}
}
