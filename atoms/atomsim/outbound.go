package atomsim

import (
	"fmt"
	"maps"
	"net/http"
	"time"
)

// Conversation is a call the simulator pretended to place: an outbound call
// or a test call.
type Conversation struct {
	ID      string // CALL-<13-digit ms>-<6 hex>, the answer's conversationId
	AgentID string
	// VersionID is the exact config that served the call, on both models:
	// a version id (v1) or revision id (branch model; a migrated version
	// keeps its id as revision id), or DraftTarget(draftId) for a test call
	// of a draft, v1 or a branch's. An outbound call is served by the
	// active version (v1) or the live branch's head (branch model) at the
	// time of the call, whatever versionId its body names: that only
	// attributes the call log.
	VersionID   string
	PhoneNumber string         // the number called; "" for a webcall or chat test call
	Mode        string         // "telephony" for outbound calls; the test-call mode otherwise
	Test        bool           // x-test-call: true, or a test call
	Variables   map[string]any // the outbound call's variables; nil for a test call
	At          time.Time
}

// DraftTarget is Conversation.VersionID for a call served by a draft.
func DraftTarget(draftID string) string { return "draft:" + draftID }

// Conversations returns the calls placed so far, oldest first, within the
// MaxCalls bound.
func (s *Simulator) Conversations() []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Conversation, len(s.convs))
	for i, c := range s.convs {
		out[i] = c.clone()
	}
	return out
}

// SetOnCall replaces the hook called with each placed call (see
// Options.OnCall); nil removes it.
func (s *Simulator) SetOnCall(fn func(Conversation)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCall = fn
}

// clone copies the variables, so that a caller or hook holding a
// Conversation cannot race with the record.
func (c Conversation) clone() Conversation {
	c.Variables = maps.Clone(c.Variables)
	return c
}

// placeCall records c as placed by rq, for the OnCall hook once the lock is
// released. The record is bounded like the request record.
func (s *Simulator) placeCall(rq *request, c Conversation) {
	if len(s.convs) >= s.maxCalls {
		drop := max(1, s.maxCalls/4)
		s.convs = append(s.convs[:0], s.convs[drop:]...)
	}
	s.convs = append(s.convs, c)
	placed := c.clone()
	rq.placed = &placed
}

// callID is CALL-<13-digit ms>-<6 hex>.
func (s *Simulator) callID(now time.Time) string {
	return fmt.Sprintf("CALL-%013d-%s", now.UnixMilli(), s.ids.hex6())
}

// liveTarget is what serves an agent's real calls now: the live branch's
// head under the branch model, else the active version. Unlike reads, it
// is never behind by the read-back lag: the lag is a stale replica's, not
// a delay in what calls run.
func (s *Simulator) liveTarget(a *agent) string {
	if s.branchModel && a.onBranchModel() {
		if b := a.branch(a.liveBranchID); b != nil && b.headID != "" {
			return b.headID
		}
	}
	return a.activeVersionID
}

func errAgentArchived() *apiError {
	return newErr(http.StatusBadRequest, "Agent is archived and cannot initiate calls")
}

// outbound is POST /conversation/outbound {agentId, phoneNumber, …}.
func (s *Simulator) outbound(rq *request) *response {
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	agentID, _ := body["agentId"].(string)
	if !isObjectID(agentID) {
		return errResponse(errInvalidAgentID())
	}
	phone, _ := body["phoneNumber"].(string)
	if !e164Pattern.MatchString(phone) {
		return errResponse(errInvalidPhone())
	}
	if p, ok := body["fromProductId"]; ok {
		if id, _ := p.(string); !isObjectID(id) {
			return errResponse(newErr(http.StatusBadRequest, "Invalid product id"))
		}
	}
	vars := map[string]any{}
	if v, ok := body["variables"]; ok {
		m, isMap := v.(map[string]any)
		if !isMap {
			return errResponse(invalid("variables: Expected object, received %s", kindOf(v)))
		}
		for k, val := range m {
			switch val.(type) {
			case string, float64, bool:
				vars[k] = val
			default:
				return errResponse(invalid("variables.%s: Expected string, number or boolean", k))
			}
		}
	}
	a := s.agents[agentID]
	if a == nil {
		return errResponse(newErr(http.StatusBadRequest, "Agent not found"))
	}
	if a.archived {
		return errResponse(errAgentArchived())
	}
	if v, ok := body["versionId"].(string); ok && v != "" {
		// It only attributes the call log; the live config still serves it.
		if !isObjectID(v) || a.version(v) == nil {
			return errResponse(newErr(http.StatusBadRequest, "Invalid version id"))
		}
	}
	id := s.callID(rq.now)
	a.totalCalls++
	s.placeCall(rq, Conversation{
		ID: id, AgentID: a.id, VersionID: s.liveTarget(a), PhoneNumber: phone, Mode: "telephony",
		Test: rq.header.Get("X-Test-Call") == "true", Variables: vars, At: rq.now,
	})
	return okResponse(http.StatusOK, map[string]string{"conversationId": id})
}

func errInvalidPhone() *apiError { return newErr(http.StatusBadRequest, "Invalid phone number") }
