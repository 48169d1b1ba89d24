package atoms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ListDrafts returns the agent's open drafts (GET /agent/{id}/drafts, a bare
// array). Use each one's DraftID, not ID, in draft paths.
func (c *Client) ListDrafts(ctx context.Context, agentID string) ([]Version, error) {
	cl, err := newCall(http.MethodGet, "/agent/{id}/drafts", agentID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	var ds []Version
	if err := c.do(ctx, cl, &ds); err != nil {
		return nil, err
	}
	return ds, nil
}

// CreateDraft forks a draft from a version and/or a draft
// (POST /agent/{id}/drafts). The result's DraftID names the draft in paths;
// its ID is only the record of the first revision. Never retried: a retry
// after a lost answer would fork a second draft (check Ambiguous). A request
// with neither source is sent as {} and the API answers 400 "Either
// sourceVersionId or sourceDraftId is required".
func (c *Client) CreateDraft(ctx context.Context, agentID string, req CreateDraftRequest) (*Version, error) {
	cl, err := newCall(http.MethodPost, "/agent/{id}/drafts", agentID)
	if err != nil {
		return nil, err
	}
	cl.body = req
	return fetch[Version](ctx, c, cl)
}

// GetDraft returns a draft's latest revision and its edit history
// (GET /agent/{id}/drafts/{draftId}). historyLimit (1–100) bounds the
// history; 0 leaves it to the API. The record holds no config values: use
// GetAgent with GetAgentOptions.DraftID for those.
func (c *Client) GetDraft(ctx context.Context, agentID, draftID string, historyLimit int) (*DraftDetail, error) {
	if historyLimit < 0 || historyLimit > 100 {
		return nil, fmt.Errorf("%w: GetDraft: history limit %d not in 1..100", ErrInvalidArgument, historyLimit)
	}
	cl, err := newCall(http.MethodGet, "/agent/{id}/drafts/{draftId}", agentID, draftID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	if historyLimit > 0 {
		cl.query = url.Values{"limit": {strconv.Itoa(historyLimit)}}
	}
	return fetch[DraftDetail](ctx, c, cl)
}

// RenameDraft sets a draft's name (PATCH /agent/{id}/drafts/{draftId}).
// Retried: setting the same name twice is harmless.
func (c *Client) RenameDraft(ctx context.Context, agentID, draftID, name string) error {
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("%w: RenameDraft: empty name", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodPatch, "/agent/{id}/drafts/{draftId}", agentID, draftID)
	if err != nil {
		return err
	}
	cl.body = struct {
		DraftName string `json:"draftName"`
	}{name}
	cl.idempotent = true
	return c.do(ctx, cl, nil)
}

// DeleteDraft discards a draft (DELETE /agent/{id}/drafts/{draftId}).
// Retried: when an earlier attempt got no answer, a not-found on a retry
// means that attempt discarded it, and counts as success.
func (c *Client) DeleteDraft(ctx context.Context, agentID, draftID string) error {
	cl, err := newCall(http.MethodDelete, "/agent/{id}/drafts/{draftId}", agentID, draftID)
	if err != nil {
		return err
	}
	cl.idempotent = true
	cl.doneOnRetry = func(e *APIError) bool { return errors.Is(e, ErrNotFound) }
	return c.do(ctx, cl, nil)
}

// UpdateDraftConfig edits a draft's config
// (PATCH /agent/{id}/drafts/{draftId}/config). Objects are deep-merged and
// arrays replaced by the server. The answer carries the new DraftRevision
// but not the fields sent; read them back with GetAgent(…DraftID…). An
// empty patch is refused locally. Never retried: each PATCH is a revision.
func (c *Client) UpdateDraftConfig(ctx context.Context, agentID, draftID string, p ConfigPatch) (*Version, error) {
	if p.Empty() {
		return nil, fmt.Errorf("%w: UpdateDraftConfig: empty config patch", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodPatch, "/agent/{id}/drafts/{draftId}/config", agentID, draftID)
	if err != nil {
		return nil, err
	}
	cl.body = p
	return fetch[Version](ctx, c, cl)
}

// DiffDraft compares a draft with a published version
// (GET /agent/{id}/drafts/{draftId}/diff?compareTo=…); compareTo "" lets the
// API use the version the draft was forked from.
func (c *Client) DiffDraft(ctx context.Context, agentID, draftID, compareTo string) (*Diff, error) {
	cl, err := newCall(http.MethodGet, "/agent/{id}/drafts/{draftId}/diff", agentID, draftID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	if compareTo != "" {
		cl.query = url.Values{"compareTo": {compareTo}}
	}
	return fetch[Diff](ctx, c, cl)
}

// PublishDraft publishes a draft as a new, inactive version
// (POST /agent/{id}/drafts/{draftId}/publish); the result's ID is the new
// version id. The draft is gone afterwards and a security check starts;
// activate explicitly with ActivateVersion once it has passed. Never
// retried: when it fails with Ambiguous(err), look for the version (or the
// draft) before publishing again.
func (c *Client) PublishDraft(ctx context.Context, agentID, draftID string, req PublishRequest) (*Version, error) {
	cl, err := newCall(http.MethodPost, "/agent/{id}/drafts/{draftId}/publish", agentID, draftID)
	if err != nil {
		return nil, err
	}
	cl.body = req
	return fetch[Version](ctx, c, cl)
}
