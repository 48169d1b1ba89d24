package atomsim

import (
	"fmt"
	"net/http"
	"time"
)

// Conversation is a call the simulator pretended to place.
type Conversation struct {
	ID          string
	AgentID     string
	VersionID   string // the version that served it: the active one unless a test call says otherwise
	PhoneNumber string
	Mode        string // "telephony" for outbound calls; the test-call mode otherwise
	Test        bool   // x-test-call: true, or a test call
	Variables   map[string]any
	At          time.Time
}

// Conversations returns the calls placed so far.
func (s *Simulator) Conversations() []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Conversation(nil), s.convs...)
}

// callID is CALL-<13-digit ms>-<6 hex>.
func (s *Simulator) callID(now time.Time) string {
	return fmt.Sprintf("CALL-%013d-%s", now.UnixMilli(), s.ids.hex6())
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
		return errResponse(newErr(http.StatusBadRequest, "Invalid phone number"))
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
		return errResponse(newErr(http.StatusBadRequest, "Agent is archived and cannot initiate calls"))
	}
	versionID := a.activeVersionID
	if v, ok := body["versionId"].(string); ok && v != "" {
		// It only attributes the call log; the active version still serves it.
		if !isObjectID(v) || a.version(v) == nil {
			return errResponse(newErr(http.StatusBadRequest, "Invalid version id"))
		}
	}
	id := s.callID(rq.now)
	a.totalCalls++
	s.convs = append(s.convs, Conversation{
		ID: id, AgentID: a.id, VersionID: versionID, PhoneNumber: phone, Mode: "telephony",
		Test: rq.header.Get("X-Test-Call") == "true", Variables: vars, At: rq.now,
	})
	return okResponse(http.StatusOK, map[string]string{"conversationId": id})
}

// draftTestCall is POST /agent/{id}/drafts/{draftId}/test-call.
func (s *Simulator) draftTestCall(rq *request) *response {
	a, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	return s.testCall(rq, a, "draft:"+d.draftID)
}

// versionTestCall is POST /agent/{id}/versions/{versionId}/test-call.
func (s *Simulator) versionTestCall(rq *request) *response {
	a, v, e := s.versionFor(rq)
	if e != nil {
		return errResponse(e)
	}
	return s.testCall(rq, a, v.id)
}

func (s *Simulator) testCall(rq *request, a *agent, versionRef string) *response {
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	mode := "webcall"
	if m, ok := body["mode"]; ok {
		mode, _ = m.(string)
		if mode != "webcall" && mode != "chat" && mode != "telephony" {
			return errResponse(invalid("mode: Invalid enum value. Expected 'webcall' | 'chat' | 'telephony'"))
		}
	}
	phone, _ := body["toPhone"].(string)
	if mode == "telephony" && !e164Pattern.MatchString(phone) {
		return errResponse(newErr(http.StatusBadRequest, "Invalid phone number"))
	}
	id := s.callID(rq.now)
	s.convs = append(s.convs, Conversation{
		ID: id, AgentID: a.id, VersionID: versionRef, PhoneNumber: phone, Mode: mode, Test: true, At: rq.now,
	})
	data := map[string]string{"conversationId": id, "callId": id}
	if mode != "telephony" {
		data["token"] = "sim-" + s.ids.uuid()
		data["roomName"] = "room-" + id
		data["host"] = "wss://livekit.atomsim.invalid"
	}
	return okResponse(http.StatusOK, data)
}
