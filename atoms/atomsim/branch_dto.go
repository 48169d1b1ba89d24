package atomsim

import (
	"maps"
	"time"
)

// branchDTO is the Branch document.
type branchDTO struct {
	ID               string  `json:"_id"`
	Agent            string  `json:"agent"`
	Name             string  `json:"name"`
	IsDefault        bool    `json:"isDefault"`
	SourceBranchID   *string `json:"sourceBranchId"`
	SourceRevisionID *string `json:"sourceRevisionId"`
	HeadRevisionID   *string `json:"headRevisionId"`
	OpenDraftID      *string `json:"openDraftId"`
	Status           string  `json:"status"`
	CreatedBy        string  `json:"createdBy"`
	UpdatedBy        string  `json:"updatedBy"`
	CreatedAt        jsTime  `json:"createdAt"`
	UpdatedAt        jsTime  `json:"updatedAt"`
}

// summaryDTO is a BranchSummary: the branch plus what is computed about it.
type summaryDTO struct {
	Branch             branchDTO `json:"branch"`
	IsLive             bool      `json:"isLive"`
	HasOpenDraft       bool      `json:"hasOpenDraft"`
	RevisionsCount     int       `json:"revisionsCount"`
	HeadRevisionNumber *int      `json:"headRevisionNumber"`
	CreatedByName      *string   `json:"createdByName"`
	UpdatedByName      *string   `json:"updatedByName"`
}

// revisionDTO is the Revision (AgentVersion) document of the branch model:
// a committed revision or a draft row. Fields that do not apply are null.
type revisionDTO struct {
	ID                     string            `json:"_id"`
	Agent                  string            `json:"agent"`
	Status                 string            `json:"status"`
	Branch                 *string           `json:"branch"`
	RevisionNumber         *int              `json:"revisionNumber"`
	VersionNumber          *int              `json:"versionNumber"`
	Label                  *string           `json:"label"`
	Description            *string           `json:"description"`
	IsPinned               bool              `json:"isPinned"`
	PublishedBy            *string           `json:"publishedBy"`
	PublishedAt            jsTime            `json:"publishedAt"`
	PublishedByName        *string           `json:"publishedByName"`
	RestoredFromRevisionID *string           `json:"restoredFromRevisionId"`
	RestoredFromLabel      *string           `json:"restoredFromLabel"`
	DraftID                *string           `json:"draftId"`
	DraftName              *string           `json:"draftName"`
	DraftRevision          *int              `json:"draftRevision"`
	SourceVersionID        *string           `json:"sourceVersionId"`
	SourceDraftID          *string           `json:"sourceDraftId"`
	Blocks                 map[string]string `json:"blocks"`
	WorkflowType           string            `json:"workflowType"`
	ParentVersion          *string           `json:"parentVersion"`
	IsActive               bool              `json:"isActive"`
	ActivatedBy            *string           `json:"activatedBy"`
	ActivatedAt            jsTime            `json:"activatedAt"`
	SecurityCheck          *checkDTO         `json:"securityCheck"`
	PendingPublish         *pendingDTO       `json:"pendingPublish"`
	CreatedBy              string            `json:"createdBy"`
	CreatedAt              jsTime            `json:"createdAt"`
	UpdatedAt              jsTime            `json:"updatedAt"`
}

type pendingDTO struct {
	State     string `json:"state"`
	StartedBy string `json:"startedBy"`
	StartedAt jsTime `json:"startedAt"`
}

// branchEditDTO is an entry of DraftDetail.editHistory and of a revision's
// trail: unlike v1's, its revision is the draft row as of that edit.
type branchEditDTO struct {
	Revision        revisionDTO `json:"revision"`
	ChangedSections []string    `json:"changedSections"`
	EditorName      *string     `json:"editorName"`
}

