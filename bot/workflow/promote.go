package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// PromoteRequest is a resolved `/atoms promote`.
type PromoteRequest struct {
	Agent         atoms.Agent
	Draft         atoms.Version // the draft's record (DraftID, DraftName)
	Label         string        // empty: a default naming the requester
	Requester     string        // Slack user id
	RequesterName string        // for the default label (version labels live outside Slack)
	Channel       string
}

// RollbackRequest is a resolved `/atoms rollback`.
type RollbackRequest struct {
	Agent     atoms.Agent
	Version   atoms.Version
	Requester string
	Channel   string
}

// InFlightError refuses a second promotion of an agent.
type InFlightError struct {
	AgentName string
	Holder    state.Promotion // zero when it could not be read
}

func (e *InFlightError) Error() string {
	return fmt.Sprintf("%s already has a promotion in flight", e.AgentName)
}

// Permalink links to a Slack message without an API call.
func Permalink(channel, ts string) string {
	if channel == "" || ts == "" {
		return ""
	}
	return "https://slack.com/archives/" + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

// Promote takes the agent's promotion lock, persists the promotion, publishes
// the draft and posts the approval request. The returned promotion is
// Published on success; a publish that failed with a clear answer is Failed;
// one with an unclear answer stays Requested and the poller finishes the job
// after finding out whether the version was created.
func (e *Engine) Promote(ctx context.Context, req PromoteRequest) (state.Promotion, error) {
	label := req.Label
	if label == "" {
		who := req.RequesterName
		if who == "" {
			who = req.Requester
		}
		label = fmt.Sprintf("%s (promoted by %s via atomsbot)", cmp.Or(req.Draft.DraftName, req.Draft.DraftID), who)
	}
	p := state.Promotion{
		ID:                NewPromotionID(),
		AgentID:           req.Agent.ID,
		AgentName:         req.Agent.Name,
		DraftID:           req.Draft.DraftID,
		DraftName:         req.Draft.DraftName,
		PreviousVersionID: req.Agent.ActiveVersionID,
		Kind:              state.KindPromote,
		Requester:         req.Requester,
		Channel:           req.Channel,
		Label:             render.Truncate(label, 200, "…"),
		State:             state.Requested,
		CreatedAt:         e.now(),
	}
	return e.start(ctx, p)
}

// Rollback starts the approval flow for an existing published version. Its
// security check must have passed already (verified here, not assumed).
func (e *Engine) Rollback(ctx context.Context, req RollbackRequest) (state.Promotion, error) {
	v := req.Version
	if v.ID == req.Agent.ActiveVersionID {
		return state.Promotion{}, refused("%s is already the active version of %s.", render.VersionName(v.VersionNumber), render.Escape(req.Agent.Name))
	}
	if v.Status != "" && v.Status != atoms.StatusPublished {
		return state.Promotion{}, refused("%s is %s, not a published version.", render.VersionName(v.VersionNumber), render.Escape(v.Status))
	}
	detail, err := e.atoms.GetVersion(ctx, req.Agent.ID, v.ID)
	if err != nil {
		return state.Promotion{}, err
	}
	if detail.Version.Outcome() != atoms.CheckOK {
		status := "missing"
		if sc := detail.Version.SecurityCheck; sc != nil && sc.Status != "" {
			status = sc.Status
		}
		return state.Promotion{}, refused("%s cannot go live: its security check has not passed (status: %s).", render.VersionName(v.VersionNumber), render.Escape(status))
	}
	now := e.now()
	p := state.Promotion{
		ID:                NewPromotionID(),
		AgentID:           req.Agent.ID,
		AgentName:         req.Agent.Name,
		VersionID:         v.ID,
		VersionNumber:     v.VersionNumber,
		PreviousVersionID: req.Agent.ActiveVersionID,
		Kind:              state.KindRollback,
		Requester:         req.Requester,
		Channel:           req.Channel,
		Label:             render.Truncate(v.Label, 200, "…"),
		State:             state.Published,
		CheckStatus:       atoms.CheckPassed,
		CreatedAt:         now,
		PublishedAt:       detail.Version.PublishedAt,
		CheckPassedAt:     now,
	}
	return e.start(ctx, p)
}

// start persists p with the agent's lock and its due item leased to us, then
// runs its first step at once (publish, approval message).
func (e *Engine) start(ctx context.Context, p state.Promotion) (state.Promotion, error) {
	created, err := e.store.CreatePromotion(ctx, p, e.lockTTL(), e.cfg.Owner, e.cfg.Lease)
	if err != nil {
		var le *state.LockedError
		if errors.As(err, &le) {
			ife := &InFlightError{AgentName: p.AgentName}
			if h, herr := e.store.Promotion(ctx, le.HolderID); herr == nil {
				ife.Holder = h
			}
			return state.Promotion{}, ife
		}
		return state.Promotion{}, fmt.Errorf("persist promotion: %w", err)
	}
	e.transitioned(created)
	e.audit(ctx, created, created.Requester, string(created.Kind), created.Label)
	e.runItem(ctx, state.PromotionItem(created.ID), true)
	if latest, err := e.store.Promotion(ctx, created.ID); err == nil {
		return latest, nil
	}
	return created, nil
}

// lockTTL outlives any promotion: expiry, then the check timeout, with margin.
// The poller ends promotions explicitly; the TTL only guards against a
// promotion record that was lost.
func (e *Engine) lockTTL() time.Duration {
	return e.cfg.Policy.TTL + e.cfg.CheckTimeout + time.Hour
}

// publishMarker goes into the version's description so the bot can tell, after
// an unclear answer, whether its publish created a version.
func publishMarker(p state.Promotion) string {
	return "Published by atomsbot, promotion " + p.ID
}

// publish publishes the draft exactly once. first means no attempt was made
// before (the promotion was just created); otherwise an earlier attempt may
// have succeeded without us hearing the answer, so look before publishing.
//
// Like the announcement it runs under a guard (exclusive), not only under the
// lease: a replica whose clock is ahead by more than the lease would otherwise
// publish alongside the creator (and fail the promotion on finding the draft
// gone). It returns the promotion as stored when another run moved it on.
func (e *Engine) publish(ctx context.Context, p state.Promotion, first bool) (state.Promotion, error) {
	release, err := e.exclusive(ctx, "publishing:"+p.ID)
	if err != nil {
		return p, err
	}
	defer release()
	cur, err := e.store.Promotion(ctx, p.ID)
	if err != nil {
		return p, fmt.Errorf("re-read before publishing: %w", err)
	}
	if cur.State != state.Requested {
		return cur, nil
	}
	p = cur
	if !first {
		v, err := e.findPublished(ctx, p)
		if err != nil {
			return p, err
		}
		if v != nil {
			return e.markPublished(ctx, p, *v)
		}
		if _, err := e.atoms.GetDraft(ctx, p.AgentID, p.DraftID, 1); err != nil {
			if errors.Is(err, atoms.ErrNotFound) {
				return e.end(ctx, p, state.Failed, "the draft was discarded (or published outside atomsbot) before it could be published", "")
			}
			return p, err
		}
	}
	v, err := e.atoms.PublishDraft(ctx, p.AgentID, p.DraftID, atoms.PublishRequest{Label: p.Label, Description: publishMarker(p)})
	switch {
	case err == nil:
		return e.markPublished(ctx, p, *v)
	case atoms.Ambiguous(err):
		e.log.Warn("publish answer unclear; checking whether the version exists", "promotion", p.ID, "err", err)
		found, ferr := e.findPublished(ctx, p)
		if ferr == nil && found != nil {
			return e.markPublished(ctx, p, *found)
		}
		return p, fmt.Errorf("publish of %s: %w", p.DraftID, err)
	}
	return e.end(ctx, p, state.Failed, "publishing failed: "+UserMessage(err), "")
}

// findPublished looks for the version an earlier publish of p created.
func (e *Engine) findPublished(ctx context.Context, p state.Promotion) (*atoms.Version, error) {
	list, err := e.atoms.ListVersions(ctx, p.AgentID, atoms.ListVersionsOptions{Limit: 20})
	if err != nil {
		return nil, fmt.Errorf("look for an earlier publish: %w", err)
	}
	marker := publishMarker(p)
	for i := range list.Versions {
		if strings.Contains(list.Versions[i].Description, marker) {
			return &list.Versions[i], nil
		}
	}
	return nil, nil
}

func (e *Engine) markPublished(ctx context.Context, p state.Promotion, v atoms.Version) (state.Promotion, error) {
	status, reason := "", ""
	if v.SecurityCheck != nil {
		status, reason = v.SecurityCheck.Status, v.SecurityCheck.Reason
	}
	publishedAt := v.PublishedAt
	if publishedAt.IsZero() {
		publishedAt = e.now()
	}
	np, err := e.store.Transition(ctx, p.ID, state.Requested, state.Published, state.Patch{
		VersionID: &v.ID, VersionNumber: &v.VersionNumber, PublishedAt: &publishedAt,
		CheckStatus: &status, CheckReason: &reason,
	})
	if err != nil {
		return p, fmt.Errorf("record publish of %s: %w", v.ID, err)
	}
	e.transitioned(np)
	e.audit(ctx, np, np.Requester, "published", render.VersionName(v.VersionNumber))
	return np, nil
}

// UserMessage explains an Atoms error in plain words (never with secrets: the
// client's errors carry none).
func UserMessage(err error) string {
	switch {
	case errors.Is(err, atoms.ErrMigrationRequired):
		return "this Atoms organisation has moved to branch-based versioning, which atomsbot does not support yet (the drafts/versions API answers 409)"
	case errors.Is(err, atoms.ErrNotFound):
		return "Atoms says it does not exist (any more)"
	}
	var ae *atoms.APIError
	if errors.As(err, &ae) && len(ae.Messages) > 0 {
		return strings.Join(ae.Messages, "; ")
	}
	return err.Error()
}
