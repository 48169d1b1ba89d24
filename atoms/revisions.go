package atoms

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// routeRevision is one revision, addressed through the branch it belongs to.
const routeRevision = routeBranch + "/revisions/{revisionId}"

// ListRevisions returns one page of a branch's committed revisions, newest
// first (GET …/branches/{branchId}/revisions). A publish still scanning may
// not be listed, and right after a commit the list can lag: find a new
// revision by the branch head instead. Retried.
func (c *Client) ListRevisions(ctx context.Context, agentID, branchID string, opt ListRevisionsOptions) (*RevisionList, error) {
	if opt.Limit < 0 || opt.Limit > 100 || opt.Skip < 0 {
		return nil, fmt.Errorf("%w: ListRevisions: limit %d not in 1..100 or negative skip", ErrInvalidArgument, opt.Limit)
	}
	cl, err := newCall(http.MethodGet, routeBranch+"/revisions", agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	q := url.Values{}
	if opt.Limit > 0 {
		q.Set("limit", strconv.Itoa(opt.Limit))
	}
	if opt.Skip > 0 {
		q.Set("skip", strconv.Itoa(opt.Skip))
	}
	cl.query = q
	return fetch[RevisionList](ctx, c, cl)
}

// GetRevision returns a revision with its resolved config keyed by section
// (GET …/branches/{branchId}/revisions/{revisionId}). The API answers 400
// when the revision is on another branch: use the revision's Branch in the
// path. Retried.
func (c *Client) GetRevision(ctx context.Context, agentID, branchID, revisionID string) (*RevisionDetail, error) {
	cl, err := newCall(http.MethodGet, routeRevision, agentID, branchID, revisionID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[RevisionDetail](ctx, c, cl)
}

// RevisionHistory returns a revision with its publisher and the draft edits
// that led to it (GET …/revisions/{revisionId}/history). Retried.
func (c *Client) RevisionHistory(ctx context.Context, agentID, branchID, revisionID string) (*RevisionHistory, error) {
	cl, err := newCall(http.MethodGet, routeRevision+"/history", agentID, branchID, revisionID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[RevisionHistory](ctx, c, cl)
}

// RestoreRevision republishes an earlier revision of the branch as its new
// head (POST …/revisions/{revisionId}/restore); the new revision names its
// source in RestoredFromRevisionID. The open draft is left alone. On the
// live branch production switches to it at once. The answer is normally
// PublishCommitted, the source having passed its scan. Refusals: a 409
// without error_type when the revision already is the head,
// ErrPublishInProgress, ErrForbidden (the source failed its scan),
// ErrConfigFrozen. Never retried: each restore makes a revision.
func (c *Client) RestoreRevision(ctx context.Context, agentID, branchID, revisionID string) (*PublishResult, error) {
	cl, err := newCall(http.MethodPost, routeRevision+"/restore", agentID, branchID, revisionID)
	if err != nil {
		return nil, err
	}
	return publishResult(ctx, c, cl)
}

// DraftRef is the DiffRefs reference to a branch's open draft.
func DraftRef(branchID string) string { return branchID + ":draft" }

// DiffRefs compares two configurations of the agent, on any branches
// (GET /agent/{id}/diff?a=…&b=…): a is the base (Old), b the target (New).
// A reference is a revision id or DraftRef(branchID). Retried.
func (c *Client) DiffRefs(ctx context.Context, agentID, a, b string) (*Diff, error) {
	if a == "" || b == "" {
		return nil, fmt.Errorf("%w: DiffRefs: both references are required", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodGet, "/agent/{id}/diff", agentID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	cl.query = url.Values{"a": {a}, "b": {b}}
	return fetch[Diff](ctx, c, cl)
}
