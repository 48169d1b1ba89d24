package workflow

import (
	"encoding/json"
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

	publishRetries []bool   // the retry flag of every Publish
	publishes      int      // versions a publish created
	activations    []string // versions an Activate made live (effects)
	abandoned      []string // release ids given to Abandon
	tidied         []string // release ids given to Tidy
	testCalls      []platform.CallRequest
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
