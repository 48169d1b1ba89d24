package branches

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// Drafts lists every branch as a place to edit, with the detail of the open
// drafts (one read each).
func (a *Adapter) Drafts(ctx context.Context, agentID string) ([]platform.Draft, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return nil, err
	}
	out := make([]platform.Draft, 0, len(t.list))
	for _, b := range t.list {
		d := platform.Draft{ID: b.Branch.ID, Name: b.Branch.Name, Open: b.HasOpenDraft, Live: b.IsLive, BaseID: b.Branch.HeadRevisionID}
		if d.BaseID != "" {
			d.Base = t.ref(b.Branch.ID, b.Branch.Name, b.HeadRevisionNumber)
		} else {
			// No commit of its own yet: it stands on the revision it was
			// forked from, named when that is still its source's head.
			d.BaseID = b.Branch.SourceRevisionID
			if src := t.byID(b.Branch.SourceBranchID); src != nil && d.BaseID != "" && src.Branch.HeadRevisionID == d.BaseID {
				d.Base = t.ref(src.Branch.ID, src.Branch.Name, src.HeadRevisionNumber)
			}
		}
		if b.HasOpenDraft {
			detail, err := a.c.GetBranchDraft(ctx, agentID, b.Branch.ID)
			switch {
			case errors.Is(err, atoms.ErrNotFound):
				d.Open = false // closed since the list was read
			case err != nil:
				return nil, read(err)
			default:
				fillDraft(&d, detail)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// fillDraft adds what the open draft itself says.
func fillDraft(d *platform.Draft, detail *atoms.BranchDraft) {
	l := detail.Latest
	d.Revision = l.DraftRevision
	d.Scanning = l.PendingPublish != nil && l.PendingPublish.State == atoms.PendingActive
	d.Check = wire.Check(l.SecurityCheck)
	best := -1
	for _, e := range detail.EditHistory {
		if e.Revision.DraftRevision >= best {
			best, d.LastEditor = e.Revision.DraftRevision, e.EditorName
		}
	}
}

// EditForm reads a branch's draft (or its head, when it has no draft), or
// the live head for a draft not created yet. A branch whose publish is being
// scanned cannot be edited.
func (a *Adapter) EditForm(ctx context.Context, agentID, branchID string) (platform.Editable, error) {
	if branchID == "" {
		ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
		if err != nil {
			return platform.Editable{}, read(err)
		}
		return wire.Editable(platform.Draft{}, *ag, wire.Basis{Head: ag.ActiveVersionID}), nil
	}
	s, err := a.c.GetBranch(ctx, agentID, branchID)
	if err != nil {
		return platform.Editable{}, read(err)
	}
	d := platform.Draft{ID: s.Branch.ID, Name: s.Branch.Name, Live: s.IsLive}
	b := wire.Basis{Head: cmp.Or(s.Branch.HeadRevisionID, s.Branch.SourceRevisionID)}
	opt := atoms.GetAgentOptions{VersionID: b.Head}
	if s.HasOpenDraft {
		detail, err := a.c.GetBranchDraft(ctx, agentID, branchID)
		switch {
		case errors.Is(err, atoms.ErrNotFound):
		case err != nil:
			return platform.Editable{}, read(err)
		default:
			fillDraft(&d, detail)
			if d.Scanning {
				return platform.Editable{}, platform.Errorf(platform.ErrBusy, fmt.Sprintf("branch “%s” is being published (its security check is running); edit it once that finishes", s.Branch.Name))
			}
			d.Open = true
			b.Open, b.Revision = true, d.Revision
			opt = atoms.GetAgentOptions{DraftID: cmp.Or(s.Branch.OpenDraftID, detail.Latest.DraftID)}
		}
	}
	ag, err := a.c.GetAgent(ctx, agentID, opt)
	if err != nil {
		return platform.Editable{}, read(err)
	}
	return wire.Editable(d, *ag, b), nil
}

// EditVersion reads a revision's values for a draft forked from it when
// the form is saved.
func (a *Adapter) EditVersion(ctx context.Context, agentID string, v platform.Version) (platform.Editable, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{VersionID: v.ID})
	if err != nil {
		return platform.Editable{}, read(err)
	}
	return wire.Editable(platform.Draft{}, *ag, wire.Basis{Head: v.ID, From: true}), nil
}

// SaveDraft writes the changed fields into the branch's draft, opening one
// if needed. With a draft open when the form was read, the save carries its
// revision and Atoms refuses it when another edit changed the same fields
// since (*ConflictError). A save without a branch first creates one of the
// user's own from the live branch; for a form EditVersion read, its draft
// also takes what that revision changes against the live head.
func (a *Adapter) SaveDraft(ctx context.Context, req platform.SaveRequest) (platform.Draft, error) {
	b := wire.DecodeBasis(req.Basis)
	patch := wire.Patch(req.Changes, b.WorkflowType, b.Tools)
	fork := req.DraftID == "" && b.From && b.Head != ""
	if patch.Empty() && !fork {
		return platform.Draft{}, platform.Errorf(platform.ErrRefused, "there is nothing to save")
	}
	d := platform.Draft{ID: req.DraftID, Open: true}
	if req.DraftID == "" {
		t, err := a.tree(ctx, req.AgentID)
		if err != nil {
			return platform.Draft{}, err
		}
		if fork {
			if patch, err = a.forkPatch(ctx, req.AgentID, t, b.Head, patch); err != nil {
				return platform.Draft{}, err
			}
		}
		created, err := a.newBranch(ctx, req.AgentID, t, req.NewName)
		if err != nil {
			return platform.Draft{}, err
		}
		d.ID, d.Name = created.ID, created.Name
	}
	edit := atoms.DraftEdit{Config: patch}
	if b.Open {
		edit.ExpectedRevision = &b.Revision
	}
	v, err := a.c.PutBranchDraft(ctx, req.AgentID, d.ID, edit)
	if err != nil {
		if req.DraftID == "" && !atoms.Ambiguous(err) {
			// Refused outright: the branch made for it would be left empty.
			_ = a.c.ArchiveBranch(context.WithoutCancel(ctx), req.AgentID, d.ID)
		}
		return platform.Draft{}, saveError(err, b, req.Changes)
	}
	d.Revision = v.DraftRevision
	if d.Name == "" {
		if s, err := a.c.GetBranch(ctx, req.AgentID, d.ID); err == nil {
			d.Name, d.Live = s.Branch.Name, s.IsLive
		}
	}
	return d, nil
}

// forkPatch is the draft body that makes a fork of the live branch equal to
// revision rev, with the form's patch on top. A fork of the live branch
// serves every revision alike (Atoms forks a branch only from its source's
// head, and a revision of an archived branch has no branch to fork).
func (a *Adapter) forkPatch(ctx context.Context, agentID string, t tree, rev string, form atoms.ConfigPatch) (atoms.ConfigPatch, error) {
	if t.liveHead() == "" {
		return atoms.ConfigPatch{}, platform.Errorf(platform.ErrNotFound, "no live branch to start a draft from")
	}
	from, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{VersionID: rev})
	if err != nil {
		return atoms.ConfigPatch{}, read(err)
	}
	live, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{VersionID: t.liveHead()})
	if err != nil {
		return atoms.ConfigPatch{}, read(err)
	}
	body, err := changedFields(from.ResolvedConfig, live.ResolvedConfig)
	if err != nil {
		return atoms.ConfigPatch{}, err
	}
	merged, err := overlay(body, form)
	if err != nil {
		return atoms.ConfigPatch{}, err
	}
	if merged.Empty() {
		return atoms.ConfigPatch{}, platform.Errorf(platform.ErrRefused, "there is nothing to save: that version is what is live, and no field was changed")
	}
	return merged, nil
}

