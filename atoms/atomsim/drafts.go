package atomsim

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// draftFor resolves the agent and draft of a /agent/{id}/drafts/{draftId} path.
func (s *Simulator) draftFor(rq *request) (*agent, *draft, *apiError) {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return nil, nil, e
	}
	d := a.draft(rq.param(1))
	if d == nil {
		return nil, nil, errDraftNotFound()
	}
	return a, d, nil
}

// forkDraft is POST /agent/{id}/drafts: 201 with the draft record. A fork
// starts at draftRevision 0 and shares its source's blocks (they name
// immutable section documents); edits rotate them.
func (s *Simulator) forkDraft(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	srcVersion, _ := body["sourceVersionId"].(string)
	srcDraft, _ := body["sourceDraftId"].(string)
	if srcVersion == "" && srcDraft == "" {
		return errResponse(newErr(http.StatusBadRequest, "Either sourceVersionId or sourceDraftId is required"))
	}
	name, _ := body["draftName"].(string)
	if n := utf8.RuneCountInString(name); n > maxDraftName || (body["draftName"] != nil && n == 0) {
		return errResponse(invalid("draftName: String must contain between 1 and %d character(s)", maxDraftName))
	}
	d, e := s.fork(a, srcVersion, srcDraft, name, rq.user, rq.now)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusCreated, a.draftDTO(d))
}

// fork creates a draft from a published version or from another draft (the
// draft wins when both are given; the version is still recorded as source).
func (s *Simulator) fork(a *agent, srcVersion, srcDraft, name, by string, now time.Time) (*draft, *apiError) {
	d := &draft{
		draftID:   s.ids.uuid(),
		recordID:  s.ids.objectID(now),
		name:      name,
		createdBy: by,
		createdAt: now,
		updatedAt: now,
	}
	if srcVersion != "" && !isObjectID(srcVersion) {
		return nil, invalid("sourceVersionId: Invalid ObjectId")
	}
	switch {
	case srcDraft != "":
		src := a.draft(srcDraft)
		if src == nil {
			return nil, errDraftNotFound()
		}
		if srcVersion != "" && a.version(srcVersion) == nil {
			return nil, errVersionNotFound()
		}
		d.sourceDraftID, d.sourceVersionID = src.draftID, cmpOr(srcVersion, src.sourceVersionID)
		d.blocks, d.config = maps.Clone(src.blocks), copyConfig(src.config)
		d.name = cmpOr(d.name, "Copy of "+src.name)
	default:
		v := a.version(srcVersion)
		if v == nil {
			return nil, errVersionNotFound()
		}
		d.sourceVersionID = v.id
		d.blocks, d.config = maps.Clone(v.blocks), copyConfig(v.config)
		d.name = cmpOr(d.name, fmt.Sprintf("Draft from v%d", v.number))
	}
	a.drafts = append(a.drafts, d)
	return d, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// listDrafts is GET /agent/{id}/drafts: a bare array, no pagination.
func (s *Simulator) listDrafts(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	out := make([]draftListItem, 0, len(a.drafts))
	for _, d := range a.drafts {
		out = append(out, draftListItem{versionDTO: a.draftDTO(d), LastEditorName: strOrNil(d.lastEditor())})
	}
	return okResponse(http.StatusOK, out)
}

type editDTO struct {
	Revision        int      `json:"revision"`
	ChangedSections []string `json:"changedSections"`
	EditorName      *string  `json:"editorName"`
	EditorID        *string  `json:"editorId"`
	Timestamp       jsTime   `json:"timestamp"`
}

// getDraft is GET /agent/{id}/drafts/{draftId}?limit=: the latest record
// and the edit history, newest first (limit applies to the history only).
func (s *Simulator) getDraft(rq *request) *response {
	a, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	limit, e := intParam(rq, "limit", 50, 1, 100)
	if e != nil {
		return errResponse(e)
	}
	hist := make([]editDTO, 0, min(limit, len(d.history)))
	for i := len(d.history) - 1; i >= 0 && len(hist) < limit; i-- {
		h := d.history[i]
		hist = append(hist, editDTO{
			Revision:        h.revision,
			ChangedSections: append([]string{}, h.changedSections...),
			EditorName:      strOrNil(h.editor),
			EditorID:        strOrNil(h.editor),
			Timestamp:       jsTime(h.at),
		})
	}
	return okResponse(http.StatusOK, map[string]any{
		"latest":      a.draftDTO(d),
		"editHistory": hist,
		"editCount":   len(d.history),
	})
}

// renameDraft is PATCH /agent/{id}/drafts/{draftId} {draftName}.
func (s *Simulator) renameDraft(rq *request) *response {
	_, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	name, ok := body["draftName"].(string)
	if !ok {
		return errResponse(invalid("draftName: Required"))
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(name)); n == 0 || n > maxDraftName {
		return errResponse(invalid("draftName: String must contain between 1 and %d character(s)", maxDraftName))
	}
	d.name, d.updatedAt = name, rq.now
	return okResponse(http.StatusOK, map[string]string{"draftName": name})
}

// discardDraft is DELETE /agent/{id}/drafts/{draftId}: data null.
func (s *Simulator) discardDraft(rq *request) *response {
	a, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	a.removeDraft(d.draftID)
	return okResponse(http.StatusOK, nil)
}

// patchDraftConfig is PATCH /agent/{id}/drafts/{draftId}/config. Objects are
// deep-merged, arrays replaced, the revision counter goes up, the touched
// sections get new block ids, and the answer is the new record: the fields
// that were sent are not echoed (the lifecycle guide's pitfall).
func (s *Simulator) patchDraftConfig(rq *request) *response {
	a, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	cfg := configFields(body)
	if len(cfg) == 0 {
		return errResponse(newErr(http.StatusBadRequest, "No recognized config fields in request body"))
	}
	if e := validateConfig(cfg); e != nil {
		return errResponse(e)
	}
	s.applyEdit(d, cfg, rq.user, rq.now)
	return okResponse(http.StatusOK, a.draftDTO(d))
}

// applyEdit records one revision of a draft.
func (s *Simulator) applyEdit(d *draft, cfg map[string]any, editor string, now time.Time) {
	deepMerge(d.config, cfg)
	sections := touchedSections(cfg)
	for _, sec := range sections {
		d.blocks[sec] = s.ids.objectID(now)
	}
	d.revision++
	d.recordID = s.ids.objectID(now)
	d.updatedAt = now
	d.history = append(d.history, editEntry{revision: d.revision, changedSections: sections, editor: editor, at: now})
}
