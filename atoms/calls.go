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

// DraftTestCall starts a test call of a v1 draft
// (POST /agent/{id}/drafts/{draftId}/test-call), to verify it before it is
// published. Under the branch model the route is kept for a while and may
// be gone: prefer BranchTestCall with IncludeDraft there. Never retried: a
// retry after a lost answer could start a second call, and Ambiguous tells
// the caller when that may have happened.
func (c *Client) DraftTestCall(ctx context.Context, agentID, draftID string, req TestCallRequest) (*TestCallResult, error) {
	return c.v1TestCall(ctx, "DraftTestCall", "/agent/{id}/drafts/{draftId}/test-call", agentID, draftID, req)
}

// VersionTestCall starts a test call of a published version
// (POST /agent/{id}/versions/{versionId}/test-call), to verify it before it
// is activated. Under the branch model a version id is a revision id and the
// route resolves it on any branch while it is kept; prefer BranchTestCall
// with RevisionID there. Never retried, like DraftTestCall.
func (c *Client) VersionTestCall(ctx context.Context, agentID, versionID string, req TestCallRequest) (*TestCallResult, error) {
	return c.v1TestCall(ctx, "VersionTestCall", "/agent/{id}/versions/{versionId}/test-call", agentID, versionID, req)
}

// v1TestCall sends {mode, toPhone}: the path names the target, so the
// branch model's target members are refused rather than silently dropped.
func (c *Client) v1TestCall(ctx context.Context, name, route, agentID, targetID string, req TestCallRequest) (*TestCallResult, error) {
	if req.IncludeDraft || req.RevisionID != "" {
		return nil, fmt.Errorf("%w: %s: IncludeDraft and RevisionID are for BranchTestCall; the path names the target", ErrInvalidArgument, name)
	}
	cl, err := newCall(http.MethodPost, route, agentID, targetID)
	if err != nil {
		return nil, err
	}
	cl.body = struct {
		Mode    string `json:"mode,omitempty"`
		ToPhone string `json:"toPhone,omitempty"`
	}{req.Mode, req.ToPhone}
	return fetch[TestCallResult](ctx, c, cl)
}
