package atoms

import (
	"encoding/json"
	"fmt"
)

// CreateBranchRequest is the body of a branch fork: the new branch starts
// from the source branch's head revision (not from its open draft). Both
// members are required; names are unique among an agent's active branches
// and "Main" is reserved.
type CreateBranchRequest struct {
	SourceBranchID string `json:"sourceBranchId"`
	Name           string `json:"name"`
}

// DraftEdit is the body of a branch draft edit: the config fields to change,
// sent at the top level in camelCase as for v1 draft edits, and optionally
// the DraftRevision the edit was based on.
//
// With ExpectedRevision set the API refuses the edit (DraftConflictOf) when
// another edit since that revision changed one of the same fields; leave it
// nil for last-write-wins, e.g. to overwrite after a conflict. Set it only
// when a draft was open when the values were read: a new draft starts at 0.
type DraftEdit struct {
	Config           ConfigPatch
	ExpectedRevision *int
}

// MarshalJSON sends the config's fields and expectedRevision when set; never
// null, which the API rejects on optional fields.
func (d DraftEdit) MarshalJSON() ([]byte, error) {
	cfg, err := d.Config.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var fields Extra
	if err := json.Unmarshal(cfg, &fields); err != nil {
		return nil, fmt.Errorf("draft edit config: %w", err)
	}
	// Only ExpectedRevision decides whether the member is sent.
	delete(fields, "expectedRevision")
	return marshalWithExtra(struct {
		ExpectedRevision *int `json:"expectedRevision,omitzero"`
	}{d.ExpectedRevision}, fields)
}

// Test-call modes. A call without a mode is left to the API.
const (
	TestCallWebcall   = "webcall"
	TestCallChat      = "chat"
	TestCallTelephony = "telephony"
)

// TestCallRequest is the body of a test call. On a branch, with neither
// IncludeDraft nor RevisionID the call runs the branch's head revision;
// setting both is refused. The v1 draft and version test calls name their
// target in the path and refuse both members. ToPhone (E.164) is required
// for telephony.
type TestCallRequest struct {
	IncludeDraft bool   `json:"includeDraft,omitempty"`
	RevisionID   string `json:"revisionId,omitempty"`
	Mode         string `json:"mode,omitempty"`
	ToPhone      string `json:"toPhone,omitempty"`
}

// TestCallResult identifies a started test call. Token, RoomName and Host
// are set for webcall and chat, to join the session.
type TestCallResult struct {
	ConversationID string `json:"conversationId"`
	CallID         string `json:"callId,omitempty"`
	Token          string `json:"token,omitempty"`
	RoomName       string `json:"roomName,omitempty"`
	Host           string `json:"host,omitempty"`
}

// ListRevisionsOptions select a page of a branch's revisions. Zero Limit and
// Skip are left to the API (20 and 0).
type ListRevisionsOptions struct {
	Limit int // 1–100
	Skip  int
}
