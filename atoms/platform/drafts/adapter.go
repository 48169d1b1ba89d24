// Package drafts adapts the Atoms drafts-and-versions API (versioning v1) to
// the platform port: a draft is forked from a version, edited, published as a
// new version with its own security check, and that version is activated.
package drafts

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// Client is what the adapter needs of the Atoms client (*atoms.Client).
type Client interface {
	AllAgents(ctx context.Context, search string) ([]atoms.Agent, error)
	GetAgent(ctx context.Context, agentID string, opt atoms.GetAgentOptions) (*atoms.Agent, error)
	ListDrafts(ctx context.Context, agentID string) ([]atoms.Version, error)
	CreateDraft(ctx context.Context, agentID string, req atoms.CreateDraftRequest) (*atoms.Version, error)
	GetDraft(ctx context.Context, agentID, draftID string, historyLimit int) (*atoms.DraftDetail, error)
	DeleteDraft(ctx context.Context, agentID, draftID string) error
	UpdateDraftConfig(ctx context.Context, agentID, draftID string, p atoms.ConfigPatch) (*atoms.Version, error)
	DiffDraft(ctx context.Context, agentID, draftID, compareTo string) (*atoms.Diff, error)
	PublishDraft(ctx context.Context, agentID, draftID string, req atoms.PublishRequest) (*atoms.Version, error)
	ListVersions(ctx context.Context, agentID string, opt atoms.ListVersionsOptions) (*atoms.VersionList, error)
	GetVersion(ctx context.Context, agentID, versionID string) (*atoms.VersionDetail, error)
	DiffVersions(ctx context.Context, agentID, versionA, versionB string) (*atoms.Diff, error)
	ActivateVersion(ctx context.Context, agentID, versionID string) (*atoms.Version, error)
	DraftTestCall(ctx context.Context, agentID, draftID string, req atoms.TestCallRequest) (*atoms.TestCallResult, error)
	VersionTestCall(ctx context.Context, agentID, versionID string, req atoms.TestCallRequest) (*atoms.TestCallResult, error)
	StartOutboundCall(ctx context.Context, req atoms.OutboundCallRequest) (string, error)
}

// Adapter is the platform on the v1 API.
type Adapter struct {
	c Client
}

// New returns the v1 adapter.
func New(c Client) *Adapter { return &Adapter{c: c} }

var _ platform.Platform = (*Adapter)(nil)

// Agents lists agents by name.
func (a *Adapter) Agents(ctx context.Context, search string) ([]platform.Agent, error) {
	list, err := a.c.AllAgents(ctx, search)
	if err != nil {
		return nil, wire.Read(err)
	}
	return wire.Agents(list), nil
}

// Agent reads one agent.
func (a *Adapter) Agent(ctx context.Context, agentID string) (platform.Agent, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil {
		return platform.Agent{}, wire.Read(err)
	}
	return wire.Agent(*ag), nil
}

// Live is the active version.
func (a *Adapter) Live(ctx context.Context, agentID string) (platform.Version, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil {
		return platform.Version{}, wire.Read(err)
	}
	if ag.ActiveVersionID == "" {
		return platform.Version{}, platform.Errorf(platform.ErrNotFound, "no active version")
	}
	d, err := a.c.GetVersion(ctx, agentID, ag.ActiveVersionID)
	if err != nil {
		return platform.Version{}, wire.Read(err)
	}
	v := version(d.Version)
	v.Live = true
	return v, nil
}

// LiveID is the active version's id, from the agent document.
func (a *Adapter) LiveID(ctx context.Context, agentID string) (string, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil {
		return "", wire.Read(err)
	}
	return ag.ActiveVersionID, nil
}

// version is a v1 version in the platform's words; v1 numbers versions per
// agent, so "vN" names one.
func version(v atoms.Version) platform.Version {
	return platform.Version{
		ID: v.ID, Ref: "v" + strconv.Itoa(v.VersionNumber), Number: v.VersionNumber, Label: v.Label,
		Live: v.IsActive, Check: wire.Check(v.SecurityCheck),
		PublishedBy: cmp.Or(v.PublishedByName, v.PublishedBy), PublishedAt: v.PublishedAt,
		ActivatedBy: cmp.Or(v.ActivatedByName, v.ActivatedBy), ActivatedAt: v.ActivatedAt,
	}
}

