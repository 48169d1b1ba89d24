package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
)

// threadNote replies in the approval message's thread (or, when there is no
// approval message or it was deleted, posts in the channel so the news is
// not lost). Where Slack will never take the post (the bot is not in the
// channel), the error is permanent and logged once, here.
func (e *Engine) threadNote(ctx context.Context, p state.Promotion, mrkdwn string) error {
	return e.threadPost(ctx, p, render.Note(mrkdwn))
}

// threadNoteAt is a thread note on a step of the promotion made at the
// given time, shown in full under the note.
func (e *Engine) threadNoteAt(ctx context.Context, p state.Promotion, mrkdwn string, at time.Time) error {
	return e.threadPost(ctx, p, render.NoteAt(mrkdwn, at))
}

func (e *Engine) threadPost(ctx context.Context, p state.Promotion, m render.Message) error {
	thread := p.MessageTS
	switch gone := e.messageGone(ctx, p.ID); gone {
	case "":
	case slackerr.NoMessage.String():
		thread = ""
	default:
		return &slackerr.Error{Method: "chat.postMessage", Channel: p.Channel, Kind: slackerr.NoChannel, Err: errors.New("the approval message's channel cannot be used: " + gone)}
	}
	_, err := e.slack.Post(ctx, p.Channel, thread, m)
	if thread != "" && slackerr.Is(err, slackerr.NoMessage) {
		// The thread went with its message: say it in the channel.
		e.messageLost(ctx, p, err)
		_, err = e.slack.Post(ctx, p.Channel, "", m)
	}
	if err != nil {
		if slackerr.Permanent(err) {
			e.slackFailed("note not posted: Slack refuses it", err, "promotion", p.ID, "channel", p.Channel)
		} else {
			e.log.Warn("thread note", "promotion", p.ID, "err", err)
		}
		return fmt.Errorf("thread note: %w", err)
	}
	return nil
}

func endNote(p state.Promotion) string {
	name := render.Escape(p.AgentName) + " " + render.Escape(VersionName(p))
	// Reason is plain text (escaped here); who ended it is a user id (a mention).
	detail := ""
	if p.EndedBy != "" {
		detail += " by " + render.Mention(p.EndedBy)
	}
	if p.Reason != "" {
		detail += " — " + render.Escape(p.Reason)
	}
	// The requester hears of a rejection or a failure (a mention notifies).
	tell := ""
	if p.Requester != "" && p.Requester != p.EndedBy {
		tell = " cc " + render.Mention(p.Requester)
	}
	switch p.State {
	case state.Rejected:
		return ":no_entry: Promotion of " + name + " rejected" + detail + "." + tell
	case state.Cancelled:
		return ":heavy_multiplication_x: Promotion of " + name + " cancelled" + detail + "."
	case state.Expired:
		return ":hourglass: Promotion of " + name + " expired" + detail + "."
	case state.Failed:
		return ":x: Promotion of " + name + " failed" + detail + "." + tell
	}
	return fmt.Sprintf("Promotion of %s is %s%s.", name, p.State, detail)
}

// end moves p to a final state, then updates the message and the thread
// (closeOut). The promotion it returns has Announced unset when those posts
// failed: finish makes them later.
func (e *Engine) end(ctx context.Context, p state.Promotion, to state.PromotionState, reason, by string) (state.Promotion, error) {
	np, err := e.store.Transition(ctx, p.ID, p.State, to, state.Patch{Reason: &reason, EndedBy: &by})
	if err != nil {
		return p, err
	}
	e.transitioned(np)
	actor := by
	if actor == "" {
		actor = "atomsbot"
	}
	e.audit(ctx, np, actor, string(to), reason)
	e.abandon(ctx, np)
	if cp, err := e.closeOut(ctx, np); err == nil {
		np = cp
	} else {
		e.log.Warn("final notes; retried by the poller", "promotion", np.ID, "err", err)
	}
	return np, nil
}

// closeOut gives an ended promotion its final look and its note in the
// thread, once: under the news guard, after re-reading Announced, which it
// then sets. A Slack failure leaves Announced unset for finish to retry.
func (e *Engine) closeOut(ctx context.Context, p state.Promotion) (state.Promotion, error) {
	release, err := e.exclusive(ctx, newsGuard(p.ID))
	if err != nil {
		return p, err
	}
	defer release()
	cur, err := e.store.Promotion(ctx, p.ID)
	if err != nil {
		return p, fmt.Errorf("re-read before the final notes: %w", err)
	}
	if cur.Announced {
		return cur, nil
	}
	if cur.MessageTS == "" && e.messageGone(ctx, cur.ID) == "" {
		// The request may be out with its answer lost: it ended before
		// the next try found it (unless Slack refused it for good). Found, it gets its final look (no
		// buttons left to click) and the note goes in its thread.
		ts, err := e.findTagged(ctx, requestAttempt(cur.ID), cur.Channel, render.TagRequest)
		if err != nil {
			return cur, err
		}
		if ts != "" {
			if cur, err = e.patchAnyState(ctx, cur, state.Patch{MessageTS: &ts}); err != nil {
				return cur, fmt.Errorf("record approval message: %w", err)
			}
		}
	}
	if err := e.refreshMessage(ctx, cur, nil); err != nil {
		return cur, err
	}
	// A note Slack will never take is given up on (logged by threadPost):
	// retrying it forever would only call Slack forever.
	if err := e.threadNoteAt(ctx, cur, endNote(cur), cur.EndedAt); err != nil && !slackerr.Permanent(err) {
		return cur, err
	}
	done := true
	np, err := e.store.Update(ctx, cur.ID, cur.State, state.Patch{Announced: &done})
	if err != nil {
		return cur, fmt.Errorf("record final notes: %w", err)
	}
	return np, nil
}

// abandon undoes on Atoms what an ended promotion staged (a scan still
// running is cancelled, a branch the bot made is archived). It is best
// effort and repeated by finish until the final notes are out.
func (e *Engine) abandon(ctx context.Context, p state.Promotion) {
	if err := e.atoms.Abandon(ctx, releaseOf(p)); err != nil {
		e.log.Warn("undo what the promotion staged", "promotion", p.ID, "err", err)
	}
}

// ended says when to look again at a promotion end just ended: never, unless
// its final notes could not be posted yet.
func (e *Engine) ended(p state.Promotion, err error) (time.Time, error) {
	if err != nil {
		return time.Time{}, err
	}
	if !p.Announced {
		return e.now().Add(5 * e.cfg.PollInterval), nil
	}
	return time.Time{}, nil
}
