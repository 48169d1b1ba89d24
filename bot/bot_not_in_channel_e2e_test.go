package bot

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/state"
)

// /atoms promote or rollback in a channel the bot cannot post in: the
// requester is told at once, through the command's response_url, what to do
// ("invite @atomsbot to #channel"); the promotion ends — nothing goes live,
// a branch the bot made is archived, the agent is free — and Slack is not
// called again. On both versioning models.
func TestPromoteWhereTheBotCannotPost(t *testing.T) {
	tests := []struct {
		name    string
		model   func(*harnessConfig)
		command string
		leave   func(*slackfake.Server, string)
		want    []string // in the reply to the requester
	}{
		{name: "v1 promote, bot not in the channel", command: `promote support-concierge "Refund policy update"`,
			leave: (*slackfake.Server).RemoveBot, want: []string{"not in <#" + testChannel + ">", "Invite @atomsbot to <#" + testChannel + ">", "Nothing went live"}},
		{name: "v1 rollback, bot not in the channel", command: "rollback support-concierge v2",
			leave: (*slackfake.Server).RemoveBot, want: []string{"not in <#" + testChannel + ">", "/atoms rollback"}},
		{name: "v1 promote, channel archived", command: `promote support-concierge "Refund policy update"`,
			leave: (*slackfake.Server).ArchiveChannel, want: []string{"<#" + testChannel + "> is archived", "another channel"}},
		{name: "branch model promote, bot not in the channel", model: branchModel("v2"), command: `promote support-concierge "Main"`,
			leave: (*slackfake.Server).RemoveBot, want: []string{"Invite @atomsbot to <#" + testChannel + ">"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				var mods []func(*harnessConfig)
				if tt.model != nil {
					mods = append(mods, tt.model)
				}
				h := newHarness(t, b, mods...)
				a := h.agent(demoAgent)
				before := h.live(a.ID)
				tt.leave(h.slack, testChannel)
				if rec := h.bot.command(alice, tt.command); rec.Code != http.StatusOK {
					t.Fatalf("command: %d", rec.Code)
				}
				reply := h.lastEphemeral(alice)
				for _, w := range tt.want {
					if !strings.Contains(reply, w) {
						t.Errorf("reply %q lacks %q", reply, w)
					}
				}
				if strings.Contains(reply, "approval request is in this channel") {
					t.Errorf("reply claims the request was posted: %q", reply)
				}
				if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
					t.Errorf("agent still locked by %s", holder)
				}
				posts := len(h.state().CallsTo("chat.postMessage")) + len(h.state().CallsTo("chat.update"))
				for range 10 {
					h.advance(5 * time.Second)
				}
				h.advance(time.Hour)
				if n := len(h.state().CallsTo("chat.postMessage")) + len(h.state().CallsTo("chat.update")); n != posts {
					t.Errorf("%d more Slack calls after the promotion ended:%s", n-posts, h.dump())
				}
				if got := h.live(a.ID); got.ActiveVersionID != before.ActiveVersionID {
					t.Errorf("active version moved to %s", got.ActiveVersionID)
				}
				if tt.model != nil {
					for _, br := range h.ownBranches(a.ID) {
						if br.Status != "archived" {
							t.Errorf("the bot's branch %s is %s, want archived", br.Name, br.Status)
						}
					}
				}
				// Invited: the same command goes through.
				h.slack.AddBot(testChannel)
				if tt.name == "v1 rollback, bot not in the channel" {
					h.bot.command(alice, tt.command)
					if _, ok := h.findApproval(); !ok {
						t.Errorf("no approval request after the invite:%s", h.dump())
					}
				}
			})
		})
	}
}
