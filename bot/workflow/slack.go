package workflow

import (
	"context"
	"log/slog"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
)

// Slack is what the engine needs of the Slack Web API. Its failures are
// *slackerr.Error values: the engine stops at the permanent ones (the bot is
// not in the channel, the message is gone, the token or a scope is refused)
// instead of retrying them, and finds out after an unclear answer before
// repeating a post that must not repeat.
type Slack interface {
	// Post sends m; a tagged m (the "is live" of an activation, a
	// promotion's approval request) carries its tag for FindTagged.
	Post(ctx context.Context, channel, threadTS string, m render.Message) (ts string, err error)
	// FindTagged returns the ts of the post tagged tag in channel since
	// since, "" when there is none.
	FindTagged(ctx context.Context, channel string, tag render.Tag, since time.Time) (ts string, err error)
	Update(ctx context.Context, channel, ts string, m render.Message) error
	// Upload shares a text file (a diff too long for messages) in a thread.
	Upload(ctx context.Context, channel, threadTS, filename, title, content string) error
	Ephemeral(ctx context.Context, channel, user string, m render.Message) error
}

// slackFailed logs a failed Slack call with Slack's error code: as an error
// when an admin has to act (the token or a scope was refused), as a warning
// otherwise. Permanent failures are not retried, so each is logged once.
func (e *Engine) slackFailed(msg string, err error, args ...any) {
	level := slog.LevelWarn
	if se, ok := slackerr.As(err); ok {
		args = append(args, "slack_error", se.Code, "kind", se.Kind.String())
		if se.Kind == slackerr.NoAccess {
			level = slog.LevelError
		}
	}
	e.log.Log(context.Background(), level, msg, append(args, "err", err)...)
}

// unpostable says, in plain words for the promotion's reason, why Slack will
// not take the bot's posts in the promotion's channel.
func unpostable(err error) string {
	se, _ := slackerr.As(err)
	if se == nil {
		return "Slack refused the approval request"
	}
	why := "Slack refused the approval request"
	switch {
	case se.Code == "is_archived":
		why = "the channel is archived, so atomsbot cannot post the approval request there"
	case se.Kind == slackerr.NoChannel:
		why = "atomsbot is not in the channel, so it cannot post the approval request there; invite atomsbot to the channel and try again"
	case se.Kind == slackerr.NoAccess:
		why = "Slack refused atomsbot's token or permissions, so it cannot post the approval request; a Slack admin needs to check the app"
	}
	if se.Code != "" {
		why += " (Slack: " + se.Code + ")"
	}
	return why
}