// Versions lists published versions; v1 has no branches.
func (a *Adapter) Versions(ctx context.Context, agentID string, q platform.VersionQuery) (platform.VersionPage, error) {
	if q.Branch != "" {
		return platform.VersionPage{}, noBranches(q.Branch)
	}
	list, err := a.c.ListVersions(ctx, agentID, atoms.ListVersionsOptions{Limit: min(max(q.Limit, 1), 100)})
	if err != nil {
		return platform.VersionPage{}, wire.Read(err)
	}
	page := platform.VersionPage{Total: list.Total}
	for _, v := range list.Versions {
		page.Versions = append(page.Versions, version(v))
	}
	return page, nil
}

func noBranches(name string) error {
	return platform.Errorf(platform.ErrNotFound, fmt.Sprintf("no branch “%s” (its Atoms organisation does not use branches)", name))
}

// Version finds a version by id or number.
func (a *Adapter) Version(ctx context.Context, agentID string, ref platform.VersionRef) (platform.Version, error) {
	switch {
	case ref.ID != "":
		d, err := a.c.GetVersion(ctx, agentID, ref.ID)
		if err != nil {
			return platform.Version{}, wire.Read(err)
		}
		return version(d.Version), nil
	case ref.Branch != "":
		return platform.Version{}, noBranches(ref.Branch)
	}
	newest := 0
	for skip := 0; ; skip += 100 {
		page, err := a.c.ListVersions(ctx, agentID, atoms.ListVersionsOptions{Limit: 100, Skip: skip})
		if err != nil {
			return platform.Version{}, wire.Read(err)
		}
		for _, v := range page.Versions {
			newest = max(newest, v.VersionNumber)
			if v.VersionNumber == ref.Number {
				return version(v), nil
			}
		}
		if len(page.Versions) < 100 || skip+100 >= page.Total {
			break
		}
	}
	return platform.Version{}, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("no version v%d (the newest is v%d)", ref.Number, newest))
}

// Drafts lists the open drafts with the version each was forked from.
func (a *Adapter) Drafts(ctx context.Context, agentID string) ([]platform.Draft, error) {
	list, err := a.c.ListDrafts(ctx, agentID)
	if err != nil {
		return nil, wire.Read(err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	numbers := map[string]int{}
	if vs, err := a.c.ListVersions(ctx, agentID, atoms.ListVersionsOptions{Limit: 100}); err == nil {
		for _, v := range vs.Versions {
			numbers[v.ID] = v.VersionNumber
		}
	}
	out := make([]platform.Draft, len(list))
	for i, d := range list {
		out[i] = platform.Draft{
			ID: d.DraftID, Name: d.DraftName, Open: true, Revision: d.DraftRevision,
			BaseID: d.SourceVersionID, LastEditor: d.LastEditorName,
		}
		if n, ok := numbers[d.SourceVersionID]; ok {
			out[i].Base = "v" + strconv.Itoa(n)
		}
	}
	return out, nil
}

// DiffDraft compares a draft with the active version.
func (a *Adapter) DiffDraft(ctx context.Context, agentID, draftID string) (platform.Diff, error) {
	ag, err := a.c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil {
		return platform.Diff{}, wire.Read(err)
	}
	if ag.ActiveVersionID == "" {
		return platform.Diff{}, platform.Errorf(platform.ErrNotFound, "no active version to compare with")
	}
	d, err := a.c.DiffDraft(ctx, agentID, draftID, ag.ActiveVersionID)
	if err != nil {
		return platform.Diff{}, wire.Read(err)
	}
	return wire.Diff(*d), nil
}

// DiffVersions compares two versions.
func (a *Adapter) DiffVersions(ctx context.Context, agentID, va, vb string) (platform.Diff, error) {
	d, err := a.c.DiffVersions(ctx, agentID, va, vb)
	if err != nil {
		return platform.Diff{}, wire.Read(err)
	}
	return wire.Diff(*d), nil
}

// isNotFound reports a 404-like answer.
func isNotFound(err error) bool { return errors.Is(err, atoms.ErrNotFound) }
