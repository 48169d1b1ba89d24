package atomsim

import "net/http"

// Test calls place a call to a config before it goes live: a v1 draft or
// version (kept routes under the branch model) or a branch's head, open
// draft or one of its revisions. The rules common to the three routes are
// in testCallBody and testCall; each route resolves its own target.

// testCallReq is a parsed test-call body.
type testCallReq struct {
	mode, phone  string
	includeDraft bool
	revisionID   string
}

// testCallBody parses {includeDraft?, revisionId?, mode?, toPhone?} of a
// call to agent a: the mode defaults to webcall; telephony needs an E.164
// toPhone; includeDraft and revisionId name two targets at once, which
// every route refuses. An archived agent places no call, test calls
// included. These come after the path's ids and before the body's target.
func testCallBody(rq *request, a *agent) (testCallReq, *apiError) {
	tc, e := parseTestCall(rq)
	if e == nil && a.archived {
		e = errAgentArchived()
	}
	return tc, e
}

func parseTestCall(rq *request) (testCallReq, *apiError) {
	var tc testCallReq
	body, e := decodeObject(rq.body)
	if e != nil {
		return tc, e
	}
	if v, ok := body["includeDraft"]; ok {
		if tc.includeDraft, ok = v.(bool); !ok {
			return tc, invalid("includeDraft: Expected boolean, received %s", kindOf(v))
		}
	}
	if v, ok := body["revisionId"]; ok {
		if tc.revisionID, ok = v.(string); !ok {
			return tc, invalid("revisionId: Expected string, received %s", kindOf(v))
		}
	}
	if tc.includeDraft && tc.revisionID != "" {
		return tc, invalid("includeDraft and revisionId cannot be combined")
	}
	tc.mode = "webcall"
	if v, ok := body["mode"]; ok {
		tc.mode, _ = v.(string)
		if tc.mode != "webcall" && tc.mode != "chat" && tc.mode != "telephony" {
			return tc, invalid("mode: Invalid enum value. Expected 'webcall' | 'chat' | 'telephony'")
		}
	}
	if v, ok := body["toPhone"]; ok {
		if tc.phone, ok = v.(string); !ok {
			return tc, invalid("toPhone: Expected string, received %s", kindOf(v))
		}
	}
	if tc.mode == "telephony" && !e164Pattern.MatchString(tc.phone) {
		return tc, errInvalidPhone()
	}
	if tc.mode != "telephony" {
		tc.phone = "" // a webcall or chat rings no phone
	}
	return tc, nil
}

// draftTestCall is POST /agent/{id}/drafts/{draftId}/test-call. Under the
// branch model the kept route resolves a branch's open draft by its draftId
// as well as a v1 draft left from before the migration.
func (s *Simulator) draftTestCall(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	draftID := rq.param(1)
	found := a.draft(draftID) != nil
	if !found && s.branchModel {
		_, d := a.branchDraftByID(draftID)
		found = d != nil
	}
	if !found {
		return errResponse(errDraftNotFound())
	}
	tc, e := testCallBody(rq, a)
	if e != nil {
		return errResponse(e)
	}
	return s.testCall(rq, a, tc, DraftTarget(draftID))
}

// versionTestCall is POST /agent/{id}/versions/{versionId}/test-call. Under
// the branch model the id is a revision id, of any branch. Only the path
// names the target: includeDraft or revisionId alone are ignored.
func (s *Simulator) versionTestCall(rq *request) *response {
	a, v, e := s.versionFor(rq)
	if e != nil {
		return errResponse(e)
	}
	tc, e := testCallBody(rq, a)
	if e != nil {
		return errResponse(e)
	}
	return s.testCall(rq, a, tc, v.id)
}

// branchTestCall is POST /agent/{id}/branches/{b}/test-call: the branch's
// head by default, its open draft with includeDraft (404 without one), or
// revisionId (400 when it is another branch's). Only the head target needs
// a committed revision (409 no_committed_revision): a draft or a named
// revision is a config of its own. It is not a write, so a config freeze
// lets it through.
func (s *Simulator) branchTestCall(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	tc, e := testCallBody(rq, a)
	if e != nil {
		return errResponse(e)
	}
	var target string
	switch {
	case tc.includeDraft:
		if b.draft == nil {
			return errResponse(errNoOpenDraft())
		}
		target = DraftTarget(b.draft.draftID)
	case tc.revisionID != "":
		if !isObjectID(tc.revisionID) {
			return errResponse(newErr(http.StatusBadRequest, "Invalid revision id"))
		}
		v := a.version(tc.revisionID)
		if v == nil {
			return errResponse(errRevisionNotFound())
		}
		if v.branchID != b.id {
			return errResponse(errNotOnBranch())
		}
		target = v.id
	case b.headID == "":
		return errResponse(errNoCommittedRevision())
	default:
		target = b.headID
	}
	return s.testCall(rq, a, tc, target)
}

// testCall places the call to target.
func (s *Simulator) testCall(rq *request, a *agent, tc testCallReq, target string) *response {
	id := s.callID(rq.now)
	s.placeCall(rq, Conversation{
		ID: id, AgentID: a.id, VersionID: target, PhoneNumber: tc.phone, Mode: tc.mode, Test: true, At: rq.now,
	})
	data := map[string]string{"conversationId": id, "callId": id}
	if tc.mode != "telephony" {
		data["token"] = "sim-" + s.ids.uuid()
		data["roomName"] = "room-" + id
		data["host"] = "wss://livekit.atomsim.invalid"
	}
	return okResponse(http.StatusOK, data)
}
