package atomsim

import (
	"maps"
	"time"
)

// versionDTO is the AgentVersion record shared by published versions and
// draft revisions. Nullable fields are pointers and render as null, as a
// Mongo document does; it never carries config fields (a draft's values are
// read through GET /agent/{id}?draftId= or the version's resolvedConfig).
type versionDTO struct {
	ID              string            `json:"_id"`
	Agent           string            `json:"agent"`
	Status          string            `json:"status"`
	VersionNumber   *int              `json:"versionNumber"`
	Label           *string           `json:"label"`
	Description     *string           `json:"description"`
	IsPinned        bool              `json:"isPinned"`
	PublishedBy     *string           `json:"publishedBy"`
	PublishedAt     jsTime            `json:"publishedAt"`
	ActivatedBy     *string           `json:"activatedBy"`
	ActivatedAt     jsTime            `json:"activatedAt"`
	DraftID         *string           `json:"draftId"`
	DraftName       *string           `json:"draftName"`
	DraftRevision   *int              `json:"draftRevision"`
	SourceVersionID *string           `json:"sourceVersionId"`
	SourceDraftID   *string           `json:"sourceDraftId"`
	ParentVersion   *string           `json:"parentVersion"`
	Blocks          map[string]string `json:"blocks"`
	WorkflowType    string            `json:"workflowType"`
	IsActive        bool              `json:"isActive"`
	SecurityCheck   *checkDTO         `json:"securityCheck"`
	CreatedBy       string            `json:"createdBy"`
	CreatedAt       jsTime            `json:"createdAt"`
	UpdatedAt       jsTime            `json:"updatedAt"`
}

type checkDTO struct {
	Status      string  `json:"status"`
	Reason      *string `json:"reason"`
	TriggeredAt jsTime  `json:"triggeredAt"`
	CompletedAt jsTime  `json:"completedAt"`
}

// versionListItem is an item of GET /versions: the record plus display names.
type versionListItem struct {
	versionDTO
	PublishedByName *string `json:"publishedByName"`
	ActivatedByName *string `json:"activatedByName"`
}

// draftListItem is an item of GET /drafts: the record plus its last editor.
type draftListItem struct {
	versionDTO
	LastEditorName *string `json:"lastEditorName"`
}

func (a *agent) versionDTO(v *version, now time.Time) versionDTO {
	ch := v.check.at(now)
	return versionDTO{
		ID:              v.id,
		Agent:           a.id,
		Status:          "published",
		VersionNumber:   intOrNil(v.number),
		Label:           strOrNil(v.label),
		Description:     strOrNil(v.descr),
		IsPinned:        v.isPinned,
		PublishedBy:     strOrNil(v.publishedBy),
		PublishedAt:     jsTime(v.publishedAt),
		ActivatedBy:     strOrNil(v.activatedBy),
		ActivatedAt:     jsTime(v.activatedAt),
		DraftName:       strOrNil(v.draftName),
		SourceVersionID: strOrNil(v.sourceVersionID),
		SourceDraftID:   strOrNil(v.sourceDraftID),
		ParentVersion:   strOrNil(v.sourceVersionID),
		Blocks:          maps.Clone(v.blocks),
		WorkflowType:    a.workflowType,
		IsActive:        a.activeVersionID == v.id,
		SecurityCheck: &checkDTO{
			Status:      ch.status,
			Reason:      strOrNil(ch.reason),
			TriggeredAt: jsTime(ch.triggeredAt),
			CompletedAt: jsTime(ch.completedAt),
		},
		CreatedBy: v.createdBy,
		CreatedAt: jsTime(v.createdAt),
		UpdatedAt: jsTime(v.updatedAt),
	}
}

func (a *agent) draftDTO(d *draft) versionDTO {
	rev := d.revision
	return versionDTO{
		ID:              d.recordID,
		Agent:           a.id,
		Status:          "draft",
		DraftID:         &d.draftID,
		DraftName:       strOrNil(d.name),
		DraftRevision:   &rev,
		SourceVersionID: strOrNil(d.sourceVersionID),
		SourceDraftID:   strOrNil(d.sourceDraftID),
		ParentVersion:   strOrNil(d.sourceVersionID),
		Blocks:          maps.Clone(d.blocks),
		WorkflowType:    a.workflowType,
		CreatedBy:       d.createdBy,
		CreatedAt:       jsTime(d.createdAt),
		UpdatedAt:       jsTime(d.updatedAt),
	}
}

// DTOs share maps with the stored configs: responses are encoded before the
// lock is released, so nothing can change underneath them.

// agentDTO renders the agent document. active is the version reads show as
// active; cfg is the config _resolvedConfig is built from (the active
// version's unless a draft or version was asked for); withResolved is false
// for list items, which never carry it.
func (s *Simulator) agentDTO(a *agent, active *version, cfg map[string]any, withResolved bool) map[string]any {
	out := map[string]any{}
	activeID := ""
	if active != nil {
		activeID = active.id
		// Top-level config fields mirror the active version, whatever was asked for.
		maps.Copy(out, mirrored(active.config))
	}
	maps.Copy(out, map[string]any{
		"_id":               a.id,
		"name":              a.name,
		"description":       a.description,
		"organization":      s.org,
		"workflowId":        a.workflowID,
		"workflowType":      a.workflowType,
		"createdBy":         a.createdBy,
		"createdAt":         jsTime(a.createdAt),
		"updatedAt":         jsTime(a.updatedAt),
		"totalCalls":        a.totalCalls,
		"archived":          a.archived,
		"archivedAt":        jsTime(a.archivedAt),
		"visibleToEveryone": a.visibleToAll,
		"allowInboundCall":  a.allowInbound,
		"activeVersionId":   strOrNil(activeID),
		"versionId":         strOrNil(activeID),
	})
	if withResolved && cfg != nil {
		out["_resolvedConfig"] = flatResolved(cfg)
	}
	return out
}
