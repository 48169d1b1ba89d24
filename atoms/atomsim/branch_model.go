package atomsim

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// Branch statuses and the default branch's name.
const (
	branchActive   = "active"
	branchArchived = "archived"
	mainBranchName = "Main"
)

// branch is an editable line of an agent's config. Its committed revisions
// are the agent's versions with branchID = id; it holds at most one open
// draft, which the dashboard edits too.
type branch struct {
	id, name         string
	isDefault        bool
	sourceBranchID   string
	sourceRevisionID string
	headID           string // "" until the first commit
	status           string
	draft            *branchDraft
	nextScan         *checkPlan // outcome of the next scan (SetScanOutcome)
	createdBy        string
	updatedBy        string
	createdAt        time.Time
	updatedAt        time.Time
}

// branchDraft is a branch's open draft. Every edit gives its row a new _id
// and keeps a snapshot, so that a field-level conflict can be computed
// against any draftRevision the caller based its edit on.
type branchDraft struct {
	draftID   string
	recordID  string
	revision  int
	baseID    string         // the revision it was opened on
	base      map[string]any // that revision's config (immutable)
	blocks    map[string]string
	config    map[string]any
	edits     []draftEdit // edit i has revision i+1
	check     *checkView  // securityCheck of the row; nil until a publish
	pending   *pendingPublish
	scan      *scanJob // the armed publish, while it scans
	createdBy string
	createdAt time.Time
	updatedAt time.Time
}

type draftEdit struct {
	recordID string
	revision int
	blocks   map[string]string
	config   map[string]any // the draft after this edit
	sections []string
	leaves   []string // "<section>.<path>" written by the edit
	editor   string
	at       time.Time
}

type pendingPublish struct {
	state     string // "active" or "cancelled"
	startedBy string
	startedAt time.Time
}

// scanJob completes lazily: the first observation at or after due applies
// its plan (see settle), so no goroutine or timer is involved.
type scanJob struct {
	due         time.Time
	triggeredAt time.Time
	plan        checkPlan
	label, by   string
}

func (b *branch) scanning() bool { return b.draft != nil && b.draft.scan != nil }

func (a *agent) branch(id string) *branch {
	for _, b := range a.branches {
		if b.id == id {
			return b
		}
	}
	return nil
}

func (a *agent) onBranchModel() bool { return len(a.branches) > 0 }

// branchRevisions are the branch's committed revisions, oldest first.
func (a *agent) branchRevisions(b *branch) []*version {
	var out []*version
	for _, v := range a.versions {
		if v.branchID == b.id {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(x, y *version) int { return cmp.Compare(x.revisionNumber, y.revisionNumber) })
	return out
}

func (a *agent) lastRevisionNumber(b *branch) int {
	n := 0
	for _, v := range a.versions {
		if v.branchID == b.id {
			n = max(n, v.revisionNumber)
		}
	}
	return n
}

// branchDraftByID finds an open branch draft by its draftId.
func (a *agent) branchDraftByID(draftID string) (*branch, *branchDraft) {
	for _, b := range a.branches {
		if b.draft != nil && b.draft.draftID == draftID {
			return b, b.draft
		}
	}
	return nil, nil
}

// configAt is the draft's config as of draftRevision n (0: its base).
func (d *branchDraft) configAt(n int) map[string]any {
	if n <= 0 || n > len(d.edits) {
		return d.base
	}
	return d.edits[n-1].config
}

// migrate puts a v1 agent on the branch model in place, as production's
// migration did: Main, default and live, whose revisions are the published
// versions (same ids, revisionNumber = versionNumber) and whose head is the
// active version. Open v1 drafts are left as they are: they stay readable
// through the kept v1 GET only, since no mapping to branches exists.
func (s *Simulator) migrate(a *agent) {
	if a.onBranchModel() {
		return
	}
	main := &branch{
		id:        s.ids.objectID(a.createdAt),
		name:      mainBranchName,
		isDefault: true,
		headID:    a.activeVersionID,
		status:    branchActive,
		createdBy: a.createdBy,
		updatedBy: a.createdBy,
		createdAt: a.createdAt,
		updatedAt: a.updatedAt,
	}
	for _, v := range a.versions {
		v.branchID, v.revisionNumber = main.id, v.number
	}
	a.branches = []*branch{main}
	a.liveBranchID = main.id
}

// newRevision commits cfg as the branch's next revision and moves the head
// to it; on the live branch it is what serves from then on.
func (s *Simulator) newRevision(a *agent, b *branch, cfg map[string]any, blocks map[string]string, by string, at time.Time) *version {
	a.noteChange(at, s.readLag)
	v := &version{
		id:             s.ids.objectID(at),
		branchID:       b.id,
		revisionNumber: a.lastRevisionNumber(b) + 1,
		parentID:       cmpOr(b.headID, b.sourceRevisionID),
		publishedBy:    by,
		publishedAt:    at,
		blocks:         maps.Clone(blocks),
		config:         copyConfig(cfg),
		check:          checkState{triggeredAt: at, plan: checkPlan{status: checkPassed}},
		createdBy:      by,
		createdAt:      at,
		updatedAt:      at,
	}
	a.versions = append(a.versions, v)
	b.headID, b.updatedBy, b.updatedAt = v.id, by, at
	if a.liveBranchID == b.id {
		a.activeVersionID = v.id
		v.activatedBy, v.activatedAt = by, at
	}
	a.updatedAt = at
	return v
}

// takeScanPlan is the outcome of a scan starting now on b: the branch's
// injected outcome, else the agent's FailNextCheck, else a pass.
func (s *Simulator) takeScanPlan(a *agent, b *branch) checkPlan {
	if b.nextScan != nil {
		p := *b.nextScan
		b.nextScan = nil
		return p
	}
	if p, ok := s.failNext[a.id]; ok {
		delete(s.failNext, a.id)
		return p
	}
	return checkPlan{status: checkPassed}
}
