package branches

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// Stage decides where the release is published and prepares it: a draft on
// the live branch is copied to a branch of the adapter's own forked from the
// live branch (publishing on the live branch would go live at once); a
// draft on any other branch is published where it is. The stage's head and
// draft are recorded, so the revision the publish makes can be told apart.
func (a *Adapter) Stage(ctx context.Context, r platform.Release) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	t, err := a.tree(ctx, r.AgentID)
	if err != nil {
		return r, err
	}
	src := t.byID(r.DraftID)
	switch {
	case t.live == nil:
		return r, platform.Errorf(platform.ErrRefused, "the agent has no live branch")
	case src == nil:
		return r, platform.Errorf(platform.ErrNotFound, "the draft's branch no longer exists")
	case !src.HasOpenDraft:
		return r, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("branch “%s” has no open draft any more (published or discarded)", src.Branch.Name))
	case r.Base != "" && t.liveHead() != r.Base:
		return r, &platform.MovedError{What: "the live version changed while the promotion was being prepared; promote again to compare with what is live now"}
	}
	tok := token{Live: t.liveID(), Staged: a.now().UnixMilli()}
	stage := src
	if src.IsLive {
		if stage, err = a.ownStage(ctx, r, t, src); err != nil {
			return r, err
		}
		tok.Own = true
	}
	detail, err := a.c.GetBranchDraft(ctx, r.AgentID, stage.Branch.ID)
	if err != nil {
		if errors.Is(err, atoms.ErrNotFound) {
			return r, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("branch “%s” has no open draft any more (published or discarded)", stage.Branch.Name))
		}
		return r, read(err)
	}
	if p := detail.Latest.PendingPublish; p != nil && p.State == atoms.PendingActive {
		return r, platform.Errorf(platform.ErrBusy, fmt.Sprintf("branch “%s” is being published already", stage.Branch.Name))
	}
	tok.Stage, tok.StageName = stage.Branch.ID, stage.Branch.Name
	tok.Prior, tok.Draft = stage.Branch.HeadRevisionID, detail.Latest.DraftID
	r.Model, r.Token = platform.ModelV2, tok.encode()
	r.Key = stage.Branch.ID + ":" + cmp.Or(detail.Latest.DraftID, detail.Latest.ID)
	r.Number = stage.HeadRevisionNumber + 1
	r.Ref = t.ref(stage.Branch.ID, stage.Branch.Name, r.Number)
	return r, nil
}

// ownStage finds or makes the adapter's branch for r, forked from the live
// branch, and copies the live branch's draft into it.
func (a *Adapter) ownStage(ctx context.Context, r platform.Release, t tree, src *atoms.BranchSummary) (*atoms.BranchSummary, error) {
	name := ownName(r.ID)
	own := t.byName(name)
	fresh := false
	if own == nil {
		created, err := a.c.CreateBranch(ctx, r.AgentID, atoms.CreateBranchRequest{SourceBranchID: t.liveID(), Name: name})
		switch {
		case errors.Is(err, atoms.ErrBranchNameExists):
			// An earlier attempt made it without us hearing the answer.
			t2, terr := a.tree(ctx, r.AgentID)
			if terr != nil {
				return nil, terr
			}
			if own = t2.byName(name); own == nil {
				return nil, write(err)
			}
		case err != nil:
			return nil, write(err)
		default:
			own, fresh = &atoms.BranchSummary{Branch: *created}, true
			if created.HeadRevisionID != "" {
				// A fork that starts with a head has one revision, its copy
				// of the source's head: the publish will be revision 2.
				own.HeadRevisionNumber = 1
			}
		}
	}
	if own.HasOpenDraft {
		return own, nil // copied by an earlier attempt
	}
	if !fresh {
		if err := a.unpublished(ctx, r.AgentID, own); err != nil {
			return nil, err
		}
	}
	body, err := a.liveDraftChanges(ctx, r.AgentID, src, t.liveHead())
	if err != nil {
		return nil, err
	}
	v, err := a.c.PutBranchDraft(ctx, r.AgentID, own.Branch.ID, atoms.DraftEdit{Config: body})
	if err != nil {
		return nil, write(err)
	}
	own.HasOpenDraft = true
	if own.Branch.OpenDraftID == "" {
		own.Branch.OpenDraftID = v.DraftID
	}
	return own, nil
}

