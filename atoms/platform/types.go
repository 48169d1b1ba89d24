package platform

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// WorkflowGraph is the workflow type of agents driven by a graph; their
// prompt is the global prompt.
const WorkflowGraph = "workflow_graph"

// Agent is a voice agent.
type Agent struct {
	ID           string
	Name         string
	WorkflowType string
	// LiveVersionID is the version serving calls ("" when none).
	LiveVersionID string
	Archived      bool
}

// Version is a published, immutable configuration of an agent.
type Version struct {
	ID string
	// Ref is how a command names it: "v3", or "<branch>/v3" for a version
	// that is not on the live branch.
	Ref    string
	Number int
	// Branch is the name of the branch it belongs to ("" where the platform
	// has no branches).
	Branch string
	Label  string
	Live   bool
	Check  Check
	// PublishedBy and ActivatedBy are display names or ids, as Atoms has them.
	PublishedBy string
	PublishedAt time.Time
	ActivatedBy string
	ActivatedAt time.Time // zero when the platform does not say
	// RestoredFrom names the version this one republished ("" if none).
	RestoredFrom string
}

// VersionRef names a version the way a user typed it: an id, or a number,
// optionally on a named branch.
type VersionRef struct {
	ID     string
	Branch string
	Number int
}

// String is the ref as a user would type it.
func (r VersionRef) String() string {
	switch {
	case r.ID != "":
		return r.ID
	case r.Branch != "":
		return r.Branch + "/v" + strconv.Itoa(r.Number)
	}
	return "v" + strconv.Itoa(r.Number)
}

// VersionQuery selects versions to list.
type VersionQuery struct {
	Branch string // a branch name; "" for the live one
	Limit  int
}

// VersionPage is one page of versions, newest first.
type VersionPage struct {
	Versions []Version
	Total    int
	Branch   string // the branch listed ("" where there are none)
}

// Draft is a place edits go before they are published: an open draft, or on
// a platform with branches, a branch (Open false when it has no draft yet).
type Draft struct {
	// ID names it in commands and calls (a draft id, or the branch's id).
	ID   string
	Name string
	Open bool
	// Revision counts the edits of the open draft.
	Revision int
	// Base is the ref of the version the draft started from.
	Base       string
	BaseID     string
	LastEditor string
	// Live: publishing here would put it in front of callers at once (it
	// sits on the live branch). atomsbot never publishes there directly.
	Live bool
	// Scanning: a publish of it is in its security check.
	Scanning bool
	// Check is the draft's own last security check (a failed scan leaves
	// the draft open with it).
	Check Check
}

// Check is a security check as the platform reports it.
type Check struct {
	Status string
	Reason string
}

// Outcome is what a check means for going live.
type Outcome int

const (
	// CheckNotYet: pending, queued, missing or unknown.
	CheckNotYet Outcome = iota
	// CheckPassed opens the gate.
	CheckPassed
	// CheckFailed: failed or errored; the version must not go live.
	CheckFailed
)

// Outcome classifies the check. Statuses are matched without regard to case
// (the platform's own prose writes "FAILED"); only an explicit pass opens the
// gate.
func (c Check) Outcome() Outcome {
	switch strings.ToLower(c.Status) {
	case "passed":
		return CheckPassed
	case "failed", "errored":
		return CheckFailed
	}
	return CheckNotYet
}

// Diff is what changes between two configurations, per config section.
type Diff struct {
	Unchanged []string
	Sections  []SectionDiff
}

// SectionDiff lists the changed values of one section.
type SectionDiff struct {
	Section string
	Changes []Change
}

// Change is one changed value: Path in camelCase with dots and [i] indexes,
// Old and New raw JSON (possibly null).
type Change struct {
	Path string
	Old  json.RawMessage
	New  json.RawMessage
}

// Empty reports whether nothing changes.
func (d Diff) Empty() bool {
	for _, s := range d.Sections {
		if len(s.Changes) > 0 {
			return false
		}
	}
	return true
}

// Fields of a draft that the edit form shows (also its block ids).
const (
	FieldPrompt       = "prompt"
	FieldFirstMessage = "firstMessage"
	FieldVoiceID      = "voiceId"
	FieldModel        = "slmModel"
)

// Editable is what the edit form is filled from.
type Editable struct {
	// Draft is what the form edits; an empty ID means nothing exists yet
	// and saving creates a draft of the user's own.
	Draft        Draft
	WorkflowType string
	Values       map[string]string // by Field*
	// Basis is the adapter's record of what the values were read from;
	// give it back in SaveRequest so a save can tell what changed since.
	Basis string
}

// SaveRequest writes the changed fields of a form.
type SaveRequest struct {
	AgentID string
	// DraftID "" creates a draft (named NewName) from the version the form
	// was read from: the live one, or the one EditVersion read.
	DraftID string
	NewName string
	Basis   string // Editable.Basis
	// Changes may be empty only for a form EditVersion read: the draft is
	// then that version as it was.
	Changes map[string]string
}

// Release is one promotion's journey to live as the platform tracks it. The
// engine persists every field and hands it back at the next step.
type Release struct {
	Model   Model
	AgentID string
	// ID is the promotion's id: it names what the platform creates for the
	// release, so a retry finds it.
	ID      string
	DraftID string // the draft promoted ("" for a rollback)
	Label   string
	// Base is the live version the release was compared against when it
	// was requested; activation requires it still to be live.
	Base string
	// Key is what approvals bind to: the content the approvers were shown.
	// It is set at publishing (or preparing a rollback) and never changes.
	Key string
	// VersionID is the version that goes live, "" until the platform names
	// it. Activation may change it (a rollback restored as a new version).
	VersionID   string
	Ref         string
	Number      int
	Check       Check
	PublishedAt time.Time
	// Token is the adapter's own state (opaque to everyone else).
	Token string
}

// CallRequest names what a test call plays: one target, or none for the
// live version.
type CallRequest struct {
	AgentID   string
	Release   *Release // a promotion's release: what its approvers are shown
	DraftID   string   // an open draft
	VersionID string   // a published version
	Phone     string   // E.164
}

// Call is a test call that was placed.
type Call struct {
	ConversationID string
}
