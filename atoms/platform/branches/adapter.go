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
	"cmp"
	"context"
	"errors"
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
	BranchTestCall(ctx context.Context, agentID, branchID string, req atoms.TestCallRequest) (*atoms.TestCallResult, error)
	StartOutboundCall(ctx context.Context, req atoms.OutboundCallRequest) (string, error)
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
		PublishedBy: cmp.Or(r.PublishedByName, r.PublishedBy), PublishedAt: r.PublishedAt,
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
