package atomsim

import "time"

// agent is the stored agent document with its versions and open drafts.
type agent struct {
	id, name, description string
	workflowType          string
	workflowID            string
	createdBy             string
	createdAt, updatedAt  time.Time
	archived              bool
	archivedAt            time.Time
	allowInbound          bool
	visibleToAll          bool
	activeVersionID       string
	totalCalls            int
	versions              []*version // published, oldest first
	drafts                []*draft   // open drafts, oldest first
	// The branch model: empty until the agent is migrated or born under it.
	branches     []*branch // Main first, then creation order
	liveBranchID string
	lag          []lagEntry // read-back lag, oldest first
}

// version is an immutable published config snapshot (its metadata aside).
type version struct {
	id              string
	number          int
	label, descr    string
	isPinned        bool
	publishedBy     string
	publishedAt     time.Time
	activatedBy     string
	activatedAt     time.Time
	sourceVersionID string
	sourceDraftID   string
	draftName       string
	blocks          map[string]string
	config          map[string]any
	check           checkState
	createdBy       string
	createdAt       time.Time
	updatedAt       time.Time
	// Branch-model fields. A migrated v1 version keeps its number and gets
	// revisionNumber = number; a revision committed on a branch has number 0
	// (versionNumber null on the wire).
	branchID          string
	revisionNumber    int
	parentID          string
	restoredFromID    string
	restoredFromLabel string
	trail             []draftEdit // the edits of the draft it was published from
}

// draft is a mutable workspace. recordID is the _id of its latest revision
// record and changes with every edit; draftID names the draft in paths.
type draft struct {
	draftID         string
	recordID        string
	name            string
	revision        int
	sourceVersionID string
	sourceDraftID   string
	blocks          map[string]string
	config          map[string]any
	history         []editEntry // oldest first
	createdBy       string
	createdAt       time.Time
	updatedAt       time.Time
}

type editEntry struct {
	revision        int
	changedSections []string
	editor          string
	at              time.Time
}

func (d *draft) lastEditor() string {
	if n := len(d.history); n > 0 {
		return d.history[n-1].editor
	}
	return d.createdBy
}

func (a *agent) version(id string) *version {
	for _, v := range a.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

func (a *agent) draft(draftID string) *draft {
	for _, d := range a.drafts {
		if d.draftID == draftID {
			return d
		}
	}
	return nil
}

func (a *agent) draftByRecord(recordID string) *draft {
	for _, d := range a.drafts {
		if d.recordID == recordID {
			return d
		}
	}
	return nil
}

func (a *agent) removeDraft(draftID string) {
	for i, d := range a.drafts {
		if d.draftID == draftID {
			a.drafts = append(a.drafts[:i], a.drafts[i+1:]...)
			return
		}
	}
}

func (a *agent) nextVersionNumber() int {
	n := 0
	for _, v := range a.versions {
		n = max(n, v.number)
	}
	return n + 1
}

// Security check statuses.
const (
	checkPassed  = "passed"
	checkFailed  = "failed"
	checkErrored = "errored"
	checkPending = "pending"
	checkQueued  = "queued"
)

// checkPlan is the outcome a check will reach once its delay has elapsed.
type checkPlan struct {
	status, reason string
}

// checkState is computed lazily against the clock: no goroutines, no timers.
type checkState struct {
	triggeredAt time.Time
	delay       time.Duration
	plan        checkPlan
	// override, set by SetCheck, wins over the plan from overrideAt on.
	override   *checkPlan
	overrideAt time.Time
}

// checkView is a check as seen at one instant.
type checkView struct {
	status, reason string
	triggeredAt    time.Time
	completedAt    time.Time
}

func (c checkState) at(now time.Time) checkView {
	v := checkView{triggeredAt: c.triggeredAt}
	if c.override != nil {
		v.status, v.reason = c.override.status, c.override.reason
		if isFinal(v.status) {
			v.completedAt = c.overrideAt
		}
		return v
	}
	done := c.triggeredAt.Add(c.delay)
	if now.Before(done) {
		v.status = checkPending
		return v
	}
	v.status, v.reason, v.completedAt = c.plan.status, c.plan.reason, done
	return v
}

func isFinal(status string) bool {
	return status == checkPassed || status == checkFailed || status == checkErrored
}

func validCheckStatus(status string) bool {
	return isFinal(status) || status == checkPending || status == checkQueued
}