func intOrNil(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func checkToDTO(c checkView) *checkDTO {
	return &checkDTO{
		Status:      c.status,
		Reason:      strOrNil(c.reason),
		TriggeredAt: jsTime(c.triggeredAt),
		CompletedAt: jsTime(c.completedAt),
	}
}

func (a *agent) branchDTO(b *branch, head string) branchDTO {
	out := branchDTO{
		ID:               b.id,
		Agent:            a.id,
		Name:             b.name,
		IsDefault:        b.isDefault,
		SourceBranchID:   strOrNil(b.sourceBranchID),
		SourceRevisionID: strOrNil(b.sourceRevisionID),
		HeadRevisionID:   strOrNil(head),
		Status:           b.status,
		CreatedBy:        b.createdBy,
		UpdatedBy:        b.updatedBy,
		CreatedAt:        jsTime(b.createdAt),
		UpdatedAt:        jsTime(b.updatedAt),
	}
	if b.draft != nil {
		out.OpenDraftID = &b.draft.draftID
	}
	return out
}

// summary renders a BranchSummary as the view v shows it.
func (a *agent) summary(b *branch, v liveView) summaryDTO {
	head := v.head(b)
	var number *int
	if r := a.version(head); r != nil {
		number = &r.revisionNumber
	}
	return summaryDTO{
		Branch:             a.branchDTO(b, head),
		IsLive:             b.status == branchActive && v.live == b.id,
		HasOpenDraft:       b.draft != nil,
		RevisionsCount:     v.count(a, b),
		HeadRevisionNumber: number,
		CreatedByName:      strOrNil(b.createdBy),
		UpdatedByName:      strOrNil(b.updatedBy),
	}
}

// revisionDTO renders a committed revision (or a legacy v1 version).
func (a *agent) revisionDTO(v *version, now time.Time) revisionDTO {
	parent := v.parentID
	if parent == "" {
		parent = v.sourceVersionID
	}
	return revisionDTO{
		ID:                     v.id,
		Agent:                  a.id,
		Status:                 "published",
		Branch:                 strOrNil(v.branchID),
		RevisionNumber:         intOrNil(v.revisionNumber),
		VersionNumber:          intOrNil(v.number),
		Label:                  strOrNil(v.label),
		Description:            strOrNil(v.descr),
		IsPinned:               v.isPinned,
		PublishedBy:            strOrNil(v.publishedBy),
		PublishedAt:            jsTime(v.publishedAt),
		PublishedByName:        strOrNil(v.publishedBy),
		RestoredFromRevisionID: strOrNil(v.restoredFromID),
		RestoredFromLabel:      strOrNil(v.restoredFromLabel),
		DraftName:              strOrNil(v.draftName),
		SourceVersionID:        strOrNil(v.sourceVersionID),
		SourceDraftID:          strOrNil(v.sourceDraftID),
		Blocks:                 maps.Clone(v.blocks),
		WorkflowType:           a.workflowType,
		ParentVersion:          strOrNil(parent),
		IsActive:               a.activeVersionID == v.id,
		ActivatedBy:            strOrNil(v.activatedBy),
		ActivatedAt:            jsTime(v.activatedAt),
		SecurityCheck:          checkToDTO(v.check.at(now)),
		CreatedBy:              v.createdBy,
		CreatedAt:              jsTime(v.createdAt),
		UpdatedAt:              jsTime(v.updatedAt),
	}
}

// draftRowDTO renders the open draft's latest row.
func (a *agent) draftRowDTO(b *branch, d *branchDraft) revisionDTO {
	out := a.draftRow(b.id, d.draftID, d.baseID, d.recordID, d.revision, d.blocks, d.createdBy, d.createdAt, d.updatedAt)
	if d.check != nil {
		out.SecurityCheck = checkToDTO(*d.check)
	}
	if p := d.pending; p != nil {
		out.PendingPublish = &pendingDTO{State: p.state, StartedBy: p.startedBy, StartedAt: jsTime(p.startedAt)}
	}
	return out
}

// editRowDTO renders the draft row as it was right after one edit.
func (a *agent) editRowDTO(branchID, draftID, baseID, createdBy string, createdAt time.Time, ed draftEdit) branchEditDTO {
	return branchEditDTO{
		Revision:        a.draftRow(branchID, draftID, baseID, ed.recordID, ed.revision, ed.blocks, createdBy, createdAt, ed.at),
		ChangedSections: append([]string{}, ed.sections...),
		EditorName:      strOrNil(ed.editor),
	}
}

func (a *agent) draftRow(branchID, draftID, baseID, recordID string, rev int, blocks map[string]string,
	createdBy string, createdAt, updatedAt time.Time) revisionDTO {
	return revisionDTO{
		ID:              recordID,
		Agent:           a.id,
		Status:          "draft",
		Branch:          strOrNil(branchID),
		DraftID:         &draftID,
		DraftRevision:   &rev,
		SourceVersionID: strOrNil(baseID),
		ParentVersion:   strOrNil(baseID),
		Blocks:          maps.Clone(blocks),
		WorkflowType:    a.workflowType,
		CreatedBy:       createdBy,
		CreatedAt:       jsTime(createdAt),
		UpdatedAt:       jsTime(updatedAt),
	}
}
