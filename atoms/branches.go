package atoms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Routes of the branch model, relative to the base URL.
const (
	routeBranches = "/agent/{id}/branches"
	routeBranch   = "/agent/{id}/branches/{branchId}"
)

// ListBranches returns the agent's active branches (GET /agent/{id}/branches;
// archived ones are left out, and there is no paging). Exactly one is
// IsLive. Retried. A host without the branch model answers an HTML 404,
// which is not ErrNotFound.
func (c *Client) ListBranches(ctx context.Context, agentID string) ([]BranchSummary, error) {
	cl, err := newCall(http.MethodGet, routeBranches, agentID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	var data struct {
		Branches []BranchSummary `json:"branches"`
	}
	if err := c.do(ctx, cl, &data); err != nil {
		return nil, err
	}
	return data.Branches, nil
}

// GetBranch returns one branch (GET /agent/{id}/branches/{branchId}), also
// an archived one. Poll it after a 202 publish: the head revision id moves
// to the new revision when the scan passes. Retried.
func (c *Client) GetBranch(ctx context.Context, agentID, branchID string) (*BranchSummary, error) {
	cl, err := newCall(http.MethodGet, routeBranch, agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[BranchSummary](ctx, c, cl)
}

// CreateBranch forks a branch from the source branch's head revision
// (POST /agent/{id}/branches, 201). Refusals: ErrBranchNameExists,
// ErrSourceHasNoCommit, ErrSourceScanning (retry later), ErrConfigFrozen.
// Never retried: a retry after a lost answer could fork twice or answer
// ErrBranchNameExists for the branch the first attempt made (check
// Ambiguous, then ListBranches).
func (c *Client) CreateBranch(ctx context.Context, agentID string, req CreateBranchRequest) (*Branch, error) {
	if req.SourceBranchID == "" || strings.TrimSpace(req.Name) == "" {
		return nil, fmt.Errorf("%w: CreateBranch: SourceBranchID and Name are required", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodPost, routeBranches, agentID)
	if err != nil {
		return nil, err
	}
	cl.body = req
	return fetch[Branch](ctx, c, cl)
}

// RenameBranch sets a branch's name (PATCH /agent/{id}/branches/{branchId}).
// Main cannot be renamed (ErrForbidden). Retried: setting the same name
// twice is harmless.
func (c *Client) RenameBranch(ctx context.Context, agentID, branchID, name string) (*Branch, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%w: RenameBranch: empty name", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodPatch, routeBranch, agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.body = struct {
		Name string `json:"name"`
	}{name}
	cl.idempotent = true
	return fetch[Branch](ctx, c, cl)
}

// ArchiveBranch archives a branch and drops its open draft
// (POST /agent/{id}/branches/{branchId}/archive); its revisions stay
// readable by id. Main and the live branch cannot be archived
// (ErrForbidden). Retried: when an earlier attempt got no answer, a
// not-found on a retry means that attempt archived it, and counts as success.
func (c *Client) ArchiveBranch(ctx context.Context, agentID, branchID string) error {
	cl, err := newCall(http.MethodPost, routeBranch+"/archive", agentID, branchID)
	if err != nil {
		return err
	}
	cl.idempotent = true
	cl.doneOnRetry = func(e *APIError) bool { return errors.Is(e, ErrNotFound) }
	return c.do(ctx, cl, nil)
}

// MakeLive makes a branch the live one (POST …/branches/{branchId}/live):
// production serves its head revision from then on and the previously live
// branch stops being live. Refusals: ErrForbidden (archived, or the head has
// not passed the security check), ErrNoCommittedRevision, ErrConfigFrozen.
// Retried: repeating it on the live branch answers the same success.
func (c *Client) MakeLive(ctx context.Context, agentID, branchID string) (*BranchSummary, error) {
	cl, err := newCall(http.MethodPost, routeBranch+"/live", agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[BranchSummary](ctx, c, cl)
}