// unpublished refuses an own branch found from an earlier attempt that has
// a publish of its own (copying the draft again would stage it twice). A
// fork's head is null until its first commit, or a copy of the source's head
// made at the fork: revision 1, which no draft published.
func (a *Adapter) unpublished(ctx context.Context, agentID string, own *atoms.BranchSummary) error {
	head := own.Branch.HeadRevisionID
	if head == "" || head == own.Branch.SourceRevisionID {
		return nil
	}
	d, err := a.c.GetRevision(ctx, agentID, own.Branch.ID, head)
	if err != nil {
		return read(err)
	}
	if d.Revision.RevisionNumber <= 1 && d.Revision.SourceDraftID == "" && d.Revision.RestoredFromRevisionID == "" {
		return nil
	}
	return platform.Errorf(platform.ErrRefused, fmt.Sprintf("branch “%s” already has a revision of its own", own.Branch.Name))
}

// liveDraftChanges is the config body that makes a fork of the live head
// equal to the live branch's draft: every field whose value differs, sent
// whole (so arrays replace as a unit, as they do on the platform).
func (a *Adapter) liveDraftChanges(ctx context.Context, agentID string, src *atoms.BranchSummary, head string) (atoms.ConfigPatch, error) {
	draftID := src.Branch.OpenDraftID
	if draftID == "" {
		d, err := a.c.GetBranchDraft(ctx, agentID, src.Branch.ID)
		if err != nil {
			return atoms.ConfigPatch{}, read(err)
		}
		draftID = d.Latest.DraftID
	}
	draft, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{DraftID: draftID})
	if err != nil {
		return atoms.ConfigPatch{}, read(err)
	}
	live, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{VersionID: head})
	if err != nil {
		return atoms.ConfigPatch{}, read(err)
	}
	body, err := changedFields(draft.ResolvedConfig, live.ResolvedConfig)
	if err != nil {
		return atoms.ConfigPatch{}, err
	}
	if body.Empty() {
		return atoms.ConfigPatch{}, platform.Errorf(platform.ErrRefused, fmt.Sprintf("the draft on branch “%s” changes nothing against the live version", src.Branch.Name))
	}
	return body, nil
}

// changedFields compares two flat resolved configs and returns the fields
// of to that differ from from, as a config body: the flat prompt and tools
// go back into singlePromptConfig, the flat language keys into language,
// and keys derived for reading only (modelName) are left out.
func changedFields(to, from *atoms.ResolvedConfig) (atoms.ConfigPatch, error) {
	tm, err := flat(to)
	if err != nil {
		return atoms.ConfigPatch{}, err
	}
	fm, err := flat(from)
	if err != nil {
		return atoms.ConfigPatch{}, err
	}
	out := map[string]any{}
	differs := func(k string) bool { return !reflect.DeepEqual(tm[k], fm[k]) && tm[k] != nil }
	if differs("prompt") || differs("tools") {
		spc := map[string]any{}
		for _, k := range []string{"prompt", "tools"} {
			if tm[k] != nil {
				spc[k] = tm[k]
			}
		}
		out["singlePromptConfig"] = spc
	}
	if differs("defaultLanguage") || differs("supportedLanguages") || differs("languageSwitching") {
		lang := map[string]any{"switching": map[string]any{}}
		for k, to := range map[string]string{"defaultLanguage": "default", "supportedLanguages": "supported", "languageSwitching": "switching"} {
			if tm[k] != nil {
				lang[to] = tm[k]
			}
		}
		out["language"] = lang
	}
	for k := range tm {
		switch k {
		case "prompt", "tools", "defaultLanguage", "supportedLanguages", "languageSwitching", "modelName":
			continue
		}
		if differs(k) {
			out[k] = tm[k]
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return atoms.ConfigPatch{}, fmt.Errorf("copy the draft: %w", err)
	}
	var p atoms.ConfigPatch
	if err := json.Unmarshal(b, &p); err != nil {
		return atoms.ConfigPatch{}, fmt.Errorf("copy the draft: %w", err)
	}
	return p, nil
}

func flat(rc *atoms.ResolvedConfig) (map[string]any, error) {
	out := map[string]any{}
	if rc == nil {
		return out, nil
	}
	b, err := json.Marshal(rc)
	if err != nil {
		return nil, fmt.Errorf("read a config: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("read a config: %w", err)
	}
	return out, nil
}
