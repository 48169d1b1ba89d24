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

// PromoteRequest is a resolved `/atoms promote`.
type PromoteRequest struct {
	Agent         platform.Agent
	Draft         platform.Draft
	Label         string // empty: a default naming the requester
	Requester     string // Slack user id
	RequesterName string // for the default label (version labels live outside Slack)
	Channel       string
	// ChangesChecked: CheckPromote passed just before (the front door
	// checks before it says "Publishing…"), so Promote does not diff again.
	ChangesChecked bool
}

// RollbackRequest is a resolved `/atoms rollback`.
type RollbackRequest struct {
	Agent     platform.Agent
	Version   platform.Version
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
// after finding out whether the version was created. When Slack will never
// take the approval request (the bot is not in the channel, say), the
// promotion is Failed and the error is that *slackerr.Error, for the reply.
func (e *Engine) Promote(ctx context.Context, req PromoteRequest) (state.Promotion, error) {
	if err := promotable(req); err != nil {
		return state.Promotion{}, err
	}
	active := e.promoteBase(ctx, req)
	if !req.ChangesChecked {
		if err := e.nothingToPromote(ctx, req, active.Ref); err != nil {
			return state.Promotion{}, err
		}
	}
	label := req.Label
	if label == "" {
		who := cmp.Or(req.RequesterName, req.Requester)
		label = fmt.Sprintf("%s (promoted by %s via atomsbot)", cmp.Or(req.Draft.Name, req.Draft.ID), who)
	}
	p := state.Promotion{
		ID:                NewPromotionID(),
		AgentID:           req.Agent.ID,
		AgentName:         req.Agent.Name,
		DraftID:           req.Draft.ID,
		DraftName:         req.Draft.Name,
		PreviousVersionID: req.Agent.LiveVersionID,
		Kind:              state.KindPromote,
		Requester:         req.Requester,
		Channel:           req.Channel,
		Label:             render.Truncate(label, 200, "…"),
		State:             state.Requested,
		CreatedAt:         e.now(),
	}
	e.keepContext(ctx, p.ID, e.promoteContext(ctx, req, active))
	return e.start(ctx, p)
}

// Rollback starts the approval flow for an existing published version. The
// platform checks that its security check passed (verified, not assumed).
func (e *Engine) Rollback(ctx context.Context, req RollbackRequest) (state.Promotion, error) {
	v := req.Version
	if err := CheckRollback(req); err != nil {
		return state.Promotion{}, err
	}
	r, err := e.atoms.PrepareRollback(ctx, req.Agent.ID, v, req.Agent.LiveVersionID)
	if err != nil {
		if errors.Is(err, platform.ErrRefused) {
			return state.Promotion{}, &RefusedError{Msg: render.Escape(platform.Explain(err)) + "."}
		}
		return state.Promotion{}, err
	}
	now := e.now()
	p := state.Promotion{
		ID:                NewPromotionID(),
		AgentID:           req.Agent.ID,
		AgentName:         req.Agent.Name,
		PreviousVersionID: req.Agent.LiveVersionID,
		Kind:              state.KindRollback,
		Requester:         req.Requester,
		Channel:           req.Channel,
		Label:             render.Truncate(v.Label, 200, "…"),
		State:             state.Published,
		CheckStatus:       r.Check.Status,
		CreatedAt:         now,
		PublishedAt:       r.PublishedAt,
		CheckPassedAt:     now,
	}
	p = withRelease(p, r)
	e.keepContext(ctx, p.ID, e.rollbackContext(ctx, req, e.activeVersion(ctx, req.Agent)))
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
	stepErr := e.runItem(context.WithoutCancel(ctx), state.PromotionItem(created.ID), true)
	latest, err := e.store.Promotion(ctx, created.ID)
	if err != nil {
		latest = created
	}
	if slackerr.Permanent(stepErr) && latest.State.Terminal() {
		// The approval request could not be posted and the promotion
		// ended: the requester learns why from the error.
		return latest, stepErr
	}
	return latest, nil
}

// lockTTL outlives any promotion: expiry, then the check timeout, with margin.
// The poller ends promotions explicitly; the TTL only guards against a
// promotion record that was lost.
func (e *Engine) lockTTL() time.Duration {
	return e.cfg.Policy.TTL + e.cfg.CheckTimeout + time.Hour
}

// publish stages and publishes the draft exactly once. first means no attempt
// was made before (the promotion was just created); otherwise an earlier
// attempt may have acted without us hearing the answer, and the platform
// finds out before acting again.
//
// Like the announcement it runs under a guard (exclusive), not only under the
// lease: a replica whose clock is ahead by more than the lease would otherwise
// publish alongside the creator. It returns the promotion as stored when
// another run moved it on.
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
	r := releaseOf(p)
	retry := !first
	if r.Token == "" && r.Model == "" {
		// Staged state is recorded before publishing, so that a retry
		// knows where the publish went.
		staged, err := e.atoms.Stage(ctx, r)
		if err != nil {
			return e.publishFailed(ctx, p, err)
		}
		np, err := e.store.Update(ctx, p.ID, state.Requested, releasePatch(staged))
		if err != nil {
			e.abandonIfEnded(ctx, staged, err)
			return p, fmt.Errorf("record staging: %w", err)
		}
		p = np
		r = staged
	}
	pub, err := e.atoms.Publish(ctx, r, retry)
	if err != nil {
		return e.publishFailed(ctx, p, err)
	}
	return e.markPublished(ctx, p, pub)
}

