package atoms

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// ListVersionsOptions select a page of GET /agent/{id}/versions. Zero Limit
// and Skip are left to the API (20 and 0); Pinned nil lists all versions.
type ListVersionsOptions struct {
	Limit  int // 1–100
	Skip   int
	Pinned *bool // sent as isPinned
}

// VersionMetadata is the body of PATCH /agent/{id}/versions/{versionId}: the
// only things a published version lets you change. Nil fields are not sent.
type VersionMetadata struct {
	Label       *string `json:"label,omitzero"`
	Description *string `json:"description,omitzero"`
	IsPinned    *bool   `json:"isPinned,omitzero"`
}

// Bounds of AllVersions.
const (
	allVersionsPageSize = 100 // the API's maximum limit
	allVersionsMaxPages = 100
)

// ListVersions returns one page of published versions, newest first.
// Total counts all published versions, even when Pinned filters the page.
func (c *Client) ListVersions(ctx context.Context, agentID string, opt ListVersionsOptions) (*VersionList, error) {
	if opt.Limit < 0 || opt.Limit > 100 || opt.Skip < 0 {
		return nil, fmt.Errorf("%w: ListVersions: limit %d not in 1..100 or negative skip", ErrInvalidArgument, opt.Limit)
	}
	cl, err := newCall(http.MethodGet, "/agent/{id}/versions", agentID)
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
	if opt.Pinned != nil {
		q.Set("isPinned", strconv.FormatBool(*opt.Pinned))
	}
	cl.query = q
	return fetch[VersionList](ctx, c, cl)
}

// AllVersions returns every published version, newest first, paging by 100.
// A version published while paging shifts the pages; duplicates that causes
// are dropped.
func (c *Client) AllVersions(ctx context.Context, agentID string) ([]Version, error) {
	var all []Version
	seen := make(map[string]struct{})
	skip := 0
	for range allVersionsMaxPages {
		l, err := c.ListVersions(ctx, agentID, ListVersionsOptions{Limit: allVersionsPageSize, Skip: skip})
		if err != nil {
			return nil, err
		}
		for _, v := range l.Versions {
			if _, dup := seen[v.ID]; dup && v.ID != "" {
				continue
			}
			seen[v.ID] = struct{}{}
			all = append(all, v)
		}
		skip += len(l.Versions)
		if len(l.Versions) < allVersionsPageSize || skip >= l.Total {
			return all, nil
		}
	}
	return nil, fmt.Errorf("atoms: AllVersions: more than %d versions", allVersionsMaxPages*allVersionsPageSize)
}

// GetVersion returns a version with its resolved config keyed by section
// (GET /agent/{id}/versions/{versionId}). Poll it for Version.SecurityCheck.
func (c *Client) GetVersion(ctx context.Context, agentID, versionID string) (*VersionDetail, error) {
	cl, err := newCall(http.MethodGet, "/agent/{id}/versions/{versionId}", agentID, versionID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[VersionDetail](ctx, c, cl)
}

// UpdateVersion changes a version's label, description or pin
// (PATCH /agent/{id}/versions/{versionId}); at least one must be set.
// Retried: it sets absolute values, so sending it twice is harmless.
func (c *Client) UpdateVersion(ctx context.Context, agentID, versionID string, m VersionMetadata) (*Version, error) {
	if m.Label == nil && m.Description == nil && m.IsPinned == nil {
		return nil, fmt.Errorf("%w: UpdateVersion: nothing to change", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodPatch, "/agent/{id}/versions/{versionId}", agentID, versionID)
	if err != nil {
		return nil, err
	}
	cl.body = m
	cl.idempotent = true
	return fetch[Version](ctx, c, cl)
}

// DiffVersions compares two versions
// (GET /agent/{id}/versions/diff?versionA=…&versionB=…): Old is A, New is B.
func (c *Client) DiffVersions(ctx context.Context, agentID, versionA, versionB string) (*Diff, error) {
	if versionA == "" || versionB == "" {
		return nil, fmt.Errorf("%w: DiffVersions: both versions are required", ErrInvalidArgument)
	}
	cl, err := newCall(http.MethodGet, "/agent/{id}/versions/diff", agentID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	cl.query = url.Values{"versionA": {versionA}, "versionB": {versionB}}
	return fetch[Diff](ctx, c, cl)
}

// ActivateVersion makes a published version the active one
// (PATCH /agent/{id}/versions/{versionId}/activate, no body). The API
// refuses until the version's security check has passed:
// errors.Is(err, ErrSecurityCheckPending). Retried: activation is
// idempotent (an active version is returned unchanged).
func (c *Client) ActivateVersion(ctx context.Context, agentID, versionID string) (*Version, error) {
	cl, err := newCall(http.MethodPatch, "/agent/{id}/versions/{versionId}/activate", agentID, versionID)
	if err != nil {
		return nil, err
	}
	cl.idempotent = true
	return fetch[Version](ctx, c, cl)
}
