// Package atoms holds the domain types of Smallest AI's Atoms agent API and an
// HTTP client for the agent-versioning lifecycle. It speaks both models: v1
// (drafts, published versions, the security check and activation) and the
// branch model that replaced it (branches, one open draft per branch,
// revisions, make-live), where the v1 writes answer ErrMigrationRequired.
package atoms

import (
	"encoding/json"
	"time"
)

// Agent is the agent document of GET /agent/{id} (and, without the resolved
// config, an item of GET /agent).
type Agent struct {
	ID              string    `json:"_id"`
	Name            string    `json:"name"`
	Description     string    `json:"description,omitempty"`
	WorkflowType    string    `json:"workflowType,omitempty"`
	WorkflowID      string    `json:"workflowId,omitempty"`
	ActiveVersionID string    `json:"activeVersionId,omitempty"`
	Archived        bool      `json:"archived,omitempty"`
	TotalCalls      int       `json:"totalCalls,omitempty"`
	CreatedBy       string    `json:"createdBy,omitempty"`
	CreatedAt       time.Time `json:"createdAt,omitzero"`
	UpdatedAt       time.Time `json:"updatedAt,omitzero"`
	// ResolvedConfig is present once the agent has an active version; with
	// GetAgentOptions.DraftID/VersionID it is that draft's or version's config.
	ResolvedConfig *ResolvedConfig `json:"_resolvedConfig,omitzero"`
	// ConfigSource is "active", "draft" or "version" when a draft or version was asked for.
	ConfigSource string `json:"_configSource,omitempty"`
	Extra        Extra  `json:"-"`
}

func (a Agent) MarshalJSON() ([]byte, error) {
	type plain Agent
	return marshalWithExtra(plain(a), a.Extra)
}

func (a *Agent) UnmarshalJSON(b []byte) error {
	type plain Agent
	return unmarshalWithExtra(b, (*plain)(a), &a.Extra)
}

// Version statuses.
const (
	StatusPublished = "published"
	StatusDraft     = "draft"
	StatusArchived  = "archived"
)

// Version is the AgentVersion record shared by published versions and draft
// revisions. For a draft, DraftID (not ID) names it in /drafts/{draftId} paths;
// ID is the record of one revision.
//
// On the branch model the same record is a branch's Revision: Branch and
// RevisionNumber ("Version N" of that branch) are set and VersionNumber is
// 0, and a v1 version id is its migrated revision id. A committed revision's
// SourceDraftID is the DraftID of the draft it was published from; one made
// by RestoreRevision names its source in RestoredFromRevisionID and
// RestoredFromLabel. Null members decode to zero values, which encode as
// absent (the API rejects null on optional fields).
type Version struct {
	ID                     string            `json:"_id"`
	Agent                  string            `json:"agent,omitempty"`
	Status                 string            `json:"status,omitempty"`
	Branch                 string            `json:"branch,omitempty"`
	RevisionNumber         int               `json:"revisionNumber,omitempty"`
	VersionNumber          int               `json:"versionNumber,omitempty"`
	Label                  string            `json:"label,omitempty"`
	Description            string            `json:"description,omitempty"`
	IsPinned               bool              `json:"isPinned,omitempty"`
	IsActive               bool              `json:"isActive"`
	PublishedBy            string            `json:"publishedBy,omitempty"`
	PublishedByName        string            `json:"publishedByName,omitempty"`
	PublishedAt            time.Time         `json:"publishedAt,omitzero"`
	ActivatedBy            string            `json:"activatedBy,omitempty"`
	ActivatedByName        string            `json:"activatedByName,omitempty"`
	ActivatedAt            time.Time         `json:"activatedAt,omitzero"`
	DraftID                string            `json:"draftId,omitempty"`
	DraftName              string            `json:"draftName,omitempty"`
	DraftRevision          int               `json:"draftRevision,omitempty"`
	SourceVersionID        string            `json:"sourceVersionId,omitempty"`
	SourceDraftID          string            `json:"sourceDraftId,omitempty"`
	RestoredFromRevisionID string            `json:"restoredFromRevisionId,omitempty"`
	RestoredFromLabel      string            `json:"restoredFromLabel,omitempty"`
	PendingPublish         *PendingPublish   `json:"pendingPublish,omitzero"`
	ParentVersion          string            `json:"parentVersion,omitempty"`
	WorkflowType           string            `json:"workflowType,omitempty"`
	Blocks                 map[string]string `json:"blocks,omitzero"`
	SecurityCheck          *SecurityCheck    `json:"securityCheck,omitzero"`
	LastEditorName         string            `json:"lastEditorName,omitempty"`
	CreatedBy              string            `json:"createdBy,omitempty"`
	CreatedAt              time.Time         `json:"createdAt,omitzero"`
	UpdatedAt              time.Time         `json:"updatedAt,omitzero"`
	Extra                  Extra             `json:"-"`
}

