package atomsim

import (
	"net/http"
	"strings"
)

// maxDiffRef is the spec's maxLength of a diff ref.
const maxDiffRef = 64

// diffRefs is GET /agent/{id}/diff?a=&b=: a is the base (oldValue), b the
// target (newValue); each is a revision id of this agent, on any branch, or
// "<branchId>:draft" for that branch's open draft. Same per-section leaf
// diff as v1, over the branch model's sections.
func (s *Simulator) diffRefs(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	refA, refB := rq.query.Get("a"), rq.query.Get("b")
	if refA == "" || refB == "" {
		return errResponse(invalid("a and b are required"))
	}
	cfgA, e := a.configByRef(refA)
	if e != nil {
		return errResponse(e)
	}
	cfgB, e := a.configByRef(refB)
	if e != nil {
		return errResponse(e)
	}
	return s.renderDiffIn(branchSectionNames(), cfgA, cfgB)
}

func (a *agent) configByRef(ref string) (map[string]any, *apiError) {
	if len(ref) > maxDiffRef {
		return nil, invalid("Diff ref must contain at most %d character(s)", maxDiffRef)
	}
	if branchID, ok := strings.CutSuffix(ref, ":draft"); ok {
		if !isObjectID(branchID) {
			return nil, newErr(http.StatusBadRequest, "Invalid branch id")
		}
		b := a.branch(branchID)
		if b == nil {
			return nil, errBranchNotFound()
		}
		if b.draft == nil {
			return nil, errNoOpenDraft()
		}
		return b.draft.config, nil
	}
	if !isObjectID(ref) {
		return nil, invalid("Diff ref must be a revision id or <branchId>:draft")
	}
	v := a.version(ref)
	if v == nil {
		return nil, errRevisionNotFound()
	}
	return v.config, nil
}
