package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
)

// finish completes a promotion that reached a final state: the one "is live"
// announcement, or the note saying how it ended (each retried until posted),
// and the final look of the message.
func (e *Engine) finish(ctx context.Context, p state.Promotion) (time.Time, error) {
	switch {
	case p.State == state.Live:
		if !p.Announced {
			if err := e.announce(ctx, p); err != nil {
				return e.retryAt(err), err
			}
			// Housekeeping after the news, not before it: best effort.
			if err := e.atoms.Tidy(ctx, releaseOf(p)); err != nil {
				e.log.Warn("tidy after going live", "promotion", p.ID, "err", err)
			}
		}
		// The request's final look (no buttons, "Live") is retried like
		// the announcement, for a while: a message Slack keeps refusing
		// (deleted, say) is given up on.
		if err := e.refreshMessage(ctx, p, nil); err != nil && e.now().Sub(p.ActivatedAt) < finalLookPatience {
			return e.retryAt(err), err
		}
	case p.Announced:
	case p.State.Terminal():
		e.abandon(ctx, p)
		if _, err := e.closeOut(ctx, p); err != nil {
			return e.retryAt(err), err
		}
	}
	return time.Time{}, nil
}

// finalLookPatience is how long the final update of a live promotion's
// request is retried.
const finalLookPatience = 10 * time.Minute

// announce posts the channel's "is live" message exactly once per activation,
// across replicas and the watch path: the claim on the activation's key is
// held by this promotion, and Announced is set after the post.
//
// The post cannot be taken back, so it is made under the news guard
// (exclusive), after re-reading Announced.
func (e *Engine) announce(ctx context.Context, p state.Promotion) error {
	release, err := e.exclusive(ctx, newsGuard(p.ID))
	if err != nil {
		return err
	}
	defer release()
	cur, err := e.store.Promotion(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("re-read before announcing: %w", err)
	}
	if cur.Announced {
		return nil
	}
	p = cur
	key := announceKey(p.AgentID, p.VersionID, p.ActivatedAt, p.PreviousVersionID)
	if b, err := e.store.Blob(ctx, announceBlobKey(p.ID)); err == nil {
		key = string(b)
	}
	ok, holder, err := e.store.AcquireLock(ctx, key, p.ID, e.cfg.Lease)
	if err != nil {
		return fmt.Errorf("claim announcement: %w", err)
	}
	if ok {
		approvals, err := e.store.Approvals(ctx, p.ID)
		if err != nil {
			return err
		}
		m := e.liveMessage(ctx, p, approvals)
		m.Tag = &render.Tag{Event: render.TagLive, Key: key}
		if _, err := e.postOnce(ctx, "promotion:"+p.ID, p.Channel, m); err != nil {
			if !slackerr.Permanent(err) {
				return fmt.Errorf("announce: %w", err)
			}
			// Slack will not take it (the bot was removed from the
			// channel, say): retrying cannot help.
			e.slackFailed("activation not announced: Slack refuses the post", err, "promotion", p.ID, "channel", p.Channel)
		}
		if _, err := e.store.RefreshLock(ctx, key, p.ID, announceTTL); err != nil {
			e.log.Warn("keep announcement claim", "promotion", p.ID, "err", err)
		}
	} else {
		e.log.Info("activation already announced", "promotion", p.ID, "by", holder)
	}
	// The watching channels are told before the news counts as out, so a
	// crash or a failed note is retried (for a while); their notes are
	// posted once each.
	if err := e.tellWatchers(ctx, p); err != nil {
		if e.now().Sub(p.ActivatedAt) < finalLookPatience {
			return err
		}
		e.log.Warn("watching channels not told; given up", "promotion", p.ID, "err", err)
	}
	announced := true
	if _, err := e.store.Update(ctx, p.ID, state.Live, state.Patch{Announced: &announced}); err != nil {
		return fmt.Errorf("record announcement: %w", err)
	}
	return nil
}

// liveMessage is the "is live" announcement: it mentions the requester,
// names the version it replaced and offers to roll back to it (through the
// same approval flow as /atoms rollback).
func (e *Engine) liveMessage(ctx context.Context, p state.Promotion, approvals []state.Approval) render.Message {
	var approvers []string
	for _, a := range approvals {
		if a.VersionID == p.ApprovalKey() {
			approvers = append(approvers, a.UserID)
		}
	}
	back := ""
	if p.PreviousVersionID != "" && p.PreviousVersionID != p.VersionID {
		back = render.RollbackValue(p.AgentID, p.PreviousVersionID)
	}
	return render.Live(render.LiveView{
		AgentName: p.AgentName, VersionNumber: p.VersionNumber, VersionRef: p.VersionRef, Label: p.Label,
		Kind: string(p.Kind), Requester: p.Requester, Approvers: approvers,
		RequestedAt: p.CreatedAt, LiveAt: p.ActivatedAt,
		Link:     Permalink(p.Channel, p.MessageTS),
		Replaced: e.requestContext(ctx, p.ID).BaseRef, Rollback: back,
	})
}

// tellWatchers lets channels watching the agent (other than the promotion's)
// know, in other words than the one announcement, and records the version as
// seen so the watch does not report it again.
func (e *Engine) tellWatchers(ctx context.Context, p state.Promotion) error {
	e.markSeen(ctx, p)
	watchers, err := e.store.Watchers(ctx, p.AgentID)
	if err != nil {
		return fmt.Errorf("read watchers: %w", err)
	}
	for _, w := range watchers {
		if w.Channel == p.Channel {
			continue
		}
		m := render.Note(fmt.Sprintf(":rocket: %s %s went live through atomsbot (requested by %s in %s).",
			render.Escape(p.AgentName), render.Escape(VersionName(p)), render.Mention(p.Requester), render.ChannelMention(p.Channel)))
		m.Tag = &render.Tag{Event: render.TagWatch, Key: p.ID}
		if _, err := e.postOnce(ctx, "watch-note:"+p.ID+":"+w.Channel, w.Channel, m); err != nil {
			if slackerr.Permanent(err) {
				e.slackFailed("tell watcher", err, "channel", w.Channel)
				continue
			}
			return fmt.Errorf("tell watcher %s: %w", w.Channel, err)
		}
	}
	return nil
}

func (e *Engine) soon() time.Time { return e.now().Add(e.cfg.PollInterval) }

// markSeen records p's version as the one a watch last saw, so the watch
// does not report the activation p announces itself.
func (e *Engine) markSeen(ctx context.Context, p state.Promotion) {
	if seen, err := e.store.SeenVersion(ctx, p.AgentID); err == nil && seen != "" && seen != p.VersionID {
		_, _ = e.store.SetSeenVersion(ctx, p.AgentID, seen, p.VersionID)
	}
}