func (v Version) MarshalJSON() ([]byte, error) {
	type plain Version
	return marshalWithExtra(plain(v), v.Extra)
}

func (v *Version) UnmarshalJSON(b []byte) error {
	type plain Version
	if err := unmarshalWithExtra(b, (*plain)(v), &v.Extra); err != nil {
		return err
	}
	// v1 answers carried sourceDraftId before Version had a field for it, and
	// code reading it as Extra.String("sourceDraftId") would silently get ""
	// now: keep it there too. Encoding is unchanged (the field wins).
	if v.SourceDraftID != "" {
		if v.Extra == nil {
			v.Extra = make(Extra, 1)
		}
		v.Extra[legacySourceDraftID], _ = json.Marshal(v.SourceDraftID)
	}
	return nil
}

// legacySourceDraftID is the member Version keeps in Extra as well.
const legacySourceDraftID = "sourceDraftId"

// PendingPublish is set on a branch draft's row while a publish is armed
// against it (State PendingActive) or after it was cancelled.
type PendingPublish struct {
	State     string    `json:"state,omitempty"`
	StartedBy string    `json:"startedBy,omitempty"`
	StartedAt time.Time `json:"startedAt,omitzero"`
}

// PendingActive is the PendingPublish state of a publish still scanning.
const PendingActive = "active"

// Draft is a draft's record (status "draft"); its DraftID names it in paths.
type Draft = Version

// Security check statuses seen in the sources. Only "passed" opens the gate;
// "failed" and "errored" are final; anything else means "not yet".
const (
	CheckPassed  = "passed"
	CheckFailed  = "failed"
	CheckErrored = "errored"
	CheckPending = "pending"
	CheckQueued  = "queued"
)

// SecurityCheck is the platform's check of a newly published version. It is
// nil on versions that predate the feature.
type SecurityCheck struct {
	Status      string    `json:"status,omitempty"`
	Reason      string    `json:"reason,omitempty"`
	TriggeredAt time.Time `json:"triggeredAt,omitzero"`
	CompletedAt time.Time `json:"completedAt,omitzero"`
}

// CheckOutcome is what a security check status means for activation.
type CheckOutcome int

const (
	CheckNotYet CheckOutcome = iota // pending, queued, missing or unknown
	CheckOK                         // passed: activation may proceed
	CheckBad                        // failed or errored: the version must not go live
)

// Outcome classifies the check of v. A missing check is "not yet": the
// contract only opens the gate on an explicit "passed".
func (v Version) Outcome() CheckOutcome {
	if v.SecurityCheck == nil {
		return CheckNotYet
	}
	switch v.SecurityCheck.Status {
	case CheckPassed:
		return CheckOK
	case CheckFailed, CheckErrored:
		return CheckBad
	default:
		return CheckNotYet
	}
}

// DraftDetail is GET /agent/{id}/drafts/{draftId}.
type DraftDetail struct {
	Latest      Version            `json:"latest"`
	EditHistory []DraftEditHistory `json:"editHistory,omitzero"`
	EditCount   int                `json:"editCount,omitempty"`
}

// DraftEditHistory is one edit of a draft.
type DraftEditHistory struct {
	Revision        int       `json:"revision"`
	ChangedSections []string  `json:"changedSections,omitzero"`
	EditorName      string    `json:"editorName,omitempty"`
	EditorID        string    `json:"editorId,omitempty"`
	Timestamp       time.Time `json:"timestamp,omitzero"`
}

