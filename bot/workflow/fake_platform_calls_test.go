package workflow

import (
	"context"
	"errors"
	"fmt"

	"github.com/atomsbot/atomsbot/atoms/platform"
)

// fakeCall is a call under way and its scripted outcome, if any.
type fakeCall struct {
	o        fakeOutcome
	scripted bool
}

// answered says the script answers in the call's stead (o.err), and nothing
// is done.
func (c fakeCall) answered() bool { return c.scripted && !c.o.act }

// begin counts the call, runs its hook and takes its scripted outcome.
func (f *fakePlatform) begin(method string) fakeCall {
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
		return fakeCall{o: q[0], scripted: true}
	}
	if o := f.always[method]; o != nil {
		return fakeCall{o: *o, scripted: true}
	}
	return fakeCall{}
}

// call is a call of method that a script may answer in its stead (with ret
// and the scripted error); otherwise body does it, holding f.mu.
func call[T any](f *fakePlatform, method string, ret T, body func(fakeCall) (T, error)) (T, error) {
	c := f.begin(method)
	if c.answered() {
		return ret, c.o.err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return body(c)
}

// callAgent is call on agentID's agent (ret and ErrNotFound without one).
func callAgent[T any](f *fakePlatform, method, agentID string, ret T, body func(fakeCall, *fakeAgent) (T, error)) (T, error) {
	return call(f, method, ret, func(c fakeCall) (T, error) {
		a, err := f.agentOf(agentID)
		if err != nil {
			return ret, err
		}
		return body(c, a)
	})
}

// callRelease is call on r's agent; every refusal answers r unchanged.
func callRelease(f *fakePlatform, method string, r platform.Release, body func(fakeCall, *fakeAgent) (platform.Release, error)) (platform.Release, error) {
	return call(f, method, r, func(c fakeCall) (platform.Release, error) {
		a, err := f.releaseAgent(r)
		if err != nil {
			return r, err
		}
		return body(c, a)
	})
}

// withAgent runs body on agentID's agent holding f.mu, for the calls no
// script touches (ret and ErrNotFound without such an agent).
func withAgent[T any](f *fakePlatform, agentID string, ret T, body func(*fakeAgent) (T, error)) (T, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.agentOf(agentID)
	if err != nil {
		return ret, err
	}
	return body(a)
}

// finish answers a call that did its work.
func finish[T any](c fakeCall, v T) (T, error) {
	if !c.scripted {
		return v, nil
	}
	if c.o.after != nil {
		c.o.after()
	}
	return v, c.o.err
}

// finishLocked is finish for a call holding f.mu: after runs unlocked.
func finishLocked[T any](f *fakePlatform, c fakeCall, v T) (T, error) {
	if !c.scripted {
		return v, nil
	}
	f.mu.Unlock()
	defer f.mu.Lock()
	return finish(c, v)
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

// releaseAgent is the agent r is of, once r is known to be on this
// platform's versioning model.
func (f *fakePlatform) releaseAgent(r platform.Release) (*fakeAgent, error) {
	if err := f.mine(r); err != nil {
		return nil, err
	}
	return f.agentOf(r.AgentID)
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
	return callRelease(f, "Stage", r, func(c fakeCall, a *fakeAgent) (platform.Release, error) {
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
		return finishLocked(f, c, r)
	})
}

// Publish publishes the draft once: a retry finds the version an earlier
// attempt made (even when the script would not let this call act). On the
// branch model the answer names no version (a scan).
func (f *fakePlatform) Publish(_ context.Context, r platform.Release, retry bool) (platform.Release, error) {
	c := f.begin("Publish")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.publishRetries = append(f.publishRetries, retry)
	a, err := f.releaseAgent(r)
	if err != nil {
		return r, err
	}
	if retry {
		if fv := a.byRelease(r.ID); fv != nil {
			return f.published(r, fv), nil
		}
	}
	if c.answered() {
		return r, c.o.err
	}
	d := a.drafts[r.DraftID]
	if d == nil || !d.Open {
		return r, platform.Errorf(platform.ErrNotFound, "the draft was discarded before it could be published")
	}
	d.Open = false
	fv := f.addVersionLocked(a, r.ID, platform.Check{}, f.model == platform.ModelV1)
	fv.v.Label = r.Label
	f.publishes++
	return finishLocked(f, c, f.published(r, fv))
}

// Refresh reads the release's check, naming its version once the platform
// does.
func (f *fakePlatform) Refresh(_ context.Context, r platform.Release) (platform.Release, error) {
	return callRelease(f, "Refresh", r, func(c fakeCall, a *fakeAgent) (platform.Release, error) {
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
				return finishLocked(f, c, f.published(r, fv))
			}
			fv.named = true
		}
		return finishLocked(f, c, f.published(r, fv))
	})
}

