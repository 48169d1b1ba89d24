package workflow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
)

// fakePlatform is the platform port in memory: agents with an open draft,
// published versions with a security check, a live version, and releases
// that go through Stage → Publish → Refresh → Activate. It behaves like the
// adapters where the engine relies on them (a publish retried after an
// unclear answer finds the version it made; activation is refused when the
// live version moved, unless this release made it live before; on the branch
// model a publish is named only once its scan is done) and lets tests script
// the answer of any call, run code around it, and count calls and effects.
type fakePlatform struct {
	now func() time.Time

	mu    sync.Mutex
	model platform.Model
	// checkAfter is how long after a publish its scan passes by itself
	// (0: it stays pending until setCheck).
	checkAfter time.Duration
	// noActivatedAt: Live does not say when the version went live.
	noActivatedAt bool
	// unnamedReads: Refresh reads that still name no version after a
	// branch-model scan finished (its revision not visible yet).
	unnamedReads int
	diff         platform.Diff
	agents       map[string]*fakeAgent

	calls  map[string]int
	queued map[string][]fakeOutcome // consumed one per call
	always map[string]*fakeOutcome  // when nothing is queued
	before map[string]func()        // run at the start of every call

	publishRetries []bool          // the retry flag of every Publish
	publishes      int             // versions a publish created
	activations    []string        // versions an Activate made live (effects)
	abandoned      []string        // release ids given to Abandon
	tidied         []string        // release ids given to Tidy
	lags           []time.Duration // per activation: how long after its check passed
}

// fakeOutcome scripts one call.
type fakeOutcome struct {
	err error // the answer instead of the normal one
	// act does the call's normal work before answering err (the platform
	// acted, the answer was lost).
	act bool
	// after runs once the work is done, before answering (runtime.Goexit
	// there is a crash right after the platform acted).
	after func()
}

type fakeAgent struct {
	agent    platform.Agent
	drafts   map[string]*platform.Draft
	versions []*fakeVersion
	live     string
	liveAt   time.Time
	liveBy   string
	prevLive string
	// lag is how many more Live reads still show the previous version.
	lag int
}

type fakeVersion struct {
	v       platform.Version
	release string // the release that published it ("" for seeded ones)
	// named: the platform has told the release which version it is (on the
	// branch model only once the scan is done).
	named bool
	check *platform.Check // nil: pending until checkAfter has passed
	// abandoned: Abandon was called for its release after it was published.
	abandoned bool
}

const (
	stagedToken    = "staged"
	activatedToken = "activated"
)

func newFakePlatform(now func() time.Time) *fakePlatform {
	return &fakePlatform{
		now:        now,
		model:      platform.ModelV1,
		checkAfter: 6 * time.Second,
		diff: platform.Diff{Sections: []platform.SectionDiff{{Section: "prompt", Changes: []platform.Change{
			{Path: "prompt", Old: json.RawMessage(`"You are helpful."`), New: json.RawMessage(`"You are very helpful."`)},
		}}}},
		agents: map[string]*fakeAgent{},
		calls:  map[string]int{},
		queued: map[string][]fakeOutcome{},
		always: map[string]*fakeOutcome{},
		before: map[string]func(){},
	}
}

// addAgent makes an agent whose v1 is live (check passed) with an open
// draft "draft-<id>" on it.
func (f *fakePlatform) addAgent(id, name string) platform.Agent {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := &fakeAgent{agent: platform.Agent{ID: id, Name: name}, drafts: map[string]*platform.Draft{}}
	f.agents[id] = a
	v1 := f.addVersionLocked(a, "", platform.Check{Status: "passed"}, true)
	a.live, a.liveAt, a.liveBy = v1.v.ID, f.now().Add(-time.Hour), "someone"
	d := &platform.Draft{ID: "draft-" + id, Name: "Main draft", Open: true, Revision: 1, Base: "v1", BaseID: v1.v.ID}
	a.drafts[d.ID] = d
	return f.agentLocked(a)
}

// addVersion publishes a version of agentID outside atomsbot (not live).
func (f *fakePlatform) addVersion(agentID string, check platform.Check) platform.Version {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addVersionLocked(f.agents[agentID], "", check, true).v
}

func (f *fakePlatform) addVersionLocked(a *fakeAgent, release string, check platform.Check, named bool) *fakeVersion {
	n := len(a.versions) + 1
	fv := &fakeVersion{
		v: platform.Version{
			ID: fmt.Sprintf("%s-v%d", a.agent.ID, n), Ref: fmt.Sprintf("v%d", n), Number: n,
			Label: fmt.Sprintf("version %d", n), PublishedBy: "someone", PublishedAt: f.now(),
		},
		release: release, named: named,
	}
	if check.Status != "" {
		c := check
		fv.check = &c
	}
	a.versions = append(a.versions, fv)
	return fv
}

