package drafts

import (
	"context"
	"maps"
	"slices"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// EditForm reads a draft's values, or the active version's for a draft not
// created yet. The revision is read before the values: an edit landing in
// between makes a later save look stale (refused) rather than the values
// look current when they are not.
func (a *Adapter) EditForm(ctx context.Context, agentID, draftID string) (platform.Editable, error) {
	if draftID == "" {
		ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
		if err != nil {
			return platform.Editable{}, wire.Read(err)
		}
		if ag.ActiveVersionID == "" {
			return platform.Editable{}, platform.Errorf(platform.ErrNotFound, "no active version to start a draft from")
		}
		return wire.Editable(platform.Draft{}, *ag, wire.Basis{Head: ag.ActiveVersionID}), nil
	}
	detail, err := a.c.GetDraft(ctx, agentID, draftID, 1)
	if err != nil {
		return platform.Editable{}, wire.Read(err)
	}
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{DraftID: draftID})
	if err != nil {
		return platform.Editable{}, wire.Read(err)
	}
	d := platform.Draft{ID: draftID, Name: detail.Latest.DraftName, Open: true, Revision: detail.Latest.DraftRevision,
		BaseID: detail.Latest.SourceVersionID, LastEditor: lastEditor(detail.EditHistory)}
	return wire.Editable(d, *ag, wire.Basis{Open: true, Revision: detail.Latest.DraftRevision}), nil
}

// EditVersion reads a published version's values for a draft forked from
// it when the form is saved (Atoms forks drafts from any version).
func (a *Adapter) EditVersion(ctx context.Context, agentID string, v platform.Version) (platform.Editable, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{VersionID: v.ID})
	if err != nil {
		return platform.Editable{}, wire.Read(err)
	}
	return wire.Editable(platform.Draft{}, *ag, wire.Basis{Head: v.ID, From: true}), nil
}

// SaveDraft writes the changed fields. v1 has no field-level check: a save
// is refused when the draft moved past the revision the form was read at.
// A request without a draft forks one from the version the form was read
// from first (and discards it again when the edit is refused); a fork of a
// version EditVersion read is made even without changes.
func (a *Adapter) SaveDraft(ctx context.Context, req platform.SaveRequest) (platform.Draft, error) {
	b := wire.DecodeBasis(req.Basis)
	if req.DraftID == "" && b.Head == "" {
		return platform.Draft{}, platform.Errorf(platform.ErrRefused, "the form does not say which version to start the draft from; open it again")
	}
	patch := wire.Patch(req.Changes, b.WorkflowType, b.Tools)
	fork := req.DraftID == "" && b.From
	if patch.Empty() && !fork {
		return platform.Draft{}, platform.Errorf(platform.ErrRefused, "there is nothing to save")
	}
	d := platform.Draft{ID: req.DraftID, Open: true}
	if req.DraftID == "" {
		created, err := a.c.CreateDraft(ctx, req.AgentID, atoms.CreateDraftRequest{SourceVersionID: b.Head, DraftName: req.NewName})
		if err != nil {
			return platform.Draft{}, wire.Write(err)
		}
		d.ID, d.Name, d.BaseID, d.Revision = created.DraftID, created.DraftName, b.Head, created.DraftRevision
		if patch.Empty() {
			return d, nil
		}
	} else {
		detail, err := a.c.GetDraft(ctx, req.AgentID, req.DraftID, 1)
		if isNotFound(err) {
			return platform.Draft{}, &platform.ConflictError{Gone: true}
		}
		if err != nil {
			return platform.Draft{}, wire.Read(err)
		}
		if detail.Latest.DraftRevision != b.Revision {
			return platform.Draft{}, &platform.ConflictError{
				Fields: slices.Sorted(maps.Keys(req.Changes)), Editor: lastEditor(detail.EditHistory),
				From: b.Revision, To: detail.Latest.DraftRevision,
			}
		}
		d.Name, d.BaseID = detail.Latest.DraftName, detail.Latest.SourceVersionID
	}
	v, err := a.c.UpdateDraftConfig(ctx, req.AgentID, d.ID, patch)
	if err != nil {
		if req.DraftID == "" && !atoms.Ambiguous(err) {
			// Refused outright: the empty draft made for it would only
			// be left behind.
			_ = a.c.DeleteDraft(context.WithoutCancel(ctx), req.AgentID, d.ID)
		}
		return platform.Draft{}, wire.Write(err)
	}
	d.Revision = v.DraftRevision
	return d, nil
}

// lastEditor names who made the newest edit (the API does not document the
// history's order, so the highest revision decides).
func lastEditor(history []atoms.DraftEditHistory) string {
	best, name := -1, ""
	for _, e := range history {
		if e.Revision > best {
			best, name = e.Revision, e.EditorName
		}
	}
	return name
}
