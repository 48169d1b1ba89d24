package atomsim

import (
	"net/http"
	"slices"
	"time"
)

// revisionOn resolves the {r} of a /branches/{b}/revisions/{r} path. A
// revision of another branch is notOnBranch's answer: 400 on reads, 404 on
// restore.
func (s *Simulator) revisionOn(rq *request, notOnBranch func() *apiError) (*agent, *branch, *version, *apiError) {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return nil, nil, nil, e
	}
	id := rq.param(2)
	if !isObjectID(id) {
		return nil, nil, nil, newErr(http.StatusBadRequest, "Invalid revision id")
	}
	v := a.version(id)
	if v == nil {
		return nil, nil, nil, errRevisionNotFound()
	}
	if v.branchID != b.id {
		return nil, nil, nil, notOnBranch()
	}
	return a, b, v, nil
}

func errNotOnBranch() *apiError {
	return newErr(http.StatusBadRequest, "Revision does not belong to this branch")
}

// listRevisions is GET /agent/{id}/branches/{b}/revisions?limit&skip: the
// committed revisions, newest first, and their total.
func (s *Simulator) listRevisions(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	limit, e := intParam(rq, "limit", 20, 1, 100)
	if e != nil {
		return errResponse(e)
	}
	skip, e := intParam(rq, "skip", 0, 0, 1<<30)
	if e != nil {
		return errResponse(e)
	}
	var rows []revisionDTO
	if s.listScanning && b.scanning() {
		rows = append(rows, a.draftRowDTO(b, b.draft))
	}
	revs := a.branchRevisions(b)
	for _, v := range slices.Backward(revs) {
		rows = append(rows, a.revisionDTO(v, rq.now))
	}
	page := []revisionDTO{}
	if skip < len(rows) {
		page = rows[skip:min(skip+limit, len(rows))]
	}
	return okResponse(http.StatusOK, map[string]any{"revisions": page, "total": len(rows)})
}

// getRevision is GET …/revisions/{r}: the revision and its config keyed by
// section (tools under workflow_tools.tools).
func (s *Simulator) getRevision(rq *request) *response {
	a, _, v, e := s.revisionOn(rq, errNotOnBranch)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, map[string]any{
		"revision":       a.revisionDTO(v, rq.now),
		"resolvedConfig": sectionedIn(branchSectionNames(), v.config),
	})
}

// revisionHistory is GET …/revisions/{r}/history: the revision, who
// published it and the edits of the draft it came from (none for a restore
// or a migrated v1 version).
func (s *Simulator) revisionHistory(rq *request) *response {
	a, b, v, e := s.revisionOn(rq, errNotOnBranch)
	if e != nil {
		return errResponse(e)
	}
	trail := make([]branchEditDTO, 0, len(v.trail))
	for _, ed := range v.trail {
		// A branch draft is opened by its first edit.
		opened := v.trail[0]
		trail = append(trail, a.editRowDTO(b.id, v.sourceDraftID, v.sourceVersionID, opened.editor, opened.at, ed))
	}
	return okResponse(http.StatusOK, map[string]any{
		"revision":    a.revisionDTO(v, rq.now),
		"publishedBy": strOrNil(v.publishedBy),
		"trail":       trail,
	})
}

// restoreRevision is POST …/revisions/{r}/restore: 200 {state:"committed",
// revision}, a new head copying r. The source was scanned already, so the
// copy passes at once; the draft slot is not touched.
func (s *Simulator) restoreRevision(rq *request) *response {
	a, b, v, e := s.revisionOn(rq, errRevisionNotFound)
	if e != nil {
		return errResponse(e)
	}
	r, e := s.restore(a, b, v, rq.user, rq.now)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, map[string]any{"state": "committed", "revision": a.revisionDTO(r, rq.now)})
}

func (s *Simulator) restore(a *agent, b *branch, src *version, by string, now time.Time) (*version, *apiError) {
	switch st := src.check.at(now).status; {
	case b.status != branchActive:
		return nil, newErr(http.StatusForbidden, "An archived branch cannot be restored to")
	case st == checkFailed || st == checkErrored:
		return nil, newErr(http.StatusForbidden, "This revision failed its security check and cannot be restored")
	case src.id == b.headID:
		// Production answers this no-op with a 409 that has no error_type.
		return nil, newErr(http.StatusConflict, "This revision is already the head of the branch")
	case b.scanning():
		return nil, errPublishInProgress()
	}
	r := s.newRevision(a, b, src.config, src.blocks, by, now)
	r.restoredFromID, r.restoredFromLabel = src.id, src.label
	r.sourceVersionID = src.id
	return r, nil
}
