package atoms

import (
	"context"
	"fmt"
	"net/http"
)

// StartOutboundCall places a phone call with the agent's active version
// (POST /conversation/outbound) and returns the conversation id
// ("CALL-…"). req.Test sets the x-test-call header. Never retried: a retry
// after a lost answer could ring the number twice.
func (c *Client) StartOutboundCall(ctx context.Context, req OutboundCallRequest) (string, error) {
	if req.AgentID == "" || req.PhoneNumber == "" {
		return "", fmt.Errorf("%w: StartOutboundCall: AgentID and PhoneNumber are required", ErrInvalidArgument)
	}
	cl, _ := newCall(http.MethodPost, "/conversation/outbound")
	cl.body = req
	if req.Test {
		cl.header = http.Header{"X-Test-Call": {"true"}}
	}
	var data struct {
		ConversationID string `json:"conversationId"`
	}
	if err := c.do(ctx, cl, &data); err != nil {
		return "", err
	}
	if data.ConversationID == "" {
		return "", fmt.Errorf("atoms: %s: the call was placed but the answer has no conversationId", cl.endpoint())
	}
	return data.ConversationID, nil
}

// BranchTestCall starts a test call of a branch
// (POST /agent/{id}/branches/{branchId}/test-call): of its head revision by
// default, of its open draft with IncludeDraft, or of RevisionID. It works
// during a config freeze. Refusals: ErrNoCommittedRevision, and
// ErrNotFound for IncludeDraft without an open draft. Never retried: a
// retry after a lost answer could start a second call.
func (c *Client) BranchTestCall(ctx context.Context, agentID, branchID string, req TestCallRequest) (*TestCallResult, error) {
	if req.IncludeDraft && req.RevisionID != "" {
		return nil, fmt.Errorf("%w: BranchTestCall: set IncludeDraft or RevisionID, not both", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodPost, routeBranch+"/test-call", agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.body = req
	return fetch[TestCallResult](ctx, c, cl)
}