func (f *fakePlatform) DiffRelease(_ context.Context, _ platform.Release) (platform.Diff, error) {
	return call(f, "DiffRelease", platform.Diff{}, func(fakeCall) (platform.Diff, error) { return f.diff, nil })
}

// PrepareRollback refuses a version whose check did not pass.
func (f *fakePlatform) PrepareRollback(_ context.Context, agentID string, target platform.Version, base string) (platform.Release, error) {
	return callAgent(f, "PrepareRollback", agentID, platform.Release{}, func(_ fakeCall, a *fakeAgent) (platform.Release, error) {
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
	})
}

// Activate makes the release live while the live version is its base (or
// this release made it live before), and only once its check passed.
func (f *fakePlatform) Activate(_ context.Context, r platform.Release) (platform.Release, error) {
	return callRelease(f, "Activate", r, func(c fakeCall, a *fakeAgent) (platform.Release, error) {
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
		return finishLocked(f, c, r)
	})
}

// Abandon and Tidy record the release whatever their script says.
func (f *fakePlatform) Abandon(_ context.Context, r platform.Release) error {
	c := f.begin("Abandon")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.abandoned = append(f.abandoned, r.ID)
	if a := f.agents[r.AgentID]; a != nil && c.o.err == nil {
		if fv := a.byRelease(r.ID); fv != nil {
			fv.abandoned = true
		}
	}
	return c.o.err
}

func (f *fakePlatform) Tidy(_ context.Context, r platform.Release) error {
	c := f.begin("Tidy")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tidied = append(f.tidied, r.ID)
	return c.o.err
}

// TestCall records the call and names a conversation.
func (f *fakePlatform) TestCall(_ context.Context, req platform.CallRequest) (platform.Call, error) {
	return call(f, "TestCall", platform.Call{}, func(c fakeCall) (platform.Call, error) {
		f.testCalls = append(f.testCalls, req)
		return finishLocked(f, c, platform.Call{ConversationID: fmt.Sprintf("CALL-%d", len(f.testCalls))})
	})
}

// liveRead is what a Live read shows: the live version, or the one before
// it while reads lag.
func (a *fakeAgent) liveRead() string {
	if a.lag > 0 {
		a.lag--
		return a.prevLive
	}
	return a.live
}

// LiveID is what Live reads, and counts as a Live read (its scripts and
// lag apply to it).
func (f *fakePlatform) LiveID(_ context.Context, agentID string) (string, error) {
	return callAgent(f, "Live", agentID, "", func(c fakeCall, a *fakeAgent) (string, error) {
		return finishLocked(f, c, a.liveRead())
	})
}

// Live is the live version, or the one before it while reads lag.
func (f *fakePlatform) Live(_ context.Context, agentID string) (platform.Version, error) {
	return callAgent(f, "Live", agentID, platform.Version{}, func(_ fakeCall, a *fakeAgent) (platform.Version, error) {
		id := a.liveRead()
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
	})
}

func (f *fakePlatform) DiffVersions(context.Context, string, string, string) (platform.Diff, error) {
	return call(f, "DiffVersions", platform.Diff{}, func(fakeCall) (platform.Diff, error) { return f.diff, nil })
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
	return withAgent(f, id, platform.Agent{}, func(a *fakeAgent) (platform.Agent, error) { return f.agentLocked(a), nil })
}

func (f *fakePlatform) Versions(_ context.Context, agentID string, _ platform.VersionQuery) (platform.VersionPage, error) {
	return withAgent(f, agentID, platform.VersionPage{}, func(a *fakeAgent) (platform.VersionPage, error) {
		var page platform.VersionPage
		for i := len(a.versions) - 1; i >= 0; i-- {
			page.Versions = append(page.Versions, f.versionLocked(a, a.versions[i]))
		}
		page.Total = len(page.Versions)
		return page, nil
	})
}

func (f *fakePlatform) Version(_ context.Context, agentID string, ref platform.VersionRef) (platform.Version, error) {
	return withAgent(f, agentID, platform.Version{}, func(a *fakeAgent) (platform.Version, error) {
		for _, fv := range a.versions {
			if fv.v.ID == ref.ID || ref.ID == "" && fv.v.Number == ref.Number {
				return f.versionLocked(a, fv), nil
			}
		}
		return platform.Version{}, platform.Errorf(platform.ErrNotFound, "no such version")
	})
}

func (f *fakePlatform) Drafts(_ context.Context, agentID string) ([]platform.Draft, error) {
	return withAgent(f, agentID, nil, func(a *fakeAgent) ([]platform.Draft, error) {
		var out []platform.Draft
		for _, d := range a.drafts {
			out = append(out, *d)
		}
		return out, nil
	})
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
