package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
)

// Watch subscribes channel to changes of agent's active version. The version
// active now is the baseline: only later changes are announced.
func (e *Engine) Watch(ctx context.Context, agent platform.Agent, channel, user string) (bool, error) {
	added, err := e.store.Watch(ctx, state.Watch{AgentID: agent.ID, AgentName: agent.Name, Channel: channel, By: user, Since: e.now()})
	if err != nil {
		return false, err
	}
	// The first watcher sets the baseline to what is active now; a baseline
	// left from an earlier subscription would announce old news.
	baseline := ""
	if watchers, err := e.store.Watchers(ctx, agent.ID); err == nil && len(watchers) == 1 && added {
		baseline, _ = e.store.SeenVersion(ctx, agent.ID)
	}
	current := agent.LiveVersionID
	if id, err := e.atoms.LiveID(ctx, agent.ID); err == nil {
		current = id
	}
	if _, err := e.store.SetSeenVersion(ctx, agent.ID, baseline, current); err != nil {
		return added, err
	}
	if err := e.store.Schedule(ctx, watchItem(agent.ID), e.now().Add(e.cfg.WatchInterval)); err != nil {
		return added, err
	}
	if added {
		e.auditAgent(ctx, agent.ID, user, "watch", channel)
	}
	return added, nil
}

// Unwatch ends a subscription. The agent's due item ends by itself at its
// next look when no channel watches any more.
func (e *Engine) Unwatch(ctx context.Context, agentID, channel, user string) (bool, error) {
	removed, err := e.store.Unwatch(ctx, agentID, channel)
	if err == nil && removed {
		e.auditAgent(ctx, agentID, user, "unwatch", channel)
	}
	return removed, err
}

// stepWatch looks at a watched agent's active version and announces a change
// made by any means, unless an atomsbot promotion owns that activation.
func (e *Engine) stepWatch(ctx context.Context, agentID string) (time.Time, error) {
	next := e.now().Add(e.cfg.WatchInterval)
	watchers, err := e.store.Watchers(ctx, agentID)
	if err != nil {
		return next, err
	}
	if len(watchers) == 0 {
		return time.Time{}, nil
	}
	// One cheap read per look; the version's details only on a change.
	cur, err := e.atoms.LiveID(ctx, agentID)
	switch {
	case errors.Is(err, platform.ErrNotFound):
		return next.Add(10 * e.cfg.WatchInterval), fmt.Errorf("watched agent %s: %w", agentID, err)
	case err != nil:
		return next, err
	}
	seen, err := e.store.SeenVersion(ctx, agentID)
	if err != nil {
		return next, err
	}
	if cur == seen || cur == "" {
		return next, nil
	}
	if seen == "" {
		_, err := e.store.SetSeenVersion(ctx, agentID, "", cur)
		return next, err
	}
	if e.promotionOwns(ctx, agentID, cur) {
		// The promotion announces its own activation when it goes live.
		return e.now().Add(e.cfg.PollInterval), nil
	}
	live, err := e.atoms.Live(ctx, agentID)
	if err != nil {
		return next, err
	}
	if live.ID != cur {
		return e.now().Add(e.cfg.PollInterval), nil // it changed again: look once more soon
	}
	// The activation's claim below has one owner for every replica (so a
	// failed post is retried anywhere); the guard keeps two replicas that
	// both think they hold this item from posting side by side.
	release, err := e.exclusive(ctx, "watch-news:"+agentID)
	if err != nil {
		return next, err
	}
	defer release()
	if latest, err := e.store.SeenVersion(ctx, agentID); err != nil || latest != seen {
		return next, err // handled meanwhile
	}
	key := announceKey(agentID, cur, live.ActivatedAt, seen)
	if live.ActivatedAt.IsZero() {
		// Without a time from the platform, "seen → cur" comes again when a
		// version comes back; this look is then the activation's name. The
		// seen version's compare-and-set under the guard keeps it once.
		key += fmt.Sprintf("@%d", e.now().UnixMilli())
	}
	ok, _, err := e.store.AcquireLock(ctx, key, "watch:"+agentID, announceTTL)
	if err != nil {
		return next, err
	}
	if ok {
		// Nothing is recorded as seen until a channel took the post: the
		// claim's owner is the same for every replica, so a later look
		// (here or elsewhere) retries it.
		if err := e.announceExternal(ctx, agentID, watchers[0].AgentName, live, seen, key, watchers); err != nil {
			return next, err
		}
	}
	if _, err := e.store.SetSeenVersion(ctx, agentID, seen, cur); err != nil {
		return next, err
	}
	e.forgetPostAttempt(ctx, watchAttempt(agentID, seen, cur))
	return next, nil
}

