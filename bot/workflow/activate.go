package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// activationGrace bounds how long an activation may fail to show up as the
// live version (Atoms reads lag writes by a few seconds) before the
// promotion is failed.
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
// activate through the platform (idempotent; refused when something moved
// since the approvers looked), verify that the version is live, tidy up,
// claim the announcement, live. It returns when to look again (zero: done).
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
	r, err := e.atoms.Activate(ctx, releaseOf(p))
	if err != nil && (r.Token != p.Token || r.VersionID != p.VersionID) && r.Token != "" {
		// What the platform did before it failed (a restore made, say) is
		// kept, so the next attempt does not do it again.
		if np, uerr := e.store.Update(ctx, p.ID, state.Activating, state.Patch{Token: &r.Token, VersionID: &r.VersionID}); uerr == nil {
			p = np
		}
	}
	var moved *platform.MovedError
	switch {
	case errors.Is(err, platform.ErrCheckPending) && e.now().Sub(p.PublishedAt) >= e.cfg.CheckTimeout:
		// Bounded like any wait for the check, even when the check reads
		// as passed and only activation keeps saying "pending".
		return e.ended(e.end(ctx, p, state.Failed, fmt.Sprintf("Atoms still refused activation as “security check pending” after %s", e.cfg.CheckTimeout), ""))
	case errors.Is(err, platform.ErrCheckPending):
		// The check is not done after all: back to waiting, not a failure.
		pending := "pending"
		if np, terr := e.store.Transition(ctx, p.ID, state.Activating, state.Published, state.Patch{CheckStatus: &pending}); terr == nil {
			e.transitioned(np)
		}
		return e.now().Add(e.cfg.PollInterval), nil
	case errors.As(err, &moved):
		return e.ended(e.end(ctx, p, state.Failed, "nothing went live: "+moved.What, ""))
	case errors.Is(err, platform.ErrWrongModel):
		return e.ended(e.end(ctx, p, state.Failed, modelSwitched(err), ""))
	case err != nil && platform.Temporary(err):
		if why := waitingFor(err); why != "" && why != p.Reason {
			// Approvers were told "activating": say what holds it, once.
			if np, uerr := e.store.Update(ctx, p.ID, state.Activating, state.Patch{Reason: &why}); uerr == nil {
				_ = e.threadNoteAt(ctx, np, ":snowflake: Not activated yet: "+render.Escape(why)+".", e.now())
			}
		}
		return e.now().Add(2 * e.cfg.PollInterval), fmt.Errorf("activate: %w", err)
	case err != nil:
		return e.ended(e.end(ctx, p, state.Failed, "activation refused: "+platform.Explain(err), ""))
	}
	if r.Token != p.Token || r.VersionID != p.VersionID {
		// What the platform did is recorded before anything else: a repeat
		// must know it already acted.
		np, err := e.store.Update(ctx, p.ID, state.Activating, state.Patch{Token: &r.Token, VersionID: &r.VersionID})
		if err != nil {
			return e.soon(), fmt.Errorf("record activation: %w", err)
		}
		p = np
	}

	live, err := e.atoms.Live(ctx, p.AgentID)
	if err != nil && !errors.Is(err, platform.ErrNotFound) {
		return e.now().Add(2 * e.cfg.PollInterval), fmt.Errorf("verify activation: %w", err)
	}
	if live.ID != p.VersionID {
		if e.now().Sub(p.UpdatedAt) < activationGrace {
			return e.now().Add(e.cfg.PollInterval), nil
		}
		return e.ended(e.end(ctx, p, state.Failed, fmt.Sprintf("activation did not take: Atoms reports %s as the live version", render.Escape(liveName(live))), ""))
	}

	// The announcement's claim names this activation. Without a time from
	// the platform, "previous → this version" would repeat when a version
	// comes back later: the claim is then this promotion's own, and the
	// watch is kept quiet by marking the version seen before going live.
	key := announceKey(p.AgentID, p.VersionID, live.ActivatedAt, p.PreviousVersionID)
	if live.ActivatedAt.IsZero() {
		key = fmt.Sprintf("announce:%s:%s:promotion:%s", p.AgentID, p.VersionID, p.ID)
		e.markSeen(ctx, p)
	}
	// Held as long as the watch's claims: the owner is this promotion, so
	// the claim cannot lapse to the watch while the news is being posted.
	if _, _, err := e.store.AcquireLock(ctx, key, p.ID, announceTTL); err != nil {
		return e.soon(), fmt.Errorf("claim announcement: %w", err)
	}
	// Remember the key: the announcement may be retried by another replica.
	if err := e.store.PutBlob(ctx, announceBlobKey(p.ID), []byte(key), announceTTL); err != nil {
		return e.soon(), fmt.Errorf("keep announcement key: %w", err)
	}
	liveAt := live.ActivatedAt
	if liveAt.IsZero() {
		liveAt = e.now()
	}
	none := ""
	np, err := e.store.Transition(ctx, p.ID, state.Activating, state.Live, state.Patch{ActivatedAt: &liveAt, Reason: &none})
	if err != nil {
		return e.soon(), err
	}
	e.transitioned(np)
	e.audit(ctx, np, "atomsbot", "live", VersionName(np))
	if e.metrics != nil && np.Kind == state.KindPromote && !np.PublishedAt.IsZero() && !np.CheckPassedAt.IsZero() {
		e.metrics.ObserveCheckWait(np.CheckPassedAt.Sub(np.PublishedAt))
	}
	_ = e.threadNoteAt(ctx, np, fmt.Sprintf(":rocket: Activated %s and verified that Atoms serves it.", render.Escape(VersionName(np))), np.ActivatedAt)
	return e.finish(ctx, np)
}

// liveName names what Atoms reports as live, for a message.
func liveName(v platform.Version) string {
	switch {
	case v.Ref != "":
		return v.Ref
	case v.ID != "":
		return v.ID
	}
	return "no version"
}
