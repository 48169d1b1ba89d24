package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// activationGrace bounds how long an activation may fail to show up in
// GET /agent before the promotion is failed.
const activationGrace = time.Minute

// announceTTL is how long an announcement claim is remembered, so a watch
// noticing the same activation later stays quiet.
const announceTTL = 7 * 24 * time.Hour

// announceKey names one activation: the version and the platform's
// activatedAt (a rollback to the same version later is a new activation).
// Without activatedAt the transition from the previous version stands in.
func announceKey(agentID, versionID string, activatedAt time.Time, previous string) string {
	if !activatedAt.IsZero() {
		return fmt.Sprintf("announce:%s:%s:%d", agentID, versionID, activatedAt.UnixMilli())
	}
	return fmt.Sprintf("announce:%s:%s->%s", agentID, previous, versionID)
}

func announceBlobKey(promotionID string) string { return "announce-key:" + promotionID }

// activate moves a ready promotion to live: compare-and-set to activating,
// activate (idempotent), verify on GET /agent, claim the announcement, live.
// It returns when to look at the promotion again (zero: done).
func (e *Engine) activate(ctx context.Context, p state.Promotion) (time.Time, error) {
	if p.State == state.Published {
		np, err := e.store.Transition(ctx, p.ID, state.Published, state.Activating, state.Patch{})
		if err != nil {
			return e.soon(), err
		}
		p = np
		e.transitioned(p)
	}
	// Activation is retried through Atoms outages of any length: keep the
	// agent's lock for as long, or a second promotion could start meanwhile.
	if _, err := e.store.RefreshLock(ctx, state.AgentLock(p.AgentID), p.ID, e.lockTTL()); err != nil {
		e.log.Warn("refresh agent lock", "promotion", p.ID, "err", err)
	}
	v, err := e.atoms.ActivateVersion(ctx, p.AgentID, p.VersionID)
	switch {
	case errors.Is(err, atoms.ErrSecurityCheckPending):
		// The check is not done after all: back to waiting, not a failure.
		pending := atoms.CheckPending
		if np, terr := e.store.Transition(ctx, p.ID, state.Activating, state.Published, state.Patch{CheckStatus: &pending}); terr == nil {
			e.transitioned(np)
		}
		return e.now().Add(e.cfg.PollInterval), nil
	case err != nil && transient(err):
		return e.now().Add(2 * e.cfg.PollInterval), fmt.Errorf("activate: %w", err)
	case err != nil:
		return e.ended(e.end(ctx, p, state.Failed, "activation refused: "+UserMessage(err), ""))
	}

	agent, err := e.atoms.GetAgent(ctx, p.AgentID, atoms.GetAgentOptions{})
	if err != nil {
		return e.now().Add(2 * e.cfg.PollInterval), fmt.Errorf("verify activation: %w", err)
	}
	if agent.ActiveVersionID != p.VersionID {
		if e.now().Sub(p.UpdatedAt) < activationGrace {
			return e.now().Add(e.cfg.PollInterval), nil
		}
		return e.ended(e.end(ctx, p, state.Failed, fmt.Sprintf("activation did not take: Atoms reports %s as the active version", agent.ActiveVersionID), ""))
	}

	activatedAt := v.ActivatedAt
	key := announceKey(p.AgentID, p.VersionID, activatedAt, p.PreviousVersionID)
	if _, _, err := e.store.AcquireLock(ctx, key, p.ID, e.cfg.Lease); err != nil {
		return e.soon(), fmt.Errorf("claim announcement: %w", err)
	}
	// Remember the key: the announcement may be retried by another replica.
	if err := e.store.PutBlob(ctx, announceBlobKey(p.ID), []byte(key), announceTTL); err != nil {
		return e.soon(), fmt.Errorf("keep announcement key: %w", err)
	}
	liveAt := activatedAt
	if liveAt.IsZero() {
		liveAt = e.now()
	}
	np, err := e.store.Transition(ctx, p.ID, state.Activating, state.Live, state.Patch{ActivatedAt: &liveAt})
	if err != nil {
		return e.soon(), err
	}
	e.transitioned(np)
	e.audit(ctx, np, "atomsbot", "live", render.VersionName(np.VersionNumber))
	if e.metrics != nil && !np.PublishedAt.IsZero() && !np.CheckPassedAt.IsZero() {
		e.metrics.ObserveCheckWait(np.CheckPassedAt.Sub(np.PublishedAt))
	}
	_ = e.threadNote(ctx, np, fmt.Sprintf(":rocket: Activated %s and verified that Atoms serves it.", render.VersionName(np.VersionNumber)))
	return e.finish(ctx, np)
}

