package workflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/atomsbot/atomsbot/atoms/platform"
)

// begin counts the call, runs its hook and takes its scripted outcome.
func (f *fakePlatform) begin(method string) (fakeOutcome, bool) {
	f.mu.Lock()
	f.calls[method]++
	hook := f.before[method]
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if q := f.queued[method]; len(q) > 0 {
		f.queued[method] = q[1:]
		return q[0], true
	}
	if o := f.always[method]; o != nil {
		return *o, true
	}
	return fakeOutcome{}, false
}

// finish answers a call that did its work.
func finish[T any](o fakeOutcome, scripted bool, v T) (T, error) {
	if !scripted {
		return v, nil
	}
	if o.after != nil {
		o.after()
	}
	return v, o.err
}

func (a *fakeAgent) byID(id string) *fakeVersion {
	for _, fv := range a.versions {
		if fv.v.ID == id {
			return fv
		}
	}
	return nil
}

func (a *fakeAgent) byRelease(release string) *fakeVersion {
	for _, fv := range a.versions {
		if release != "" && fv.release == release {
			return fv
		}
	}
	return nil
}

func (f *fakePlatform) checkOf(fv *fakeVersion) platform.Check {
	if fv.check != nil {
		return *fv.check
	}
	if f.checkAfter > 0 && !f.now().Before(fv.v.PublishedAt.Add(f.checkAfter)) {
		return platform.Check{Status: "passed"}
	}
	return platform.Check{Status: "pending"}
}

func (f *fakePlatform) mine(r platform.Release) error {
	if r.Model == "" || r.Model == f.model {
		return nil
	}
	return platform.Errorf(platform.ErrWrongModel, fmt.Sprintf("it was begun on Atoms' %s versioning model, which this atomsbot no longer uses", r.Model))
}

func (f *fakePlatform) agentOf(id string) (*fakeAgent, error) {
	a := f.agents[id]
	if a == nil {
		return nil, platform.Errorf(platform.ErrNotFound, "no such agent")
	}
	return a, nil
}

// published tells r what the platform says of the version it made.
func (f *fakePlatform) published(r platform.Release, fv *fakeVersion) platform.Release {
	r.PublishedAt = fv.v.PublishedAt
	r.Check = f.checkOf(fv)
	if fv.named {
		r.VersionID, r.Ref, r.Number = fv.v.ID, fv.v.Ref, fv.v.Number
		if r.Key == "" {
			r.Key = fv.v.ID
		}
	}
	return r
}

