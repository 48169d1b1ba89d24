package atomsim

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// versionFor resolves the agent and published version of a
// /agent/{id}/versions/{versionId} path.
func (s *Simulator) versionFor(rq *request) (*agent, *version, *apiError) {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return nil, nil, e
	}
	id := rq.param(1)
	if !isObjectID(id) {
		return nil, nil, newErr(http.StatusBadRequest, "Invalid version id")
	}
	v := a.version(id)
	if v == nil {
		return nil, nil, errVersionNotFound()
	}
	return a, v, nil
}

// listVersions is GET /agent/{id}/versions?limit&skip&isPinned: newest
// first; total counts every published version even when isPinned filters.
func (s *Simulator) listVersions(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
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
	var pinned *bool
	if raw := rq.query.Get("isPinned"); raw != "" {
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return errResponse(invalid("isPinned: Expected boolean, received string"))
		}
		pinned = &b
	}
	items := []versionListItem{}
	seen := 0
	for i := len(a.versions) - 1; i >= 0 && len(items) < limit; i-- {
		v := a.versions[i]
		if pinned != nil && v.isPinned != *pinned {
			continue
		}
		if seen++; seen <= skip {
			continue
		}
		items = append(items, versionListItem{
			versionDTO:      a.versionDTO(v, rq.now),
			PublishedByName: strOrNil(v.publishedBy),
			ActivatedByName: strOrNil(v.activatedBy),
		})
	}
	return okResponse(http.StatusOK, map[string]any{"versions": items, "total": len(a.versions)})
}

// getVersion is GET /agent/{id}/versions/{versionId}: the record and its
// config keyed by section. Poll it for securityCheck.status.
func (s *Simulator) getVersion(rq *request) *response {
	a, v, e := s.versionFor(rq)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, map[string]any{
		"version":        a.versionDTO(v, rq.now),
		"resolvedConfig": sectionedConfig(v.config),
	})
}

// patchVersion is PATCH /agent/{id}/versions/{versionId}: label,
// description and isPinned only, at least one of them.
func (s *Simulator) patchVersion(rq *request) *response {
	a, v, e := s.versionFor(rq)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	_, hasLabel := body["label"]
	_, hasDescr := body["description"]
	pin, hasPin := body["isPinned"]
	if !hasLabel && !hasDescr && !hasPin {
		return errResponse(invalid("At least one of label, description or isPinned is required"))
	}
	label, e := optString(body, "label", maxLabel)
	if e != nil {
		return errResponse(e)
	}
	descr, e := optString(body, "description", maxDescription)
	if e != nil {
		return errResponse(e)
	}
	if hasPin {
		b, ok := pin.(bool)
		if !ok {
			return errResponse(invalid("isPinned: Expected boolean, received %s", kindOf(pin)))
		}
		v.isPinned = b
	}
	if hasLabel {
		v.label = label
	}
	if hasDescr {
		v.descr = descr
	}
	v.updatedAt = rq.now
	return okResponse(http.StatusOK, a.versionDTO(v, rq.now))
}

// activateVersion is PATCH /agent/{id}/versions/{versionId}/activate.
func (s *Simulator) activateVersion(rq *request) *response {
	a, v, e := s.versionFor(rq)
	if e != nil {
		return errResponse(e)
	}
	if e := activate(a, v, rq.user, rq.now); e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, a.versionDTO(v, rq.now))
}

// activate makes v the agent's active version. It is refused until the
// security check has passed: 400 while it is pending or queued (the message
// the lifecycle guide calls "security check pending"), 403 once it failed or
// errored. An already active version is returned unchanged.
func activate(a *agent, v *version, by string, now time.Time) *apiError {
	if a.activeVersionID == v.id {
		return nil
	}
	switch ch := v.check.at(now); ch.status {
	case checkPassed:
	case checkFailed, checkErrored:
		return newErr(http.StatusForbidden, "Version failed security check")
	default:
		return newErr(http.StatusBadRequest, "Security check pending for this version")
	}
	a.activeVersionID = v.id
	v.activatedBy, v.activatedAt, v.updatedAt = by, now, now
	a.updatedAt = now
	return nil
}

// ActivateDirect activates a version as if someone did it on the dashboard
// (by is their name), bypassing HTTP and faults but not the security check:
// errors wrap ErrNotFound, ErrCheckPending or ErrCheckFailed. An agent on
// the branch model has no activation (what serves is the live branch's
// head), so there it wraps ErrConflict: use DashboardMakeLive or
// DashboardRestore.
func (s *Simulator) ActivateDirect(agentID, versionID, by string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[agentID]
	if a == nil {
		return fmt.Errorf("agent %s: %w", agentID, ErrNotFound)
	}
	if s.branchModel && a.onBranchModel() {
		return fmt.Errorf("activate %s on the branch model: %w", versionID, ErrConflict)
	}
	v := a.version(versionID)
	if v == nil {
		return fmt.Errorf("version %s: %w", versionID, ErrNotFound)
	}
	if e := activate(a, v, by, s.now()); e != nil {
		if e.status == http.StatusForbidden {
			return fmt.Errorf("activate %s: %w", versionID, ErrCheckFailed)
		}
		return fmt.Errorf("activate %s: %w", versionID, ErrCheckPending)
	}
	return nil
}