// seed adds an agent (for the benchmark: no draft) whose liveID is live and
// whose versionID was published at publishedAt, its check passing
// checkAfter later.
func (f *fakePlatform) seed(agentID, liveID, versionID string, publishedAt time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	passed := platform.Check{Status: "passed"}
	a := &fakeAgent{agent: platform.Agent{ID: agentID, Name: agentID}, live: liveID, liveAt: publishedAt.Add(-time.Hour)}
	a.versions = []*fakeVersion{
		{v: platform.Version{ID: liveID, Ref: "v1", Number: 1}, named: true, check: &passed},
		{v: platform.Version{ID: versionID, Ref: "v2", Number: 2, PublishedAt: publishedAt}, named: true},
	}
	f.agents[agentID] = a
}

// activatedCount is how many activations took effect.
func (f *fakePlatform) activatedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.activations)
}

// activationLags are, per activation, how long after its check passed it
// happened.
func (f *fakePlatform) activationLags() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.lags...)
}

// leftBehind reports whether the release published a version that no
// Abandon undid after it.
func (f *fakePlatform) leftBehind(agentID, release string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fv := f.agents[agentID].byRelease(release)
	return fv != nil && !fv.abandoned
}

// setRef puts a version on a branch, named ref.
func (f *fakePlatform) setRef(agentID, versionID, branch, ref string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fv := f.agents[agentID].byID(versionID)
	fv.v.Branch, fv.v.Ref = branch, ref
}

// agent is the agent as a command would have resolved it now.
func (f *fakePlatform) agent(id string) platform.Agent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.agentLocked(f.agents[id])
}

func (f *fakePlatform) agentLocked(a *fakeAgent) platform.Agent {
	ag := a.agent
	ag.LiveVersionID = a.live
	return ag
}

// draft is the agent's draft as a command would have resolved it now.
func (f *fakePlatform) draft(agentID string) platform.Draft {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.agents[agentID].drafts["draft-"+agentID]
}

// reopenDraft gives the agent an open draft again (someone edited it after a
// publish).
func (f *fakePlatform) reopenDraft(agentID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.agents[agentID].drafts["draft-"+agentID]
	d.Open, d.Scanning = true, false
	d.Revision++
}

// version is a version of agentID by id, as Versions would list it.
func (f *fakePlatform) version(agentID, id string) platform.Version {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.agents[agentID]
	if fv := a.byID(id); fv != nil {
		return f.versionLocked(a, fv)
	}
	return platform.Version{}
}

func (f *fakePlatform) versionLocked(a *fakeAgent, fv *fakeVersion) platform.Version {
	v := fv.v
	v.Check = f.checkOf(fv)
	v.Live = a.live == v.ID
	return v
}

// liveID is what is live on the platform (whatever Live reads show).
func (f *fakePlatform) liveID(agentID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.agents[agentID].live
}

// activateElsewhere makes versionID live as someone on the dashboard would.
func (f *fakePlatform) activateElsewhere(agentID, versionID, by string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setLiveLocked(f.agents[agentID], versionID, by)
}

func (f *fakePlatform) setLiveLocked(a *fakeAgent, versionID, by string) {
	a.prevLive = a.live
	a.live, a.liveAt, a.liveBy = versionID, f.now(), by
}

// lagLive makes the next n Live reads of agentID show the version that was
// live before the last change.
func (f *fakePlatform) lagLive(agentID string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[agentID].lag = n
}

// setCheck fixes the security check of the version published by release
// (or with that id).
func (f *fakePlatform) setCheck(agentID, releaseOrVersion string, status, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.agents[agentID]
	fv := a.byRelease(releaseOrVersion)
	if fv == nil {
		fv = a.byID(releaseOrVersion)
	}
	fv.check = &platform.Check{Status: status, Reason: reason}
}

func (f *fakePlatform) setModel(m platform.Model) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.model = m
}

// queue scripts the next calls of method, one outcome each.
func (f *fakePlatform) queue(method string, outs ...fakeOutcome) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queued[method] = append(f.queued[method], outs...)
}

// fail scripts the next n calls of method to answer err without acting.
func (f *fakePlatform) fail(method string, n int, err error) {
	for range n {
		f.queue(method, fakeOutcome{err: err})
	}
}

// failAlways makes every call of method answer err (nil: back to normal).
func (f *fakePlatform) failAlways(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.always, method)
		return
	}
	f.always[method] = &fakeOutcome{err: err}
}

// onCall runs fn at the start of every call of method (nil: no more).
func (f *fakePlatform) onCall(method string, fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before[method] = fn
}

func (f *fakePlatform) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakePlatform) snapshot() (retries []bool, publishes int, activations, abandoned, tidied []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]bool(nil), f.publishRetries...), f.publishes,
		append([]string(nil), f.activations...), append([]string(nil), f.abandoned...), append([]string(nil), f.tidied...)
}

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

func (f *fakePlatform) SaveDraft(context.Context, platform.SaveRequest) (platform.Draft, error) {
	return platform.Draft{}, errors.New("fakePlatform: the engine does not edit drafts")
}

var _ platform.Platform = (*fakePlatform)(nil)
