package workflow

import (
	"cmp"
	"context"
	"encoding/json"
	"slices"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// auditDepth is how many of an agent's latest audit entries are searched for
// a draft's editors and a version's past promotions.
const auditDepth = 500

// Audit actions this file writes or reads.
const auditEdit = "edit"

func contextBlobKey(id string) string { return "approval-context:" + id }

// RecordEdit notes that user saved draftID of agentID through atomsbot,
// making its revision rev, so that a promotion of the draft names its
// editors.
func (e *Engine) RecordEdit(ctx context.Context, agentID, draftID string, rev int, user string) {
	en := state.AuditEntry{AgentID: agentID, Actor: user, Action: auditEdit, Detail: draftID, DraftID: draftID, Revision: rev, At: e.now()}
	if err := e.store.Audit(ctx, en); err != nil {
		e.log.Warn("audit", "agent", agentID, "err", err)
	}
}

// nothingToPromote refuses a draft that changes nothing against the active
// version, before anything is published. A diff that cannot be read does
// not stop the promotion: the approval request says it could not load it.
func (e *Engine) nothingToPromote(ctx context.Context, req PromoteRequest, active string) error {
	if req.Agent.LiveVersionID == "" {
		return nil
	}
	d, err := e.atoms.DiffDraft(ctx, req.Agent.ID, req.Draft.ID)
	if err != nil {
		e.log.Warn("diff before promoting", "agent", req.Agent.ID, "draft", req.Draft.ID, "err", err)
		return nil
	}
	if !d.Empty() {
		return nil
	}
	return refused("Draft “%s” of %s has no changes against %s: nothing to promote.",
		render.Escape(cmp.Or(req.Draft.Name, req.Draft.ID)), render.Escape(req.Agent.Name), activeName(active))
}

func activeName(ref string) string {
	if ref == "" {
		return "the active version"
	}
	return "the active " + render.Escape(ref)
}

// CheckPromote refuses (a *RefusedError) a draft that cannot be promoted —
// not open, already being published, or changing nothing against the
// active version — before anything is published or promised.
func (e *Engine) CheckPromote(ctx context.Context, req PromoteRequest) error {
	if err := promotable(req); err != nil {
		return err
	}
	return e.nothingToPromote(ctx, req, e.promoteBase(ctx, req).Ref)
}

// promotable refuses a draft that is not open or is being published.
func promotable(req PromoteRequest) error {
	if !req.Draft.Open {
		return refused("%s has no open draft on “%s” to promote.", render.Literal(req.Agent.Name), render.Literal(req.Draft.Name))
	}
	if req.Draft.Scanning {
		return refused("Draft “%s” of %s is being published already (its security check is running); wait for it to finish.", render.Literal(req.Draft.Name), render.Literal(req.Agent.Name))
	}
	return nil
}

// CheckRollback refuses a rollback to the version that is already active,
// before anything is prepared or promised.
func CheckRollback(req RollbackRequest) error {
	if v := req.Version; v.ID == req.Agent.LiveVersionID || v.Live {
		return refused("%s is already the active version of %s.", render.Escape(v.Ref), render.Literal(req.Agent.Name))
	}
	return nil
}

// promoteBase is the version active at the request: named by the draft when
// it started from it, else read.
func (e *Engine) promoteBase(ctx context.Context, req PromoteRequest) platform.Version {
	if req.Draft.BaseID == req.Agent.LiveVersionID && req.Draft.Base != "" {
		return platform.Version{ID: req.Agent.LiveVersionID, Ref: req.Draft.Base}
	}
	return e.activeVersion(ctx, req.Agent)
}

// activeVersion reads the version live at the request (zero when there is
// none or it cannot be read: the request then names no baseline).
func (e *Engine) activeVersion(ctx context.Context, agent platform.Agent) platform.Version {
	if agent.LiveVersionID == "" {
		return platform.Version{}
	}
	v, err := e.atoms.Version(ctx, agent.ID, platform.VersionRef{ID: agent.LiveVersionID})
	if err != nil {
		e.log.Warn("read the active version for the request", "agent", agent.ID, "err", err)
		return platform.Version{}
	}
	return v
}

// promoteContext is what the request tells about a draft besides its diff.
func (e *Engine) promoteContext(ctx context.Context, req PromoteRequest, active platform.Version) render.RequestContext {
	c := render.RequestContext{BaseRef: active.Ref, AtomsEditor: req.Draft.LastEditor}
	if d := req.Draft; d.BaseID != "" && req.Agent.LiveVersionID != "" && d.BaseID != req.Agent.LiveVersionID {
		c.ForkedFrom = d.Base
		if c.ForkedFrom == "" {
			// A branch without revisions of its own names only the id.
			c.ForkedFrom = d.BaseID
			if v, err := e.atoms.Version(ctx, req.Agent.ID, platform.VersionRef{ID: d.BaseID}); err == nil && v.Ref != "" {
				c.ForkedFrom = v.Ref
			}
		}
	}
	trail := e.auditTrail(ctx, req.Agent.ID)
	slices.Reverse(trail) // oldest first: editors in the order they joined
	// On a platform with branches the draft is named by its branch, so the
	// edits on record may include an earlier draft of the branch. Only the
	// edits since the draft was last published through atomsbot count; and
	// as a draft's revisions only grow, a revision that does not grow starts
	// a new draft, and one beyond the draft's own cannot be of it.
	lastRev := 0
	for _, en := range trail {
		if en.Action == state.AuditPublished && en.DraftID == req.Draft.ID {
			c.Editors, lastRev = c.Editors[:0], 0
			continue
		}
		if en.Action != auditEdit || en.Detail != req.Draft.ID || en.Revision > req.Draft.Revision && req.Draft.Revision > 0 {
			continue
		}
		if en.Revision > 0 && en.Revision <= lastRev {
			c.Editors = c.Editors[:0]
		}
		lastRev = en.Revision
		if !slices.Contains(c.Editors, en.Actor) {
			c.Editors = append(c.Editors, en.Actor)
		}
	}
	// Atoms names the API key's owner as the editor of a save made through
	// atomsbot. When the draft is still at the revision atomsbot's last save
	// made, that edit is ours and its Slack user is already named.
	if lastRev > 0 && lastRev == req.Draft.Revision {
		c.AtomsEditor = ""
	}
	return c
}

// rollbackContext says whether the target is older than the active version
// and how its last promotion through atomsbot ended, when badly.
func (e *Engine) rollbackContext(ctx context.Context, req RollbackRequest, active platform.Version) render.RequestContext {
	v := req.Version
	c := render.RequestContext{BaseRef: active.Ref, TargetCheckFailed: v.Check.Outcome() == platform.CheckFailed}
	switch {
	case active.ID == "":
	case !v.PublishedAt.IsZero() && !active.PublishedAt.IsZero() && !v.PublishedAt.Equal(active.PublishedAt):
		c.Newer = v.PublishedAt.After(active.PublishedAt)
	case v.Branch == active.Branch:
		c.Newer = v.Number > active.Number
	}
history:
	for _, en := range e.auditTrail(ctx, req.Agent.ID) {
		if en.VersionID != v.ID {
			continue
		}
		// The latest ending of the version counts: a rejection it has
		// since got over (it went live) is no warning.
		switch state.PromotionState(en.Action) {
		case state.Rejected, state.Failed:
			c.Past = &render.PastEnd{State: en.Action, By: pastActor(en.Actor), Reason: en.Detail, At: en.At}
			break history
		case state.Live:
			break history
		}
	}
	return c
}

// pastActor is who ended a promotion, when a person did.
func pastActor(actor string) string {
	if actor == "atomsbot" {
		return ""
	}
	return actor
}

func (e *Engine) auditTrail(ctx context.Context, agentID string) []state.AuditEntry {
	entries, err := e.store.AuditLog(ctx, agentID, auditDepth)
	if err != nil {
		e.log.Warn("read the audit log for the request", "agent", agentID, "err", err)
	}
	return entries
}

// keepContext stores c for the promotion id, before the promotion exists:
// persisted before anything about it is posted, and kept as long as its
// messages can be rendered.
func (e *Engine) keepContext(ctx context.Context, id string, c render.RequestContext) {
	b, err := json.Marshal(c)
	if err == nil {
		err = e.store.PutBlob(ctx, contextBlobKey(id), b, e.lockTTL()+e.cfg.Policy.TTL)
	}
	if err != nil {
		e.log.Warn("keep the request's context", "promotion", id, "err", err)
	}
}

// requestContext is what keepContext stored (zero when it is gone).
func (e *Engine) requestContext(ctx context.Context, id string) render.RequestContext {
	var c render.RequestContext
	if b, err := e.store.Blob(ctx, contextBlobKey(id)); err == nil {
		_ = json.Unmarshal(b, &c)
	}
	return c
}
