package branches

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// Agents lists agents by name.
func (a *Adapter) Agents(ctx context.Context, search string) ([]platform.Agent, error) {
	list, err := a.c.AllAgents(ctx, search)
	if err != nil {
		return nil, read(err)
	}
	return wire.Agents(list), nil
}

// Agent reads one agent; its live version is the live branch's head, read
// from the branches (the agent document's activeVersionId may lag).
func (a *Adapter) Agent(ctx context.Context, agentID string) (platform.Agent, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil {
		return platform.Agent{}, read(err)
	}
	out := wire.Agent(*ag)
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return platform.Agent{}, err
	}
	if h := t.liveHead(); h != "" {
		out.LiveVersionID = h
	}
	return out, nil
}

// Live is the live branch's head revision.
func (a *Adapter) Live(ctx context.Context, agentID string) (platform.Version, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return platform.Version{}, err
	}
	if t.liveHead() == "" {
		return platform.Version{}, platform.Errorf(platform.ErrNotFound, "no live version")
	}
	d, err := a.c.GetRevision(ctx, agentID, t.liveID(), t.liveHead())
	if err != nil {
		return platform.Version{}, read(err)
	}
	v := t.version(d.Revision)
	// Who made it live: whoever last changed the live branch (a make-live
	// or a publish on it), else its publisher.
	v.ActivatedBy = cmp.Or(d.Revision.ActivatedByName, d.Revision.ActivatedBy, t.live.UpdatedByName, v.PublishedBy)
	// When it went live: the latest of what Atoms says (the revision's
	// activation, the live branch's last change, the publish); a flip back
	// and forth between two branches is then still two activations.
	for _, at := range []time.Time{d.Revision.ActivatedAt, t.live.Branch.UpdatedAt, v.PublishedAt} {
		if at.After(v.ActivatedAt) {
			v.ActivatedAt = at
		}
	}
	return v, nil
}

// LiveID is the live branch's head, from the branches.
func (a *Adapter) LiveID(ctx context.Context, agentID string) (string, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return "", err
	}
	return t.liveHead(), nil
}

// Versions lists a branch's revisions (the live branch's by default).
func (a *Adapter) Versions(ctx context.Context, agentID string, q platform.VersionQuery) (platform.VersionPage, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return platform.VersionPage{}, err
	}
	b := t.live
	if q.Branch != "" {
		if b = t.byName(q.Branch); b == nil {
			return platform.VersionPage{}, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("no branch “%s”", q.Branch))
		}
	}
	if b == nil {
		return platform.VersionPage{}, platform.Errorf(platform.ErrNotFound, "no live branch")
	}
	list, err := a.c.ListRevisions(ctx, agentID, b.Branch.ID, atoms.ListRevisionsOptions{Limit: min(max(q.Limit, 1), 100)})
	if err != nil {
		return platform.VersionPage{}, read(err)
	}
	page := platform.VersionPage{Total: list.Total, Branch: b.Branch.Name}
	for _, r := range list.Revisions {
		if r.Status == atoms.StatusDraft {
			// A publish still scanning may be listed on top as its draft's
			// row: not a version (yet).
			page.Total--
			continue
		}
		page.Versions = append(page.Versions, t.version(r))
	}
	return page, nil
}

// Version finds a revision by id (on any active branch) or by number on the
// live branch or a named one.
func (a *Adapter) Version(ctx context.Context, agentID string, ref platform.VersionRef) (platform.Version, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return platform.Version{}, err
	}
	if ref.ID != "" {
		r, err := a.findRevision(ctx, agentID, t, ref.ID)
		if err != nil {
			return platform.Version{}, err
		}
		return t.version(*r), nil
	}
	b := t.live
	if ref.Branch != "" {
		if b = t.byName(ref.Branch); b == nil {
			return platform.Version{}, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("no branch “%s”", ref.Branch))
		}
	}
	if b == nil {
		return platform.Version{}, platform.Errorf(platform.ErrNotFound, "no live branch")
	}
	if r, err := a.revisionNumbered(ctx, agentID, b, ref.Number); err != nil || r != nil {
		if err != nil {
			return platform.Version{}, err
		}
		return t.version(*r), nil
	}
	where := ""
	if ref.Branch != "" {
		where = " on branch “" + b.Branch.Name + "”"
	}
	return platform.Version{}, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("no version v%d%s (the newest is v%d)", ref.Number, where, b.HeadRevisionNumber))
}

// revisionNumbered finds revision n of a branch. Revisions are numbered one
// after another per branch and listed newest first, so it is usually at
// skip = head - n; a page scan covers gaps.
func (a *Adapter) revisionNumbered(ctx context.Context, agentID string, b *atoms.BranchSummary, n int) (*atoms.Version, error) {
	if n < 1 || n > b.HeadRevisionNumber {
		return nil, nil
	}
	list, err := a.c.ListRevisions(ctx, agentID, b.Branch.ID, atoms.ListRevisionsOptions{Limit: 1, Skip: b.HeadRevisionNumber - n})
	if err != nil {
		return nil, read(err)
	}
	if len(list.Revisions) == 1 && list.Revisions[0].RevisionNumber == n {
		return &list.Revisions[0], nil
	}
	for skip := 0; skip < list.Total && skip < 10000; skip += 100 {
		page, err := a.c.ListRevisions(ctx, agentID, b.Branch.ID, atoms.ListRevisionsOptions{Limit: 100, Skip: skip})
		if err != nil {
			return nil, read(err)
		}
		for i := range page.Revisions {
			if page.Revisions[i].RevisionNumber == n {
				return &page.Revisions[i], nil
			}
		}
		if len(page.Revisions) < 100 {
			break
		}
	}
	return nil, nil
}

// findRevision reads a revision by id. A revision path names its branch, and
// the id alone does not: the live branch is tried first, then the others.
func (a *Adapter) findRevision(ctx context.Context, agentID string, t tree, id string) (*atoms.Version, error) {
	order := make([]string, 0, len(t.list))
	if t.live != nil {
		order = append(order, t.liveID())
	}
	for _, b := range t.list {
		if b.Branch.ID != t.liveID() {
			order = append(order, b.Branch.ID)
		}
	}
	for _, b := range order {
		d, err := a.c.GetRevision(ctx, agentID, b, id)
		if err == nil {
			return &d.Revision, nil
		}
		var ae *atoms.APIError
		if errors.As(err, &ae) && (ae.Status == 400 || ae.Status == 404) {
			continue // not on this branch
		}
		return nil, read(err)
	}
	return nil, platform.Errorf(platform.ErrNotFound, "no version "+id+" on any active branch")
}

// DiffVersions compares two revisions (of any branches).
func (a *Adapter) DiffVersions(ctx context.Context, agentID, va, vb string) (platform.Diff, error) {
	d, err := a.c.DiffRefs(ctx, agentID, va, vb)
	if err != nil {
		return platform.Diff{}, read(err)
	}
	return wire.Diff(*d), nil
}

// DiffDraft compares a branch's open draft with the live head.
func (a *Adapter) DiffDraft(ctx context.Context, agentID, branchID string) (platform.Diff, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return platform.Diff{}, err
	}
	if t.liveHead() == "" {
		return platform.Diff{}, platform.Errorf(platform.ErrNotFound, "no live version to compare with")
	}
	return a.DiffVersions(ctx, agentID, t.liveHead(), atoms.DraftRef(branchID))
}