// finish completes a promotion that reached a final state: the one "is live"
// announcement, or the note saying how it ended (each retried until posted),
// and the final look of the message.
func (e *Engine) finish(ctx context.Context, p state.Promotion) (time.Time, error) {
	switch {
	case p.Announced:
	case p.State == state.Live:
		if err := e.announce(ctx, p); err != nil {
			return e.now().Add(5 * e.cfg.PollInterval), err
		}
		_ = e.refreshMessage(ctx, p, nil)
	case p.State.Terminal():
		if _, err := e.closeOut(ctx, p); err != nil {
			return e.now().Add(5 * e.cfg.PollInterval), err
		}
	}
	return time.Time{}, nil
}

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
		if _, err := e.slack.Announce(ctx, p.Channel, e.liveMessage(p, approvals)); err != nil {
			return fmt.Errorf("announce: %w", err)
		}
		if _, err := e.store.RefreshLock(ctx, key, p.ID, announceTTL); err != nil {
			e.log.Warn("keep announcement claim", "promotion", p.ID, "err", err)
		}
	} else {
		e.log.Info("activation already announced", "promotion", p.ID, "by", holder)
	}
	announced := true
	if _, err := e.store.Update(ctx, p.ID, state.Live, state.Patch{Announced: &announced}); err != nil {
		return fmt.Errorf("record announcement: %w", err)
	}
	e.tellWatchers(ctx, p)
	return nil
}

func (e *Engine) liveMessage(p state.Promotion, approvals []state.Approval) render.Message {
	var approvers []string
	for _, a := range approvals {
		if a.VersionID == p.VersionID {
			approvers = append(approvers, a.UserID)
		}
	}
	return render.Live(render.LiveView{
		AgentName: p.AgentName, VersionNumber: p.VersionNumber, Label: p.Label,
		Kind: string(p.Kind), Requester: p.Requester, Approvers: approvers,
		RequestedAt: p.CreatedAt, LiveAt: p.ActivatedAt,
		Link: Permalink(p.Channel, p.MessageTS),
	})
}

// tellWatchers lets channels watching the agent (other than the promotion's)
// know, in other words than the one announcement, and records the version as
// seen so the watch does not report it again.
func (e *Engine) tellWatchers(ctx context.Context, p state.Promotion) {
	if seen, err := e.store.SeenVersion(ctx, p.AgentID); err == nil && seen != "" && seen != p.VersionID {
		_, _ = e.store.SetSeenVersion(ctx, p.AgentID, seen, p.VersionID)
	}
	watchers, err := e.store.Watchers(ctx, p.AgentID)
	if err != nil {
		return
	}
	for _, w := range watchers {
		if w.Channel == p.Channel {
			continue
		}
		m := render.Note(fmt.Sprintf(":rocket: %s %s went live through atomsbot (requested by %s in %s).",
			render.Escape(p.AgentName), render.VersionName(p.VersionNumber), render.Mention(p.Requester), render.ChannelMention(p.Channel)))
		if _, err := e.slack.Post(ctx, w.Channel, "", m); err != nil {
			e.log.Warn("tell watcher", "channel", w.Channel, "err", err)
		}
	}
}

// transient reports whether an Atoms error may go away by itself.
func transient(err error) bool {
	var ae *atoms.APIError
	if errors.As(err, &ae) {
		return ae.Temporary()
	}
	// Network errors and timeouts: the idempotent call can simply be repeated.
	return true
}

func (e *Engine) soon() time.Time { return e.now().Add(e.cfg.PollInterval) }