// VersionDetail is GET /agent/{id}/versions/{versionId}: the version and its
// resolved config keyed by config section (workflow_prompt, voice, …).
type VersionDetail struct {
	Version        Version                    `json:"version"`
	ResolvedConfig map[string]json.RawMessage `json:"resolvedConfig,omitzero"`
}

// AgentList is a page of GET /agent. The live API answers totalCount,
// totalPages and hasMore; the spec's {agents, total} is accepted too.
type AgentList struct {
	Agents          []Agent `json:"agents"`
	TotalCount      int     `json:"totalCount"`
	TotalPages      int     `json:"totalPages"`
	HasMore         bool    `json:"hasMore"`
	IsSearchResults bool    `json:"isSearchResults"`
}

func (l *AgentList) UnmarshalJSON(b []byte) error {
	type plain AgentList
	var w struct {
		plain
		Total *int `json:"total"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = AgentList(w.plain)
	if l.TotalCount == 0 && w.Total != nil {
		l.TotalCount = *w.Total
	}
	return nil
}

// VersionList is a page of GET /agent/{id}/versions, newest first.
type VersionList struct {
	Versions []Version `json:"versions"`
	Total    int       `json:"total"`
}

// Diff is a configuration diff between a draft and a version or between two
// versions. It decodes both shapes the API is documented with: the live
// {unchangedSections, diffs:[{section, changes}]} and the spec's
// {sections:{name:{before, after, changed}}, hasChanges}.
type Diff struct {
	UnchangedSections []string      `json:"unchangedSections,omitzero"`
	Sections          []SectionDiff `json:"diffs"`
}

// SectionDiff lists the changed leaves of one config section.
type SectionDiff struct {
	Section string   `json:"section"`
	Changes []Change `json:"changes"`
}

// Change is one changed value. Path uses camelCase field names with dots and
// [i] indexes (e.g. "prompt", "smartTurnConfig.isEnabled", "tools[0].name").
// Old and New are raw JSON values and may be null.
type Change struct {
	Path string          `json:"path"`
	Old  json.RawMessage `json:"oldValue"`
	New  json.RawMessage `json:"newValue"`
}

// Empty reports whether the diff has no change at all.
func (d Diff) Empty() bool {
	for _, s := range d.Sections {
		if len(s.Changes) > 0 {
			return false
		}
	}
	return true
}

// CreateAgentRequest is the body of POST /agent. Only Name is required.
type CreateAgentRequest struct {
	Name         string    `json:"name"`
	Description  string    `json:"description,omitempty"`
	WorkflowType string    `json:"workflowType,omitempty"`
	Language     *Language `json:"language,omitzero"`
	// Config holds the initial configuration fields; they are sent at the top level.
	Config ConfigPatch `json:"-"`
}

func (r CreateAgentRequest) MarshalJSON() ([]byte, error) {
	type plain CreateAgentRequest
	cfg, err := r.Config.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var extra Extra
	if err := json.Unmarshal(cfg, &extra); err != nil {
		return nil, err
	}
	return marshalWithExtra(plain(r), extra)
}

// CreateDraftRequest is the body of POST /agent/{id}/drafts: at least one source.
type CreateDraftRequest struct {
	SourceVersionID string `json:"sourceVersionId,omitempty"`
	SourceDraftID   string `json:"sourceDraftId,omitempty"`
	DraftName       string `json:"draftName,omitempty"`
}

// PublishRequest is the body of POST .../publish. The API ignores `activate`,
// so the client never sends it: activation is always an explicit call.
type PublishRequest struct {
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
}

// OutboundCallRequest is the body of POST /conversation/outbound.
type OutboundCallRequest struct {
	AgentID       string         `json:"agentId"`
	PhoneNumber   string         `json:"phoneNumber"`
	FromProductID string         `json:"fromProductId,omitempty"`
	VersionID     string         `json:"versionId,omitempty"`
	Variables     map[string]any `json:"variables,omitzero"`
	// Test marks the call log as a test call (header x-test-call: true).
	Test bool `json:"-"`
}
