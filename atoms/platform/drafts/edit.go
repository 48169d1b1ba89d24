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

// SaveDraft writes the changed fields. v1 has no field-level check: a save
// is refused when the draft moved past the revision the form was read at.
// A request without a draft forks one from the version the form was read
// from first (and discards it again when the edit is refused).
func (a *Adapter) SaveDraft(ctx context.Context, req platform.SaveRequest) (platform.Draft, error) {
	b := wire.DecodeBasis(req.Basis)
	if req.DraftID == "" && b.Head == "" {
		return platform.Draft{}, platform.Errorf(platform.ErrRefused, "the form does not say which version to start the draft from; open it again")
	}
	patch := wire.Patch(req.Changes, b.WorkflowType, b.Tools)
	if patch.Empty() {
		return platform.Draft{}, platform.Errorf(platform.ErrRefused, "there is nothing to save")
	}
	d := platform.Draft{ID: req.DraftID, Open: true}
	if req.DraftID == "" {
		created, err := a.c.CreateDraft(ctx, req.AgentID, atoms.CreateDraftRequest{SourceVersionID: b.Head, DraftName: req.NewName})
		if err != nil {
			return platform.Draft{}, wire.Write(err)
		}
		d.ID, d.Name, d.BaseID = created.DraftID, created.DraftName, b.Head
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
