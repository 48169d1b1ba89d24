package workflow

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// slackCalls counts every call the engine made to Slack, taken or refused.
func (r *rig) slackCalls() int {
	n := 0
	for _, k := range []string{kindPost, kindAnnounce, kindUpdate, kindUpload, kindEphemeral} {
		n += r.slack.attempts(k)
	}
	return n
}

// A promotion whose approval request Slack will never take (the bot is not
// in the channel, the channel is archived, the token was revoked) ends at
// once: the requester gets the Slack error to be told why, what was
// published is abandoned, the agent is free, and Slack is not called again.
func TestApprovalRequestSlackRefusesEndsPromotion(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range []struct {
			code string
			kind slackerr.Kind
		}{
			{"not_in_channel", slackerr.NoChannel},
			{"channel_not_found", slackerr.NoChannel},
			{"is_archived", slackerr.NoChannel},
			{"token_revoked", slackerr.NoAccess},
		} {
			t.Run(tt.code, func(t *testing.T) {
				r := newRig(t, b)
				r.slack.removeBot(deploys, tt.code)
				p, err := r.eng.Promote(r.ctx, r.promoteReq(agentID))
				se, ok := slackerr.As(err)
				if !ok || se.Code != tt.code || se.Kind != tt.kind || se.Channel != deploys {
					t.Fatalf("Promote err = %v, want the Slack error %s in %s", err, tt.code, deploys)
				}
				p = r.wantState(p.ID, state.Failed)
				if !strings.Contains(p.Reason, tt.code) || !p.Announced {
					t.Errorf("reason %q, announced %v; want the Slack code and nothing more to post", p.Reason, p.Announced)
				}
				r.wantSettled(p)
				if _, _, acts, abandoned, _ := r.plat.snapshot(); len(acts) != 0 || !slices.Equal(abandoned, []string{p.ID}) {
					t.Errorf("activations %v, abandoned %v; want none and [%s]", acts, abandoned, p.ID)
				}
				calls := r.slackCalls()
				if calls != 1 {
					t.Errorf("%d Slack calls, want the one refused approval request", calls)
				}
				r.ticks(20)
				r.advance(time.Hour)
				if n := r.slackCalls(); n != calls {
					t.Errorf("Slack called %d more times after the promotion ended", n-calls)
				}
			})
		}
	})
}

// A bot removed from the channel after posting the approval request: a
// cancel ends the promotion, the refused final notes are given up at once,
// and the poller does not call Slack again.
func TestCancelAfterBotRemovedStopsCallingSlack(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.slack.removeBot(deploys, "not_in_channel")
		if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		np := r.wantState(p.ID, state.Cancelled)
		if !np.Announced {
			t.Error("final notes still pending: the poller would retry them")
		}
		calls := r.slackCalls()
		r.ticks(30)
		r.advance(time.Hour)
		if n := r.slackCalls(); n != calls {
			t.Errorf("Slack called %d more times after the cancel", n-calls)
		}
		r.wantSettled(p)
	})
}

// A deleted approval message is updated no more once Slack said it is gone
// (an update or a reply refused), and what would have gone in its thread
// goes to the channel.
func TestDeletedApprovalMessage(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tc := range []struct {
			end        string
			afterCheck bool // deleted after the check passed: an update finds out
		}{{"cancelled", false}, {"live", false}, {"cancelled", true}, {"live", true}} {
			t.Run(fmt.Sprintf("%s, deleted after the check %v", tc.end, tc.afterCheck), func(t *testing.T) {
				end := tc.end
				r := newRig(t, b)
				p := r.published()
				if !tc.afterCheck {
					r.slack.deleteMessage(p.MessageTS)
				}
				r.advance(r.plat.checkAfter) // the check passes: a note and an update
				if tc.afterCheck {
					r.slack.deleteMessage(p.MessageTS)
				}
				if end == "live" {
					r.live(p)
				} else if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
					t.Fatal(err)
				}
				r.poll()
				calls := r.slackCalls()
				r.ticks(20)
				r.advance(time.Hour)
				if n := r.slackCalls(); n != calls {
					t.Errorf("Slack called %d more times after the end", n-calls)
				}
				if n := len(r.slack.refused(kindUpdate)); n > 1 {
					t.Errorf("%d refused updates of the deleted message, want at most 1", n)
				}
				for _, c := range r.slack.of(kindPost) {
					if c.Thread != "" && !tc.afterCheck {
						t.Errorf("a post went to the vanished thread: %q", c.Msg.Text)
					}
				}
				if n := len(r.slack.postsContaining("security check of")); n != 1 {
					t.Errorf("%d check-passed notes in the channel, want 1", n)
				}
				switch end {
				case "cancelled":
					if n := len(r.slack.postsContaining("Promotion of")); n != 1 {
						t.Errorf("%d end notes in the channel, want 1", n)
					}
				case "live":
					r.wantAnnounced(1, agentName)
				}
				r.wantSettled(p)
			})
		}
	})
}
