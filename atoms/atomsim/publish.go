package atomsim

import (
	"fmt"
	"maps"
	"net/http"
	"time"
	"unicode/utf8"
)

// publishDraft is POST /agent/{id}/drafts/{draftId}/publish: 201 with the new
// version. It is never active, whatever `activate` says (the verified
// pitfall), the draft is gone afterwards, and a security check starts that
// reaches its planned outcome once the check delay has passed on the clock.
// The version remembers its draft as sourceDraftId, so a client that lost
// the answer can find out whether its publish happened.
func (s *Simulator) publishDraft(rq *request) *response {
	a, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	label, e := optString(body, "label", maxLabel)
	if e != nil {
		return errResponse(e)
	}
	descr, e := optString(body, "description", maxDescription)
	if e != nil {
		return errResponse(e)
	}
	if v, ok := body["activate"]; ok {
		if _, isBool := v.(bool); !isBool {
			return errResponse(invalid("activate: Expected boolean, received %s", kindOf(v)))
		}
	}
	v := s.publish(a, d, label, descr, rq.user, rq.now)
	return okResponse(http.StatusCreated, a.versionDTO(v, rq.now))
}

// publish turns a draft into the agent's next version and removes the draft.
func (s *Simulator) publish(a *agent, d *draft, label, descr, by string, now time.Time) *version {
	plan := checkPlan{status: checkPassed}
	if p, ok := s.failNext[a.id]; ok {
		plan = p
		delete(s.failNext, a.id)
	}
	v := &version{
		id:              s.ids.objectID(now),
		number:          a.nextVersionNumber(),
		label:           label,
		descr:           descr,
		publishedBy:     by,
		publishedAt:     now,
		sourceVersionID: d.sourceVersionID,
		sourceDraftID:   d.draftID,
		draftName:       d.name,
		blocks:          maps.Clone(d.blocks),
		config:          copyConfig(d.config),
		check:           checkState{triggeredAt: now, delay: s.checkDelay, plan: plan},
		createdBy:       by,
		createdAt:       now,
		updatedAt:       now,
	}
	a.versions = append(a.versions, v)
	a.removeDraft(d.draftID)
	return v
}

// optString reads an optional string field of at most max characters; null
// is accepted here (the spec types label and description as string|null).
func optString(body map[string]any, field string, limit int) (string, *apiError) {
	v, ok := body[field]
	if !ok || v == nil {
		return "", nil
	}
	s, isStr := v.(string)
	if !isStr {
		return "", invalid("%s: Expected string, received %s", field, kindOf(v))
	}
	if utf8.RuneCountInString(s) > limit {
		return "", invalid("%s: String must contain at most %d character(s)", field, limit)
	}
	return s, nil
}

// FailNextCheck makes the security check of the agent's next published
// version end as status ("failed" or "errored") with reason, once the check
// delay has passed. Under the branch model it is the next scan started on
// any of the agent's branches (a branch's SetScanOutcome comes first).
func (s *Simulator) FailNextCheck(agentID, status, reason string) error {
	if status != checkFailed && status != checkErrored {
		return fmt.Errorf("%w: %q (want failed or errored)", ErrInvalidStatus, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agents[agentID] == nil {
		return fmt.Errorf("agent %s: %w", agentID, ErrNotFound)
	}
	s.failNext[agentID] = checkPlan{status: status, reason: reason}
	return nil
}

// SetCheck overrides the security check of any version or branch revision
// from now on: "passed", "failed" and "errored" complete it at once,
// "pending" and "queued" hold it there until the next SetCheck. Given the
// draftId of an open branch draft that is not scanning, it sets that
// draft's securityCheck instead (a draft that "already passed" publishes
// without a scan).
func (s *Simulator) SetCheck(versionID, status, reason string) error {
	if !validCheckStatus(status) {
		return fmt.Errorf("%w: %q", ErrInvalidStatus, status)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.settle(now)
	if _, v := s.findVersion(versionID); v != nil {
		v.check.override = &checkPlan{status: status, reason: reason}
		v.check.overrideAt = now
		return nil
	}
	for _, id := range s.order {
		b, d := s.agents[id].branchDraftByID(versionID)
		switch {
		case d == nil:
			continue
		case b.scanning():
			return fmt.Errorf("draft %s: %w", versionID, ErrConflict)
		}
		d.check = &checkView{status: status, reason: reason, triggeredAt: now}
		if isFinal(status) {
			d.check.completedAt = now
		}
		return nil
	}
	return fmt.Errorf("version %s: %w", versionID, ErrNotFound)
}

func (s *Simulator) findVersion(versionID string) (*agent, *version) {
	for _, id := range s.order {
		if v := s.agents[id].version(versionID); v != nil {
			return s.agents[id], v
		}
	}
	return nil, nil
}
