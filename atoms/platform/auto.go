package platform

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Detector tells which model an agent's organisation runs, from the agent's
// own answers. It reports "" when it cannot tell (Atoms did not answer).
type Detector interface {
	Detect(ctx context.Context, agentID string) (Model, error)
}

// Auto is a Platform that finds out which model Atoms runs and uses that
// model's adapter. It decides once per process, from the first agent it
// touches, and changes its mind only one way: when the v1 adapter is told by
// Atoms that the organisation runs the branch model (a v1 write or list
// answered 409), which is authoritative. Releases are routed by the model
// they were begun on, so a promotion never silently continues on the other.
type Auto struct {
	v1, v2   Platform
	detector Detector
	log      *slog.Logger
	onChoose func(Model)

	mu    sync.Mutex
	model Model // "" until decided
}

// NewAuto wraps the two adapters. onChoose (optional) hears every decision,
// e.g. for a metric; log gets one line per decision.
func NewAuto(v1, v2 Platform, d Detector, log *slog.Logger, onChoose func(Model)) *Auto {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Auto{v1: v1, v2: v2, detector: d, log: log, onChoose: onChoose}
}

// Model is the model in use ("" before the first agent was looked at).
func (a *Auto) Model() Model {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.model
}

func (a *Auto) choose(m Model, why string) {
	a.mu.Lock()
	changed := a.model != m
	a.model = m
	a.mu.Unlock()
	if !changed {
		return
	}
	a.log.Info("Atoms versioning model chosen", "model", string(m), "why", why)
	if a.onChoose != nil {
		a.onChoose(m)
	}
}

func (a *Auto) adapter(m Model) Platform {
	if m == ModelV2 {
		return a.v2
	}
	return a.v1
}

// pick returns the adapter for work on agentID, deciding the model on first
// use. When the detector cannot tell, v1 is tried: its 409 settles it.
func (a *Auto) pick(ctx context.Context, agentID string) (Platform, Model) {
	if m := a.Model(); m != "" || agentID == "" {
		return a.adapter(m), m
	}
	m, err := a.detector.Detect(ctx, agentID)
	switch {
	case err != nil || m == "":
		a.log.Warn("could not tell the Atoms versioning model yet", "agent", agentID, "err", err)
		return a.v1, ""
	case m == ModelV2:
		a.choose(m, "GET /agent/{id}/branches answered with a live branch")
	default:
		a.choose(m, "the agent has no branches")
	}
	return a.adapter(m), m
}

// call runs f on the adapter for agentID and, when the v1 adapter learns that
// Atoms runs the branch model, switches for good and runs it there. A v1
// call answered that way changed nothing (Atoms refuses before acting).
func call[T any](ctx context.Context, a *Auto, agentID string, f func(Platform) (T, error)) (T, error) {
	p, m := a.pick(ctx, agentID)
	v, err := f(p)
	if m != ModelV2 && errors.Is(err, ErrWrongModel) {
		a.choose(ModelV2, "a v1 call was answered 409 versioning_v2_migration_required")
		return f(a.v2)
	}
	return v, err
}

// release runs f on the adapter of the model r was begun on. When that is
// v1 and Atoms answers that it runs the branch model, the answer is passed
// on (the release cannot go on) and settles the model for what comes next.
func release[T any](ctx context.Context, a *Auto, r Release, f func(Platform) (T, error)) (T, error) {
	if r.Model == "" {
		return call(ctx, a, r.AgentID, f)
	}
	v, err := f(a.adapter(r.Model))
	if r.Model == ModelV1 && errors.Is(err, ErrWrongModel) {
		a.choose(ModelV2, "a v1 call was answered 409 versioning_v2_migration_required")
	}
	return v, err
}

func (a *Auto) Agents(ctx context.Context, search string) ([]Agent, error) {
	return call(ctx, a, "", func(p Platform) ([]Agent, error) { return p.Agents(ctx, search) })
}

func (a *Auto) Agent(ctx context.Context, agentID string) (Agent, error) {
	return call(ctx, a, agentID, func(p Platform) (Agent, error) { return p.Agent(ctx, agentID) })
}

func (a *Auto) Live(ctx context.Context, agentID string) (Version, error) {
	return call(ctx, a, agentID, func(p Platform) (Version, error) { return p.Live(ctx, agentID) })
}

