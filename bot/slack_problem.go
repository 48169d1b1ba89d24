package bot

import (
	"fmt"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
)

// slackProblem tells the requester why Slack would not take atomsbot's post
// in the channel and what fixes it. It goes out through the command's
// response_url, which works where the bot is not a member.
func slackProblem(name string, se *slackerr.Error) render.Message {
	where := render.ChannelMention(se.Channel)
	what := "its messages"
	if name == "promote" || name == "rollback" {
		what = "the approval request"
	}
	const ended = "Nothing went live and the request has ended."
	code := ""
	if se.Code != "" {
		code = " (Slack: `" + render.Escape(se.Code) + "`)"
	}
	switch {
	case se.Code == "is_archived":
		return render.Note(fmt.Sprintf(":file_cabinet: %s is archived, so atomsbot could not post %s there. %s Run `/atoms %s` in another channel.", where, what, ended, name))
	case se.Kind == slackerr.NoChannel:
		return render.Note(fmt.Sprintf(":wave: atomsbot is not in %s, so it could not post %s there%s. %s Invite @atomsbot to %s (type `/invite @atomsbot` there) and run `/atoms %s` again.", where, what, code, ended, where, name))
	case se.Kind == slackerr.NoAccess:
		return render.Note(fmt.Sprintf(":closed_lock_with_key: Slack refused atomsbot's token or permissions%s, so it could not post %s. %s A Slack admin needs to check the app's installation and scopes.", code, what, ended))
	}
	return render.Note(fmt.Sprintf(":warning: Slack refused %s%s. %s", what, code, ended))
}