// Stage prepares the draft: on the branch model approvals bind to the draft's
// content (its revision) from here on.
func (f *fakePlatform) Stage(_ context.Context, r platform.Release) (platform.Release, error) {
	o, scripted := f.begin("Stage")
	if scripted && !o.act {
		return r, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.mine(r); err != nil {
		return r, err
	}
	a, err := f.agentOf(r.AgentID)
	if err != nil {
		return r, err
	}
	d := a.drafts[r.DraftID]
	if d == nil || !d.Open {
		return r, platform.Errorf(platform.ErrNotFound, "the draft was discarded (or published outside atomsbot)")
	}
	r.Model, r.Token = f.model, stagedToken
	if f.model == platform.ModelV2 {
		r.Key = fmt.Sprintf("%s@%d", d.ID, d.Revision)
		r.Number = len(a.versions) + 1
		r.Ref = fmt.Sprintf("v%d", r.Number)
	}
	return finishLocked(f, o, scripted, r)
}

// finishLocked is finish for a call holding f.mu: after runs unlocked.
func finishLocked[T any](f *fakePlatform, o fakeOutcome, scripted bool, v T) (T, error) {
	if !scripted {
		return v, nil
	}
	f.mu.Unlock()
	defer f.mu.Lock()
	return finish(o, scripted, v)
}

// Publish publishes the draft once: a retry finds the version an earlier
// attempt made. On the branch model the answer names no version (a scan).
func (f *fakePlatform) Publish(_ context.Context, r platform.Release, retry bool) (platform.Release, error) {
	o, scripted := f.begin("Publish")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publishRetries = append(f.publishRetries, retry)
	if err := f.mine(r); err != nil {
		return r, err
	}
	a, err := f.agentOf(r.AgentID)
	if err != nil {
		return r, err
	}
	if retry {
		if fv := a.byRelease(r.ID); fv != nil {
			return f.published(r, fv), nil
		}
	}
	if scripted && !o.act {
		return r, o.err
	}
	d := a.drafts[r.DraftID]
	if d == nil || !d.Open {
		return r, platform.Errorf(platform.ErrNotFound, "the draft was discarded before it could be published")
	}
	d.Open = false
	fv := f.addVersionLocked(a, r.ID, platform.Check{}, f.model == platform.ModelV1)
	fv.v.Label = r.Label
	f.publishes++
	return finishLocked(f, o, scripted, f.published(r, fv))
}

// Refresh reads the release's check, naming its version once the platform
// does.
func (f *fakePlatform) Refresh(_ context.Context, r platform.Release) (platform.Release, error) {
	o, scripted := f.begin("Refresh")
	if scripted && !o.act {
		return r, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.mine(r); err != nil {
		return r, err
	}
	a, err := f.agentOf(r.AgentID)
	if err != nil {
		return r, err
	}
	fv := a.byID(r.VersionID)
	if fv == nil {
		fv = a.byRelease(r.ID)
	}
	if fv == nil {
		return r, platform.Errorf(platform.ErrNotFound, "the published version is gone from Atoms")
	}
	if !fv.named && f.checkOf(fv).Outcome() != platform.CheckNotYet {
		if f.unnamedReads > 0 {
			f.unnamedReads--
			r = f.published(r, fv)
			return finishLocked(f, o, scripted, r)
		}
		fv.named = true
	}
	return finishLocked(f, o, scripted, f.published(r, fv))
}

func (f *fakePlatform) DiffRelease(_ context.Context, r platform.Release) (platform.Diff, error) {
	o, scripted := f.begin("DiffRelease")
	if scripted && !o.act {
		return platform.Diff{}, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.diff, nil
}

// PrepareRollback refuses a version whose check did not pass.
func (f *fakePlatform) PrepareRollback(_ context.Context, agentID string, target platform.Version, base string) (platform.Release, error) {
	o, scripted := f.begin("PrepareRollback")
	if scripted && !o.act {
		return platform.Release{}, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return platform.Release{}, err
	}
	fv := a.byID(target.ID)
	if fv == nil {
		return platform.Release{}, platform.Errorf(platform.ErrNotFound, "no such version")
	}
	c := f.checkOf(fv)
	if c.Outcome() != platform.CheckPassed {
		return platform.Release{}, platform.Errorf(platform.ErrRefused, fmt.Sprintf("%s cannot go live: its security check has not passed (status: %s)", fv.v.Ref, c.Status))
	}
	return platform.Release{
		Model: f.model, AgentID: agentID, Base: base, Label: fv.v.Label,
		Key: fv.v.ID, VersionID: fv.v.ID, Ref: fv.v.Ref, Number: fv.v.Number, Check: c,
		PublishedAt: fv.v.PublishedAt, Token: "rollback",
	}, nil
}

// Activate makes the release live while the live version is its base (or
// this release made it live before), and only once its check passed.
func (f *fakePlatform) Activate(_ context.Context, r platform.Release) (platform.Release, error) {
	o, scripted := f.begin("Activate")
	if scripted && !o.act {
		return r, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.mine(r); err != nil {
		return r, err
	}
	a, err := f.agentOf(r.AgentID)
	if err != nil {
		return r, err
	}
	if a.live == r.VersionID {
		return r, nil
	}
	if a.live != r.Base && r.Token != activatedToken {
		return r, &platform.MovedError{What: "the active version changed since the approvers looked (someone activated another version outside this request)"}
	}
	fv := a.byID(r.VersionID)
	if fv == nil {
		return r, platform.Errorf(platform.ErrNotFound, "the version is gone")
	}
	if f.checkOf(fv).Outcome() != platform.CheckPassed {
		return r, &platform.Error{Kind: platform.ErrCheckPending, Err: errors.New("security check pending for this version")}
	}
	f.setLiveLocked(a, r.VersionID, "atomsbot")
	f.activations = append(f.activations, r.VersionID)
	f.lags = append(f.lags, f.now().Sub(fv.v.PublishedAt.Add(f.checkAfter)))
	r.Token = activatedToken
	return finishLocked(f, o, scripted, r)
}

func (f *fakePlatform) Abandon(_ context.Context, r platform.Release) error {
	o, _ := f.begin("Abandon")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandoned = append(f.abandoned, r.ID)
	if a := f.agents[r.AgentID]; a != nil && o.err == nil {
		if fv := a.byRelease(r.ID); fv != nil {
			fv.abandoned = true
		}
	}
	return o.err
}

func (f *fakePlatform) Tidy(_ context.Context, r platform.Release) error {
	o, _ := f.begin("Tidy")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tidied = append(f.tidied, r.ID)
	return o.err
}

// TestCall records the call and names a conversation.
func (f *fakePlatform) TestCall(_ context.Context, req platform.CallRequest) (platform.Call, error) {
	o, scripted := f.begin("TestCall")
	if scripted && !o.act {
		return platform.Call{}, o.err
	}
	f.mu.Lock()
	f.testCalls = append(f.testCalls, req)
	id := fmt.Sprintf("CALL-%d", len(f.testCalls))
	f.mu.Unlock()
	return finish(o, scripted, platform.Call{ConversationID: id})
}

// LiveID is what Live reads, and counts as a Live read (its scripts and
// lag apply to it).
func (f *fakePlatform) LiveID(_ context.Context, agentID string) (string, error) {
	o, scripted := f.begin("Live")
	if scripted && !o.act {
		return "", o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return "", err
	}
	id := a.live
	if a.lag > 0 {
		a.lag--
		id = a.prevLive
	}
	return finishLocked(f, o, scripted, id)
}

// Live is the live version, or the one before it while reads lag.
func (f *fakePlatform) Live(_ context.Context, agentID string) (platform.Version, error) {
	o, scripted := f.begin("Live")
	if scripted && !o.act {
		return platform.Version{}, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return platform.Version{}, err
	}
	id := a.live
	if a.lag > 0 {
		a.lag--
		id = a.prevLive
	}
	fv := a.byID(id)
	if fv == nil {
		if id == "" {
			return platform.Version{}, platform.Errorf(platform.ErrNotFound, "no live version")
		}
		return platform.Version{ID: id, Live: true}, nil
	}
	v := f.versionLocked(a, fv)
	v.Live = true
	if id == a.live {
		v.ActivatedBy = a.liveBy
		if !f.noActivatedAt {
			v.ActivatedAt = a.liveAt
		}
	}
	return v, nil
}

func (f *fakePlatform) DiffVersions(_ context.Context, agentID, va, vb string) (platform.Diff, error) {
	o, scripted := f.begin("DiffVersions")
	if scripted && !o.act {
		return platform.Diff{}, o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.diff, nil
}

// The rest of the port is not the engine's; it answers plainly.

func (f *fakePlatform) Agents(context.Context, string) ([]platform.Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []platform.Agent
	for _, a := range f.agents {
		out = append(out, f.agentLocked(a))
	}
	return out, nil
}

func (f *fakePlatform) Agent(_ context.Context, id string) (platform.Agent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(id)
	if err != nil {
		return platform.Agent{}, err
	}
	return f.agentLocked(a), nil
}

func (f *fakePlatform) Versions(_ context.Context, agentID string, _ platform.VersionQuery) (platform.VersionPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return platform.VersionPage{}, err
	}
	var page platform.VersionPage
	for i := len(a.versions) - 1; i >= 0; i-- {
		page.Versions = append(page.Versions, f.versionLocked(a, a.versions[i]))
	}
	page.Total = len(page.Versions)
	return page, nil
}

func (f *fakePlatform) Version(_ context.Context, agentID string, ref platform.VersionRef) (platform.Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return platform.Version{}, err
	}
	for _, fv := range a.versions {
		if fv.v.ID == ref.ID || ref.ID == "" && fv.v.Number == ref.Number {
			return f.versionLocked(a, fv), nil
		}
	}
	return platform.Version{}, platform.Errorf(platform.ErrNotFound, "no such version")
}

func (f *fakePlatform) Drafts(_ context.Context, agentID string) ([]platform.Draft, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return nil, err
	}
	var out []platform.Draft
	for _, d := range a.drafts {
		out = append(out, *d)
	}
	return out, nil
}

func (f *fakePlatform) DiffDraft(context.Context, string, string) (platform.Diff, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.diff, nil
}

func (f *fakePlatform) EditForm(context.Context, string, string) (platform.Editable, error) {
	return platform.Editable{}, errors.New("fakePlatform: the engine does not edit drafts")
}

func (f *fakePlatform) EditVersion(context.Context, string, platform.Version) (platform.Editable, error) {
	return platform.Editable{}, errors.New("fakePlatform: the engine does not edit drafts")
}

func (f *fakePlatform) SaveDraft(context.Context, platform.SaveRequest) (platform.Draft, error) {
	return platform.Draft{}, errors.New("fakePlatform: the engine does not edit drafts")
}

var _ platform.Platform = (*fakePlatform)(nil)
