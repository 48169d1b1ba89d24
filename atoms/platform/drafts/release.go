package drafts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// mine refuses a release begun on the other model: nothing of it can be
// continued here (v1 draft ids have no counterpart on the branch model).
func mine(r platform.Release) error {
	if r.Model == "" || r.Model == platform.ModelV1 {
		return nil
	}
	return platform.Errorf(platform.ErrWrongModel, fmt.Sprintf("it was begun on Atoms' %s versioning model, which this atomsbot no longer uses", r.Model))
}

// Stage has nothing to prepare on v1: the draft is published as it is.
func (a *Adapter) Stage(_ context.Context, r platform.Release) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	r.Model = platform.ModelV1
	return r, nil
}

// publishMarker goes into the version's description, so that after an
// unclear answer the version the publish created can be recognised.
func publishMarker(r platform.Release) string {
	return "Published by atomsbot, promotion " + r.ID
}

// Publish publishes the draft exactly once: after an unclear answer (now or
// in an earlier attempt) it looks for the version before publishing again.
// Publishing removes the draft and starts the version's security check.
func (a *Adapter) Publish(ctx context.Context, r platform.Release, retry bool) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	r.Model = platform.ModelV1
	if retry {
		v, err := a.findPublished(ctx, r)
		if err != nil || v != nil {
			return published(r, v), err
		}
		if _, err := a.c.GetDraft(ctx, r.AgentID, r.DraftID, 1); err != nil {
			if isNotFound(err) {
				return r, platform.Errorf(platform.ErrNotFound, "the draft was discarded (or published outside atomsbot) before it could be published")
			}
			return r, wire.Read(err)
		}
	}
	v, err := a.c.PublishDraft(ctx, r.AgentID, r.DraftID, atoms.PublishRequest{Label: r.Label, Description: publishMarker(r)})
	if err == nil {
		return published(r, v), nil
	}
	if atoms.Ambiguous(err) {
		if found, ferr := a.findPublished(ctx, r); ferr == nil && found != nil {
			return published(r, found), nil
		}
	}
	return r, wire.Write(err)
}

// findPublished looks for the version an earlier publish of r created.
func (a *Adapter) findPublished(ctx context.Context, r platform.Release) (*atoms.Version, error) {
	list, err := a.c.ListVersions(ctx, r.AgentID, atoms.ListVersionsOptions{Limit: 20})
	if err != nil {
		return nil, wire.Read(fmt.Errorf("look for an earlier publish: %w", err))
	}
	marker := publishMarker(r)
	for i := range list.Versions {
		if strings.Contains(list.Versions[i].Description, marker) {
			return &list.Versions[i], nil
		}
	}
	return nil, nil
}

// published records the version on the release; approvals bind to its id.
func published(r platform.Release, v *atoms.Version) platform.Release {
	if v == nil {
		return r
	}
	pv := version(*v)
	r.Key, r.VersionID, r.Ref, r.Number, r.Check = v.ID, v.ID, pv.Ref, pv.Number, pv.Check
	r.PublishedAt = v.PublishedAt
	return r
}

// Refresh reads the version's security check.
func (a *Adapter) Refresh(ctx context.Context, r platform.Release) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	d, err := a.c.GetVersion(ctx, r.AgentID, r.VersionID)
	if err != nil {
		if isNotFound(err) {
			return r, platform.Errorf(platform.ErrNotFound, "the published version is gone from Atoms")
		}
		return r, wire.Read(err)
	}
	at := r.PublishedAt
	r = published(r, &d.Version)
	if r.PublishedAt.IsZero() {
		r.PublishedAt = at
	}
	return r, nil
}

// DiffRelease compares the version with the one active at the request.
func (a *Adapter) DiffRelease(ctx context.Context, r platform.Release) (platform.Diff, error) {
	return a.DiffVersions(ctx, r.AgentID, r.Base, r.VersionID)
}

// PrepareRollback checks that the version may go live again.
func (a *Adapter) PrepareRollback(ctx context.Context, agentID string, target platform.Version, base string) (platform.Release, error) {
	d, err := a.c.GetVersion(ctx, agentID, target.ID)
	if err != nil {
		return platform.Release{}, wire.Read(err)
	}
	v := version(d.Version)
	if v.Check.Outcome() != platform.CheckPassed {
		return platform.Release{}, platform.Errorf(platform.ErrRefused, fmt.Sprintf("%s cannot go live: its security check has not passed (status: %s)", v.Ref, cmp.Or(v.Check.Status, "missing")))
	}
	r := platform.Release{Model: platform.ModelV1, AgentID: agentID, Base: base, Label: v.Label}
	return published(r, &d.Version), nil
}

// activatedToken marks a release the adapter activated once.
const activatedToken = `{"activated":true}`

// Activate activates the version while the active one is still the base
// (else something moved since the approvers looked). A release activated
// once is activated again when someone changed it right after (the repeat of
// an activation whose verification failed). Activation is idempotent, so a
// repeat after a crash is harmless.
func (a *Adapter) Activate(ctx context.Context, r platform.Release) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	ag, err := a.c.GetAgent(ctx, r.AgentID, atoms.GetAgentOptions{})
	if err != nil {
		return r, wire.Read(err)
	}
	switch {
	case ag.ActiveVersionID == r.VersionID:
		return r, nil
	case ag.ActiveVersionID != r.Base && r.Token != activatedToken:
		return r, &platform.MovedError{What: "the active version changed since the approvers looked (someone activated another version outside this request)"}
	}
	if _, err := a.c.ActivateVersion(ctx, r.AgentID, r.VersionID); err != nil {
		if errors.Is(err, atoms.ErrSecurityCheckPending) {
			return r, &platform.Error{Kind: platform.ErrCheckPending, Err: err}
		}
		// Activation is idempotent: an unclear answer is just unavailable.
		return r, wire.Read(err)
	}
	r.Token = activatedToken
	return r, nil
}

// Abandon has nothing to undo: a published version that is never activated
// stays in the list, as on the dashboard.
func (a *Adapter) Abandon(context.Context, platform.Release) error { return nil }

// Tidy has nothing to tidy on v1.
func (a *Adapter) Tidy(context.Context, platform.Release) error { return nil }