// overlay is base with top's fields written over it as a draft edit would
// (objects merged, everything else replaced), so that both go in one edit.
func overlay(base, top atoms.ConfigPatch) (atoms.ConfigPatch, error) {
	var bm, tm map[string]any
	for _, c := range []struct {
		p   atoms.ConfigPatch
		out *map[string]any
	}{{base, &bm}, {top, &tm}} {
		raw, err := json.Marshal(c.p)
		if err != nil {
			return atoms.ConfigPatch{}, fmt.Errorf("merge the draft's fields: %w", err)
		}
		if err := json.Unmarshal(raw, c.out); err != nil {
			return atoms.ConfigPatch{}, fmt.Errorf("merge the draft's fields: %w", err)
		}
	}
	raw, err := json.Marshal(deepMerge(bm, tm))
	if err != nil {
		return atoms.ConfigPatch{}, fmt.Errorf("merge the draft's fields: %w", err)
	}
	var out atoms.ConfigPatch
	if err := json.Unmarshal(raw, &out); err != nil {
		return atoms.ConfigPatch{}, fmt.Errorf("merge the draft's fields: %w", err)
	}
	return out, nil
}

func deepMerge(base, top map[string]any) map[string]any {
	if base == nil {
		base = map[string]any{}
	}
	for k, v := range top {
		bo, bok := base[k].(map[string]any)
		to, tok := v.(map[string]any)
		if bok && tok {
			base[k] = deepMerge(bo, to)
			continue
		}
		base[k] = v
	}
	return base
}

