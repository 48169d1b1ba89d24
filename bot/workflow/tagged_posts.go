package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
)

// Tagged posts are the messages that must appear once in a channel: the
// "is live" announcement of an activation, a promotion's approval request, a
// watching channel's note. Each carries a tag in its metadata, so that after
// a lost answer or a crash the post is looked for before it is made again.

// postAttempt records that a tagged post (an announcement, an approval
// request) was made or about to be, so that a later try after a lost answer
// (a timeout, a 5xx) or a crash first looks for it in the channel instead of
// posting it a second time.
type postAttempt struct {
	Key   string    `json:"key"`   // the tag's key, as in the post's metadata
	Since time.Time `json:"since"` // when the first try began
}

func postAttemptKey(name string) string { return "post-attempt:" + name }

// attempt reads the try of name on record (ok false when there is none).
func (e *Engine) attempt(ctx context.Context, name string) (rec postAttempt, ok bool, err error) {
	b, err := e.store.Blob(ctx, postAttemptKey(name))
	switch {
	case errors.Is(err, state.ErrNotFound):
		return rec, false, nil
	case err != nil:
		return rec, false, fmt.Errorf("read post attempt: %w", err)
	}
	return rec, len(b) > 0 && json.Unmarshal(b, &rec) == nil, nil
}

// postOnce posts the tagged message m in channel unless an earlier try got it
// there: the try is recorded under name before the post, and once one is on
// record the channel's history is searched for the post's tag before posting
// again. A later try of the same name uses the key on record. The caller runs
// it under a guard, so tries of one name do not overlap.
func (e *Engine) postOnce(ctx context.Context, name, channel string, m render.Message) (string, error) {
	tag := *m.Tag
	rec, tried, err := e.attempt(ctx, name)
	switch {
	case err != nil:
		return "", err
	case tried:
		tag.Key = rec.Key
		ts, ferr := e.slack.FindTagged(ctx, channel, tag, rec.Since)
		switch {
		case ferr == nil && ts != "":
			e.log.Info("tagged post found in the channel: an earlier try went out", "channel", channel, "event", tag.Event, "key", tag.Key)
			return ts, nil
		case ferr == nil:
		case slackerr.Is(ferr, slackerr.NoAccess):
			// Without the history scope nothing can be found out: the post
			// matters more than a possible repeat.
			e.slackFailed("cannot look for an earlier post (add channels:history and groups:history to the Slack app); posting", ferr, "channel", channel)
		default:
			return "", fmt.Errorf("look for an earlier post: %w", ferr)
		}
	default:
		b, _ := json.Marshal(postAttempt{Key: tag.Key, Since: e.now()})
		if err := e.store.PutBlob(ctx, postAttemptKey(name), b, announceTTL); err != nil {
			return "", fmt.Errorf("record post attempt: %w", err)
		}
	}
	m.Tag = &tag
	return e.slack.Post(ctx, channel, "", m)
}

// findTagged looks for the post an earlier try of name made, when one is on
// record: its ts, or "" when no try is on record or nothing was found. It is
// for an ending that must update a post whose answer was lost.
func (e *Engine) findTagged(ctx context.Context, name, channel, event string) (string, error) {
	rec, tried, err := e.attempt(ctx, name)
	if err != nil || !tried {
		return "", err
	}
	ts, err := e.slack.FindTagged(ctx, channel, render.Tag{Event: event, Key: rec.Key}, rec.Since)
	switch {
	case err == nil:
		return ts, nil
	case slackerr.Permanent(err):
		// Not findable (no history scope, the bot left the channel): the
		// ending goes on without it.
		e.slackFailed("cannot look for an earlier post", err, "channel", channel)
		return "", nil
	}
	return "", fmt.Errorf("look for an earlier post: %w", err)
}

// forgetPostAttempt clears a try on record once its outcome is stored
// elsewhere, for names that come back (a watched agent's "seen → current").
func (e *Engine) forgetPostAttempt(ctx context.Context, name string) {
	if err := e.store.PutBlob(ctx, postAttemptKey(name), nil, time.Minute); err != nil {
		e.log.Warn("clear post attempt", "name", name, "err", err)
	}
}