func (a *Auto) LiveID(ctx context.Context, agentID string) (string, error) {
	return call(ctx, a, agentID, func(p Platform) (string, error) { return p.LiveID(ctx, agentID) })
}

func (a *Auto) Versions(ctx context.Context, agentID string, q VersionQuery) (VersionPage, error) {
	return call(ctx, a, agentID, func(p Platform) (VersionPage, error) { return p.Versions(ctx, agentID, q) })
}

func (a *Auto) Version(ctx context.Context, agentID string, ref VersionRef) (Version, error) {
	return call(ctx, a, agentID, func(p Platform) (Version, error) { return p.Version(ctx, agentID, ref) })
}

func (a *Auto) Drafts(ctx context.Context, agentID string) ([]Draft, error) {
	return call(ctx, a, agentID, func(p Platform) ([]Draft, error) { return p.Drafts(ctx, agentID) })
}

func (a *Auto) DiffDraft(ctx context.Context, agentID, draftID string) (Diff, error) {
	return call(ctx, a, agentID, func(p Platform) (Diff, error) { return p.DiffDraft(ctx, agentID, draftID) })
}

func (a *Auto) DiffVersions(ctx context.Context, agentID, va, vb string) (Diff, error) {
	return call(ctx, a, agentID, func(p Platform) (Diff, error) { return p.DiffVersions(ctx, agentID, va, vb) })
}

func (a *Auto) EditForm(ctx context.Context, agentID, draftID string) (Editable, error) {
	return call(ctx, a, agentID, func(p Platform) (Editable, error) { return p.EditForm(ctx, agentID, draftID) })
}

func (a *Auto) EditVersion(ctx context.Context, agentID string, v Version) (Editable, error) {
	return call(ctx, a, agentID, func(p Platform) (Editable, error) { return p.EditVersion(ctx, agentID, v) })
}

func (a *Auto) SaveDraft(ctx context.Context, req SaveRequest) (Draft, error) {
	return call(ctx, a, req.AgentID, func(p Platform) (Draft, error) { return p.SaveDraft(ctx, req) })
}

func (a *Auto) Stage(ctx context.Context, r Release) (Release, error) {
	return release(ctx, a, r, func(p Platform) (Release, error) { return p.Stage(ctx, r) })
}

func (a *Auto) Publish(ctx context.Context, r Release, retry bool) (Release, error) {
	return release(ctx, a, r, func(p Platform) (Release, error) { return p.Publish(ctx, r, retry) })
}

func (a *Auto) Refresh(ctx context.Context, r Release) (Release, error) {
	return release(ctx, a, r, func(p Platform) (Release, error) { return p.Refresh(ctx, r) })
}

func (a *Auto) DiffRelease(ctx context.Context, r Release) (Diff, error) {
	return release(ctx, a, r, func(p Platform) (Diff, error) { return p.DiffRelease(ctx, r) })
}

func (a *Auto) PrepareRollback(ctx context.Context, agentID string, target Version, base string) (Release, error) {
	return call(ctx, a, agentID, func(p Platform) (Release, error) { return p.PrepareRollback(ctx, agentID, target, base) })
}

func (a *Auto) Activate(ctx context.Context, r Release) (Release, error) {
	return release(ctx, a, r, func(p Platform) (Release, error) { return p.Activate(ctx, r) })
}

func (a *Auto) Abandon(ctx context.Context, r Release) error {
	_, err := release(ctx, a, r, func(p Platform) (struct{}, error) { return struct{}{}, p.Abandon(ctx, r) })
	return err
}

func (a *Auto) Tidy(ctx context.Context, r Release) error {
	_, err := release(ctx, a, r, func(p Platform) (struct{}, error) { return struct{}{}, p.Tidy(ctx, r) })
	return err
}

func (a *Auto) TestCall(ctx context.Context, req CallRequest) (Call, error) {
	if req.Release != nil {
		return release(ctx, a, *req.Release, func(p Platform) (Call, error) { return p.TestCall(ctx, req) })
	}
	return call(ctx, a, req.AgentID, func(p Platform) (Call, error) { return p.TestCall(ctx, req) })
}

var _ Platform = (*Auto)(nil)
