package atoms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
)

// routeBranchDraft is the one open draft of a branch.
const routeBranchDraft = routeBranch + "/draft"

// PutBranchDraft edits the branch's open draft, opening one from the head
// revision if none is open (PUT …/branches/{branchId}/draft). Objects are
// deep-merged and arrays replaced by the server. The answer is the draft's
// row: DraftRevision is the new concurrency token; the fields sent are not
// echoed. Refusals: DraftConflictOf / ErrDraftConflict,
// ErrBaseRevisionUnavailable, ErrForbidden (archived branch),
// ErrConfigFrozen. An empty config or a negative ExpectedRevision is
// refused locally. Never retried: each edit is a draft revision, and a
// repeat would conflict with its own first attempt.
func (c *Client) PutBranchDraft(ctx context.Context, agentID, branchID string, edit DraftEdit) (*Version, error) {
	if edit.Config.Empty() {
		return nil, fmt.Errorf("%w: PutBranchDraft: empty config", ErrInvalidArgument)
	}
	if edit.ExpectedRevision != nil && *edit.ExpectedRevision < 0 {
		return nil, fmt.Errorf("%w: PutBranchDraft: negative expected revision %d", ErrInvalidArgument, *edit.ExpectedRevision)
	}
	cl, err := newCall(http.MethodPut, routeBranchDraft, agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.body = edit
	return fetch[Version](ctx, c, cl)
}

// GetBranchDraft returns the branch's open draft and its edits
// (GET …/branches/{branchId}/draft). With no draft open the API answers 404:
// errors.Is(err, ErrNoOpenDraft) (and ErrNotFound). BranchSummary.HasOpenDraft
// tells the same without the 404. Retried.
func (c *Client) GetBranchDraft(ctx context.Context, agentID, branchID string) (*BranchDraft, error) {
	cl, err := newCall(http.MethodGet, routeBranchDraft, agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[BranchDraft](ctx, c, cl)
}

// DeleteBranchDraft discards the branch's open draft
// (DELETE …/branches/{branchId}/draft); the head revision stays. Retried:
// when an earlier attempt got no answer, a not-found on a retry means that
// attempt discarded it, and counts as success.
func (c *Client) DeleteBranchDraft(ctx context.Context, agentID, branchID string) error {
	cl, err := newCall(http.MethodDelete, routeBranchDraft, agentID, branchID)
	if err != nil {
		return err
	}
	cl.idempotent = true
	cl.doneOnRetry = func(e *APIError) bool { return errors.Is(e, ErrNotFound) }
	return c.do(ctx, cl, nil)
}

// PublishBranchDraft publishes the branch's open draft
// (POST …/branches/{branchId}/draft/publish). Both answers are success:
// 200 PublishCommitted with the new head revision (the draft had passed
// already, or its workflow is not scanned), or 202 PublishScanning without
// one. After a scan the new revision is found by polling GetBranch until the
// head revision id moves; a failed scan commits nothing and leaves the draft
// open with its SecurityCheck failed. On the live branch a commit serves
// production at once. label is sent when not empty. Refusals:
// ErrNoOpenDraft, ErrPublishInProgress, ErrForbidden, ErrConfigFrozen.
// Never retried: when it fails with Ambiguous(err), read the branch and its
// draft before publishing again.
func (c *Client) PublishBranchDraft(ctx context.Context, agentID, branchID, label string) (*PublishResult, error) {
	cl, err := newCall(http.MethodPost, routeBranchDraft+"/publish", agentID, branchID)
	if err != nil {
		return nil, err
	}
	cl.body = struct {
		Label string `json:"label,omitempty"`
	}{label}
	return publishResult(ctx, c, cl)
}

// CancelPublish stops a publish that is still scanning
// (POST …/branches/{branchId}/draft/publish/cancel); the draft stays open.
// A scan that passed before the cancel landed has committed anyway: read
// the branch head afterwards. Retried: the API answers success whether or
// not a scan was running.
func (c *Client) CancelPublish(ctx context.Context, agentID, branchID string) error {
	cl, err := newCall(http.MethodPost, routeBranchDraft+"/publish/cancel", agentID, branchID)
	if err != nil {
		return err
	}
	cl.idempotent = true
	return c.do(ctx, cl, nil)
}

// publishResult runs a publish or restore call. The state comes from the
// body; a body without one is read from the status (202 is a scan). Any
// other state, and a commit without its revision, read as scanning: the
// caller then finds the revision by the head as after a scan, rather than
// holding a nil revision.
func publishResult(ctx context.Context, c *Client, cl *call) (*PublishResult, error) {
	r, err := fetch[PublishResult](ctx, c, cl)
	if err != nil {
		return nil, err
	}
	if r.State == "" {
		r.State = PublishCommitted
		if cl.status == http.StatusAccepted {
			r.State = PublishScanning
		}
	}
	if r.State != PublishCommitted || r.Revision == nil {
		r.State, r.Revision = PublishScanning, nil
	}
	return r, nil
}