// promotionOwns reports whether an atomsbot promotion in flight accounts for
// versionID being live (it holds the agent's lock until it is live): it names
// that version, or it is activating — the live version can then be one it
// has not recorded yet (a rollback on branches restores under a new id, and
// that can go live before the activation's answer is in). A change made
// elsewhere meanwhile is reported once the promotion has ended.
func (e *Engine) promotionOwns(ctx context.Context, agentID, versionID string) bool {
	holder, err := e.store.LockHolder(ctx, state.AgentLock(agentID))
	if err != nil || holder == "" {
		return false
	}
	p, err := e.store.Promotion(ctx, holder)
	return err == nil && !p.State.Done() && (p.VersionID == versionID || p.State == state.Activating)
}

// watchAttempt names the announcement of a watched agent's change from seen
// to cur while it is being made.
func watchAttempt(agentID, seen, cur string) string {
	return "watch:" + agentID + ":" + seen + "->" + cur
}

// announceExternal posts the one "is live" message for an activation made
// outside atomsbot (key) to the first watching channel that takes it, and a
// note to the others. It fails when no channel took the "is live" post, or
// when a post's answer was lost: the next look finds out whether it went
// out before anything else is posted. Channels Slack will never take a post
// in are passed over, and when there are only such channels the news is
// given up on.
func (e *Engine) announceExternal(ctx context.Context, agentID, agentName string, v platform.Version, previous, key string, watchers []state.Watch) error {
	agentName = cmp.Or(agentName, agentID)
	if v.Branch != "" && !strings.Contains(v.Ref, "/") {
		// "vN" names a version of the live branch in commands; in news of
		// a change, the branch that went live is the point.
		v.Ref = v.Branch + "/" + v.Ref
	}
	var diff []render.Message
	var full string
	if d, err := e.atoms.DiffVersions(ctx, agentID, previous, v.ID); err == nil {
		diff, full = threadDiff(fmt.Sprintf("Changes in %s %s", agentName, v.Ref), d)
	} else {
		e.log.Warn("diff for watch announcement", "agent", agentID, "err", err)
	}
	lv := render.ExternalLiveView{
		AgentName: agentName, VersionNumber: v.Number, VersionRef: v.Ref, Label: v.Label,
		ActivatedBy: v.ActivatedBy, ActivatedAt: v.ActivatedAt,
	}
	announced, retry := false, false
	for _, w := range watchers {
		primary := !announced
		m := render.ExternalLive(lv, primary, diff)
		var ts string
		var err error
		if primary {
			m.Tag = &render.Tag{Event: render.TagLive, Key: key}
			ts, err = e.postOnce(ctx, watchAttempt(agentID, previous, v.ID), w.Channel, m)
		} else {
			ts, err = e.slack.Post(ctx, w.Channel, "", m)
		}
		if err != nil {
			e.slackFailed("watch announcement", err, "agent", agentID, "channel", w.Channel)
			if primary && slackerr.Is(err, slackerr.Unclear) {
				// It may be out: no other channel gets the news as "is
				// live" before the next look finds out.
				return fmt.Errorf("announce %s of %s: %w", v.Ref, agentID, err)
			}
			retry = retry || !slackerr.Permanent(err)
			continue
		}
		announced = true
		e.postThreadDiff(ctx, w.Channel, ts, diff, full, agentName)
	}
	if !announced && retry {
		return fmt.Errorf("announce %s of %s: no watching channel took the post", v.Ref, agentID)
	}
	e.auditAgent(ctx, agentID, cmp.Or(v.ActivatedBy, "outside atomsbot"), "activated-elsewhere", v.Ref)
	return nil
}

func (e *Engine) auditAgent(ctx context.Context, agentID, actor, action, detail string) {
	if err := e.store.Audit(ctx, state.AuditEntry{AgentID: agentID, Actor: actor, Action: action, Detail: detail, At: e.now()}); err != nil {
		e.log.Warn("audit", "agent", agentID, "err", err)
	}
}
