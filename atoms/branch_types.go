package atoms

import (
	"bytes"
	"cmp"
	"encoding/json"
	"time"
)

// Branch statuses.
const (
	BranchActive   = "active"
	BranchArchived = "archived"
)

// Branch is an editable line of an agent's configuration on the branch model.
// Exactly one branch per agent is live: production serves its head revision.
// Every agent has a default branch, Main. The nullable ids (no source for
// Main, no head before the first commit, no open draft) decode to "".
type Branch struct {
	ID               string    `json:"_id"`
	Agent            string    `json:"agent,omitempty"`
	Name             string    `json:"name"`
	IsDefault        bool      `json:"isDefault"`
	SourceBranchID   string    `json:"sourceBranchId,omitempty"`
	SourceRevisionID string    `json:"sourceRevisionId,omitempty"`
	HeadRevisionID   string    `json:"headRevisionId,omitempty"`
	OpenDraftID      string    `json:"openDraftId,omitempty"`
	Status           string    `json:"status,omitempty"`
	CreatedBy        string    `json:"createdBy,omitempty"`
	UpdatedBy        string    `json:"updatedBy,omitempty"`
	CreatedAt        time.Time `json:"createdAt,omitzero"`
	UpdatedAt        time.Time `json:"updatedAt,omitzero"`
	Extra            Extra     `json:"-"`
}

func (b Branch) MarshalJSON() ([]byte, error) {
	type plain Branch
	return marshalWithExtra(plain(b), b.Extra)
}

func (b *Branch) UnmarshalJSON(data []byte) error {
	type plain Branch
	return unmarshalWithExtra(data, (*plain)(b), &b.Extra)
}

// BranchSummary is a branch with the facts the API computes for it. The
// ids (Branch.ID, Branch.HeadRevisionID, …) are on the inner Branch.
// HeadRevisionNumber is 0 while the branch has no committed revision.
type BranchSummary struct {
	Branch             Branch `json:"branch"`
	IsLive             bool   `json:"isLive"`
	HasOpenDraft       bool   `json:"hasOpenDraft"`
	RevisionsCount     int    `json:"revisionsCount"`
	HeadRevisionNumber int    `json:"headRevisionNumber,omitempty"`
	CreatedByName      string `json:"createdByName,omitempty"`
	UpdatedByName      string `json:"updatedByName,omitempty"`
	Extra              Extra  `json:"-"`
}

func (s BranchSummary) MarshalJSON() ([]byte, error) {
	type plain BranchSummary
	return marshalWithExtra(plain(s), s.Extra)
}

func (s *BranchSummary) UnmarshalJSON(data []byte) error {
	type plain BranchSummary
	return unmarshalWithExtra(data, (*plain)(s), &s.Extra)
}

// BranchDraft is the open draft of a branch: its current row (status
// "draft", with DraftID and DraftRevision, the concurrency token of
// DraftEdit.ExpectedRevision) and its edits.
type BranchDraft struct {
	Latest      Version           `json:"latest"`
	EditCount   int               `json:"editCount,omitempty"`
	EditHistory []BranchDraftEdit `json:"editHistory,omitzero"`
}

// BranchDraftEdit is one edit of a branch draft: the row it produced and the
// config sections it changed.
type BranchDraftEdit struct {
	Revision        Version  `json:"revision"`
	ChangedSections []string `json:"changedSections,omitzero"`
	EditorName      string   `json:"editorName,omitempty"`
}

// UnmarshalJSON also takes the v1 shape, where revision is the bare draft
// revision number, into Revision.DraftRevision: both shapes exist for the
// same member name, and a read must not fail on the older one.
func (e *BranchDraftEdit) UnmarshalJSON(data []byte) error {
	type plain BranchDraftEdit
	var w struct {
		plain
		Revision json.RawMessage `json:"revision"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*e = BranchDraftEdit(w.plain)
	rev := bytes.TrimSpace(w.Revision)
	switch {
	case isNull(rev):
		return nil
	case rev[0] == '{':
		return json.Unmarshal(rev, &e.Revision)
	default:
		return json.Unmarshal(rev, &e.Revision.DraftRevision)
	}
}

// Publish states: a publish either committed a revision at once or started
// the security scan, which commits it later if it passes.
const (
	PublishCommitted = "committed"
	PublishScanning  = "scanning"
)

// PublishResult is the answer of a publish or a restore. Revision is the new
// head revision when State is PublishCommitted and nil otherwise.
type PublishResult struct {
	State    string   `json:"state"`
	Revision *Version `json:"revision,omitzero"`
}

// RevisionList is a page of a branch's committed revisions, newest first.
type RevisionList struct {
	Revisions []Version `json:"revisions"`
	Total     int       `json:"total"`
}

// RevisionDetail is a revision with its resolved config keyed by config
// section (workflow_prompt, workflow_tools, voice, …).
type RevisionDetail struct {
	Revision       Version                    `json:"revision"`
	ResolvedConfig map[string]json.RawMessage `json:"resolvedConfig,omitzero"`
}

// RevisionHistory is a revision, who published it and the draft edits that
// led to it.
type RevisionHistory struct {
	Revision    Version              `json:"revision"`
	PublishedBy string               `json:"publishedBy,omitempty"`
	Trail       []RevisionTrailEntry `json:"trail,omitzero"`
}

// UnmarshalJSON also takes publishedBy as a user object (its name, else its
// _id): the member's type is not documented, and a read must not fail on it.
func (h *RevisionHistory) UnmarshalJSON(data []byte) error {
	type plain RevisionHistory
	var w struct {
		plain
		PublishedBy json.RawMessage `json:"publishedBy"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*h = RevisionHistory(w.plain)
	h.PublishedBy = jsonString(w.PublishedBy)
	if h.PublishedBy == "" && len(w.PublishedBy) > 0 && w.PublishedBy[0] == '{' {
		var u struct {
			Name string `json:"name"`
			ID   string `json:"_id"`
		}
		if json.Unmarshal(w.PublishedBy, &u) == nil {
			h.PublishedBy = cmp.Or(u.Name, u.ID)
		}
	}
	return nil
}

// RevisionTrailEntry is one edit in a revision's history.
type RevisionTrailEntry struct {
	Revision        Version  `json:"revision"`
	ChangedSections []string `json:"changedSections,omitzero"`
}