// publishFailed ends the promotion on a clear refusal and leaves it
// requested (to be retried, finding out first) on anything else.
func (e *Engine) publishFailed(ctx context.Context, p state.Promotion, err error) (state.Promotion, error) {
	if platform.Temporary(err) {
		e.log.Warn("publish did not complete; retrying after finding out what happened", "promotion", p.ID, "err", err)
		if why := waitingFor(err); why != "" && why != p.Reason {
			// Say what it waits for (the requester is told from it).
			if np, uerr := e.store.Update(ctx, p.ID, state.Requested, state.Patch{Reason: &why}); uerr == nil {
				p = np
			}
		}
		return p, fmt.Errorf("publish of %s: %w", p.DraftID, err)
	}
	if errors.Is(err, platform.ErrWrongModel) {
		return e.end(ctx, p, state.Failed, modelSwitched(err), "")
	}
	return e.end(ctx, p, state.Failed, "publishing failed: "+platform.Explain(err), "")
}

// waitingFor says, in users' words, what a step that Atoms refused for now
// waits for ("" for a failure with no such explanation).
func waitingFor(err error) string {
	switch {
	case errors.Is(err, platform.ErrFrozen):
		return "Atoms is in a configuration freeze for maintenance and takes no changes until it ends; atomsbot goes on by itself after it"
	case errors.Is(err, platform.ErrBusy):
		return platform.Explain(err) + "; atomsbot goes on by itself after it"
	}
	return ""
}

// modelSwitched explains a promotion that cannot go on because Atoms runs
// another versioning model than the one it was begun on.
func modelSwitched(err error) string {
	return "Atoms switched versioning model while this promotion was in flight (" + platform.Explain(err) + "); nothing went live, promote the draft again"
}

func (e *Engine) markPublished(ctx context.Context, p state.Promotion, r platform.Release) (state.Promotion, error) {
	if r.PublishedAt.IsZero() {
		r.PublishedAt = e.now()
	}
	patch := releasePatch(r)
	patch.PublishedAt = &r.PublishedAt
	none := ""
	patch.Reason = &none // what it waited for is over
	np, err := e.store.Transition(ctx, p.ID, state.Requested, state.Published, patch)
	if err != nil {
		e.abandonIfEnded(ctx, r, err)
		return p, fmt.Errorf("record publish of %s: %w", p.ID, err)
	}
	e.transitioned(np)
	e.audit(ctx, np, np.Requester, "published", VersionName(np))
	return np, nil
}

// abandonIfEnded undoes what a step did on Atoms for a promotion that ended
// meanwhile (cancelled while it was publishing): the Abandon its ending ran
// could not know of it.
func (e *Engine) abandonIfEnded(ctx context.Context, r platform.Release, err error) {
	var sc *state.StateConflictError
	if !errors.As(err, &sc) || !sc.Got.Terminal() {
		return
	}
	if aerr := e.atoms.Abandon(ctx, r); aerr != nil {
		e.log.Warn("undo what an ended promotion staged", "promotion", r.ID, "err", aerr)
	}
}

// releaseOf is the release a promotion tracks.
func releaseOf(p state.Promotion) platform.Release {
	model := platform.Model(p.Platform)
	if model == "" && p.VersionID != "" {
		// Stored before promotions recorded their model: only v1 existed.
		model = platform.ModelV1
	}
	return platform.Release{
		Model: model, AgentID: p.AgentID, ID: p.ID, DraftID: p.DraftID, Label: p.Label,
		Base: p.PreviousVersionID, Key: p.ApprovalKey(), VersionID: p.VersionID,
		Ref: VersionName(p), Number: p.VersionNumber,
		Check:       platform.Check{Status: p.CheckStatus, Reason: p.CheckReason},
		PublishedAt: p.PublishedAt, Token: p.Token,
	}
}

// releasePatch records a release's platform-named facts on its promotion.
func releasePatch(r platform.Release) state.Patch {
	model := string(r.Model)
	return state.Patch{
		Platform: &model, ReleaseKey: &r.Key, Token: &r.Token,
		VersionID: &r.VersionID, VersionNumber: &r.Number, VersionRef: &r.Ref,
		CheckStatus: &r.Check.Status, CheckReason: &r.Check.Reason,
	}
}

// withRelease sets r's facts on a promotion not stored yet.
func withRelease(p state.Promotion, r platform.Release) state.Promotion {
	p.Platform, p.ReleaseKey, p.Token = string(r.Model), r.Key, r.Token
	p.VersionID, p.VersionNumber, p.VersionRef = r.VersionID, r.Number, r.Ref
	p.CheckStatus, p.CheckReason = r.Check.Status, r.Check.Reason
	return p
}

// VersionName is how messages and commands name a promotion's version: its
// ref ("v4", "branch/v2"), or its number for promotions stored before refs.
func VersionName(p state.Promotion) string {
	if p.VersionRef != "" {
		return p.VersionRef
	}
	return render.VersionName(p.VersionNumber)
}