// newBranch creates a branch from the live one, named name (or name-2, -3…
// when taken).
func (a *Adapter) newBranch(ctx context.Context, agentID string, t tree, name string) (*atoms.Branch, error) {
	if t.live == nil {
		return nil, platform.Errorf(platform.ErrNotFound, "no live branch to start a draft from")
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "atomsbot-edit"
	}
	for i := 1; i <= 5; i++ {
		try := name
		if i > 1 {
			try = fmt.Sprintf("%s-%d", name, i)
		}
		created, err := a.c.CreateBranch(ctx, agentID, atoms.CreateBranchRequest{SourceBranchID: t.liveID(), Name: try})
		if errors.Is(err, atoms.ErrBranchNameExists) {
			continue
		}
		if err != nil {
			return nil, write(err)
		}
		return created, nil
	}
	return nil, platform.Errorf(platform.ErrRefused, fmt.Sprintf("the branch names “%s” to “%s-5” are all taken", name, name))
}

// saveError explains a refused draft save.
func saveError(err error, b wire.Basis, changes map[string]string) error {
	if c, ok := atoms.DraftConflictOf(err); ok {
		ce := &platform.ConflictError{From: b.Revision, To: c.LatestRevision}
		seen := map[string]bool{}
		for _, p := range c.Paths {
			if f := fieldOf(p); f != "" && !seen[f] {
				if _, changed := changes[f]; changed {
					seen[f] = true
					ce.Fields = append(ce.Fields, f)
				}
			}
		}
		return ce
	}
	switch {
	case errors.Is(err, atoms.ErrBaseRevisionUnavailable):
		return &platform.ConflictError{Gone: true}
	case errors.Is(err, atoms.ErrForbidden):
		return &platform.Error{Kind: platform.ErrRefused, Msg: "Atoms refused the edit (the branch may be archived): " + platform.Explain(wire.Write(err)), Err: err}
	}
	return write(err)
}

// fieldOf maps a conflicting config path ("<section>.<path>") to the form
// field that writes it; tools travel with the prompt.
func fieldOf(path string) string {
	switch {
	case strings.Contains(path, "firstMessage"):
		return platform.FieldFirstMessage
	case strings.Contains(path, "voiceId"), strings.HasPrefix(path, "voice."):
		return platform.FieldVoiceID
	case strings.Contains(path, "slmModel"), strings.HasPrefix(path, "llm."):
		return platform.FieldModel
	case strings.Contains(path, "rompt"), strings.Contains(path, "tools"):
		return platform.FieldPrompt
	}
	return ""
}
