// Package branches adapts the Atoms branch model (versioning v2) to the
// platform port. An agent has branches; each branch has at most one open
// draft and a line of immutable revisions; exactly one branch is live and
// serves its head revision.
//
// Publishing on the live branch puts the config in front of callers as soon
// as its scan passes, and the live branch's draft slot is shared with the
// dashboard. So the adapter never publishes there: a draft on the live
// branch is copied to a branch of the bot's own (named after the promotion),
// published there, and activation is making that branch live.
package branches

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// Client is what the adapter needs of the Atoms client (*atoms.Client).
type Client interface {
	AllAgents(ctx context.Context, search string) ([]atoms.Agent, error)
	GetAgent(ctx context.Context, agentID string, opt atoms.GetAgentOptions) (*atoms.Agent, error)
	ListBranches(ctx context.Context, agentID string) ([]atoms.BranchSummary, error)
	GetBranch(ctx context.Context, agentID, branchID string) (*atoms.BranchSummary, error)
	CreateBranch(ctx context.Context, agentID string, req atoms.CreateBranchRequest) (*atoms.Branch, error)
	ArchiveBranch(ctx context.Context, agentID, branchID string) error
	MakeLive(ctx context.Context, agentID, branchID string) (*atoms.BranchSummary, error)
	PutBranchDraft(ctx context.Context, agentID, branchID string, edit atoms.DraftEdit) (*atoms.Version, error)
	GetBranchDraft(ctx context.Context, agentID, branchID string) (*atoms.BranchDraft, error)
	PublishBranchDraft(ctx context.Context, agentID, branchID, label string) (*atoms.PublishResult, error)
	CancelPublish(ctx context.Context, agentID, branchID string) error
	ListRevisions(ctx context.Context, agentID, branchID string, opt atoms.ListRevisionsOptions) (*atoms.RevisionList, error)
	GetRevision(ctx context.Context, agentID, branchID, revisionID string) (*atoms.RevisionDetail, error)
	RestoreRevision(ctx context.Context, agentID, branchID, revisionID string) (*atoms.PublishResult, error)
	DiffRefs(ctx context.Context, agentID, a, b string) (*atoms.Diff, error)
}

// Adapter is the platform on the branch model.
type Adapter struct {
	c   Client
	now func() time.Time
}

// New returns the branch-model adapter; now (nil: time.Now) dates what the
// adapter waits out, e.g. a draft that vanished during its scan.
func New(c Client, now func() time.Time) *Adapter {
	if now == nil {
		now = time.Now
	}
	return &Adapter{c: c, now: now}
}

var _ platform.Platform = (*Adapter)(nil)

// Detect tells whether the agent's organisation runs the branch model: its
// branches answer with exactly one live branch. A host without the branch
// routes (an HTML 404) or an agent without a live branch is v1.
func (a *Adapter) Detect(ctx context.Context, agentID string) (platform.Model, error) {
	list, err := a.c.ListBranches(ctx, agentID)
	switch {
	case routeMissing(err):
		return platform.ModelV1, nil
	case errors.Is(err, atoms.ErrNotFound):
		return "", nil // an unknown agent tells nothing
	case err != nil:
		return "", err
	}
	live := 0
	for _, b := range list {
		if b.IsLive {
			live++
		}
	}
	if live == 1 {
		return platform.ModelV2, nil
	}
	return platform.ModelV1, nil
}

// routeMissing reports the HTML 404 of a host that has no such route (the
// API's JSON 404 names a missing resource instead).
func routeMissing(err error) bool {
	var ae *atoms.APIError
	return errors.As(err, &ae) && ae.Status == 404 && ae.Body != ""
}

// read translates a read's error; a missing branch route means this
// organisation does not run the branch model.
func read(err error) error {
	if routeMissing(err) {
		return &platform.Error{Kind: platform.ErrWrongModel, Msg: "this Atoms organisation does not run the branch-based versioning model", Err: err}
	}
	return wire.Read(err)
}

// write translates a write's error like read does.
func write(err error) error {
	if routeMissing(err) {
		return read(err)
	}
	return wire.Write(err)
}

// tree is an agent's branches as one read saw them.
type tree struct {
	list []atoms.BranchSummary
	live *atoms.BranchSummary
}

func (a *Adapter) tree(ctx context.Context, agentID string) (tree, error) {
	list, err := a.c.ListBranches(ctx, agentID)
	if err != nil {
		return tree{}, read(err)
	}
	t := tree{list: list}
	for i := range list {
		if list[i].IsLive {
			t.live = &list[i]
		}
	}
	return t, nil
}

func (t tree) byID(id string) *atoms.BranchSummary {
	for i := range t.list {
		if t.list[i].Branch.ID == id {
			return &t.list[i]
		}
	}
	return nil
}

// byName finds a branch by exact name, else by a unique case-insensitive one
// (names are unique without regard to case among active branches).
func (t tree) byName(name string) *atoms.BranchSummary {
	var fold *atoms.BranchSummary
	for i := range t.list {
		switch n := t.list[i].Branch.Name; {
		case n == name:
			return &t.list[i]
		case strings.EqualFold(n, name):
			fold = &t.list[i]
		}
	}
	return fold
}

func (t tree) liveID() string {
	if t.live == nil {
		return ""
	}
	return t.live.Branch.ID
}

func (t tree) liveHead() string {
	if t.live == nil {
		return ""
	}
	return t.live.Branch.HeadRevisionID
}

// ref names revision number n of a branch: "vN" on the live branch,
// "<branch>/vN" elsewhere.
func (t tree) ref(branchID, branchName string, n int) string {
	if branchID != "" && branchID == t.liveID() {
		return "v" + strconv.Itoa(n)
	}
	if branchName == "" {
		if b := t.byID(branchID); b != nil {
			branchName = b.Branch.Name
		}
	}
	if branchName == "" {
		return "v" + strconv.Itoa(n)
	}
	return branchName + "/v" + strconv.Itoa(n)
}

// version is a revision in the platform's words.
func (t tree) version(r atoms.Version) platform.Version {
	n := r.RevisionNumber
	if n == 0 {
		n = r.VersionNumber // a legacy row not backfilled onto a branch
	}
	v := platform.Version{
		ID: r.ID, Ref: t.ref(r.Branch, "", n), Number: n, Label: r.Label,
		Live: r.ID == t.liveHead(), Check: revisionCheck(r),
		PublishedBy: firstNonEmpty(r.PublishedByName, r.PublishedBy), PublishedAt: r.PublishedAt,
		RestoredFrom: r.RestoredFromLabel,
	}
	if b := t.byID(r.Branch); b != nil {
		v.Branch = b.Branch.Name
	}
	if v.RestoredFrom == "" && r.RestoredFromRevisionID != "" {
		v.RestoredFrom = r.RestoredFromRevisionID
	}
	return v
}

// revisionCheck is a revision's security check. A committed revision passed
// its scan (or predates scanning, which Atoms lets go live): a missing check
// on one counts as passed.
func revisionCheck(r atoms.Version) platform.Check {
	c := wire.Check(r.SecurityCheck)
	if c.Status == "" && r.Status == atoms.StatusPublished {
		c.Status = "passed"
	}
	return c
}

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
	v.ActivatedBy = firstNonEmpty(d.Revision.ActivatedByName, d.Revision.ActivatedBy, t.live.UpdatedByName, v.PublishedBy)
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

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
