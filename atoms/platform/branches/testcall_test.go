package branches

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/adaptertest"
)

const phone = "+15551234567"

// callPosts are the requests that place a call.
func (e *env) callPosts() []atomsim.Call { return e.w.CallPosts() }

func bodyOf(t *testing.T, c atomsim.Call) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("body of %s %s: %v: %s", c.Method, c.Path, err, c.Body)
	}
	return m
}

// callWorld is an agent with Main live at rev1, a feature branch with a
// revision of its own and an open draft.
type callWorld struct {
	id, mainID, rev1 string
	feature, featRev string
	featDraft        string
}

func (e *env) callWorld() callWorld {
	e.t.Helper()
	id, mainID, rev1 := e.agent("calls")
	feature := e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Feature v1"})
	revs, _ := e.sim.Revisions(id, feature)
	if len(revs) != 1 {
		e.t.Fatalf("feature revisions %+v", revs)
	}
	e.edit(id, feature, map[string]any{"firstMessage": "Feature draft"})
	return callWorld{id: id, mainID: mainID, rev1: rev1, feature: feature, featRev: revs[0].ID, featDraft: e.branch(id, feature).DraftID}
}

// TestTestCallTargets: each target goes to the right route with the right
// body and rings exactly that configuration: the live version through an
// outbound call marked x-test-call; a branch's open draft (includeDraft);
// a revision on its own branch (revisionId), of the live branch or
// another; a release's staged draft while it is scanned and its revision
// once committed. Nothing live changes.
func TestTestCallTargets(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	w := e.callWorld()
	e.edit(w.id, w.mainID, map[string]any{"firstMessage": "Main draft"})
	scanning := e.publish(e.stage(w.id, w.mainID, "pr_1", w.rev1))
	stage := decodeToken(scanning.Token).Stage
	stageDraft := e.branch(w.id, stage).DraftID
	if scanning.VersionID != "" || stageDraft == "" || stage == w.mainID {
		t.Fatalf("staged release %+v, stage %s draft %q", scanning, stage, stageDraft)
	}
	routeOf := func(branch string) string { return "/agent/" + w.id + "/branches/" + branch + "/test-call" }
	tests := []struct {
		name   string
		req    func() platform.CallRequest
		path   string
		body   map[string]any
		target func() string
	}{
		{"the live version", func() platform.CallRequest { return platform.CallRequest{AgentID: w.id, Phone: phone} },
			"/conversation/outbound", map[string]any{"agentId": w.id, "phoneNumber": phone}, func() string { return w.rev1 }},
		{"a branch's draft", func() platform.CallRequest {
			return platform.CallRequest{AgentID: w.id, DraftID: w.feature, Phone: phone}
		},
			routeOf(w.feature), map[string]any{"includeDraft": true, "mode": "telephony", "toPhone": phone}, func() string { return atomsim.DraftTarget(w.featDraft) }},
		{"a revision of another branch", func() platform.CallRequest {
			return platform.CallRequest{AgentID: w.id, VersionID: w.featRev, Phone: phone}
		}, routeOf(w.feature), map[string]any{"revisionId": w.featRev, "mode": "telephony", "toPhone": phone}, func() string { return w.featRev }},
		{"a revision of the live branch", func() platform.CallRequest {
			return platform.CallRequest{AgentID: w.id, VersionID: w.rev1, Phone: phone}
		}, routeOf(w.mainID), map[string]any{"revisionId": w.rev1, "mode": "telephony", "toPhone": phone}, func() string { return w.rev1 }},
		{"a release being scanned", func() platform.CallRequest {
			return platform.CallRequest{AgentID: w.id, Release: &scanning, Phone: phone}
		}, routeOf(stage), map[string]any{"includeDraft": true, "mode": "telephony", "toPhone": phone}, func() string { return atomsim.DraftTarget(stageDraft) }},
	}
	run := func(t *testing.T, req platform.CallRequest, path string, want map[string]any, target string) {
		t.Helper()
		e.sim.ResetCalls()
		before := len(e.sim.Conversations())
		call, err := e.a.TestCall(ctx, req)
		if err != nil {
			t.Fatalf("TestCall: %v", err)
		}
		posts := e.callPosts()
		if len(posts) != 1 || posts[0].Path != path {
			t.Fatalf("call requests %+v, want one to %s", posts, path)
		}
		body := bodyOf(t, posts[0])
		if len(body) != len(want) {
			t.Errorf("body %v, want %v", body, want)
		}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("body[%s] = %v, want %v (body %v)", k, body[k], v, body)
			}
		}
		if path == "/conversation/outbound" && posts[0].Header.Get("X-Test-Call") != "true" {
			t.Errorf("the outbound call is not marked x-test-call: %v", posts[0].Header)
		}
		convs := e.sim.Conversations()
		if len(convs) != before+1 {
			t.Fatalf("%d calls placed", len(convs)-before)
		}
		c := convs[len(convs)-1]
		if c.ID != call.ConversationID || c.VersionID != target || c.PhoneNumber != phone || !c.Test {
			t.Errorf("placed %+v (answer %+v), want a test call of %s", c, call, target)
		}
		for _, wr := range e.writes() {
			if !strings.HasSuffix(wr, "/test-call") && wr != "POST /conversation/outbound" {
				t.Errorf("a test call wrote %s", wr)
			}
		}
		if live := e.live(w.id); live.ID != w.mainID || live.HeadRevisionID != w.rev1 {
			t.Errorf("live moved: %+v", live)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { run(t, tt.req(), tt.path, tt.body, tt.target()) })
	}
	t.Run("a release once committed", func(t *testing.T) {
		e.clock.Advance(checkDelay)
		r := scanning
		for i := 0; r.VersionID == "" && i < 10; i++ {
			r = e.refresh(r)
			e.clock.Advance(time.Second)
		}
		if r.VersionID == "" || r.Check.Outcome() != platform.CheckPassed {
			t.Fatalf("not committed: %+v", r)
		}
		run(t, platform.CallRequest{AgentID: w.id, Release: &r, Phone: phone}, routeOf(stage),
			map[string]any{"revisionId": r.VersionID, "mode": "telephony", "toPhone": phone}, r.VersionID)
	})
}

// TestTestCallRefusedBeforeCalling: what failed its security check — a
// branch's draft whose last scan failed, a revision, a release as the
// engine recorded it — is refused with the reason, with no call request
// sent; so are a branch without an open draft, an unknown revision and a
// release of the other model.
func TestTestCallRefusedBeforeCalling(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	w := e.callWorld()
	const reason = "prompt asks for card numbers"
	// The feature's draft is published and its scan fails: the draft stays
	// open with the failed check.
	if err := e.sim.SetScanOutcome(w.id, w.feature, "fail", reason); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.DashboardPublish(w.id, w.feature, nil, "Mei"); err == nil {
		t.Fatal("the scan did not fail")
	}
	if err := e.sim.SetCheck(w.featRev, "failed", reason); err != nil {
		t.Fatal(err)
	}
	bare := e.fork(w.id, w.mainID, "bare", nil)
	tests := []struct {
		name  string
		req   platform.CallRequest
		kind  error
		words []string
	}{
		{"a draft whose scan failed", platform.CallRequest{AgentID: w.id, DraftID: w.feature, Phone: phone}, platform.ErrRefused,
			[]string{"security check", reason}},
		{"a revision whose check failed", platform.CallRequest{AgentID: w.id, VersionID: w.featRev, Phone: phone}, platform.ErrRefused,
			[]string{"feature/v1", "security check", reason}},
		{"a release recorded as failed", platform.CallRequest{AgentID: w.id, Phone: phone, Release: &platform.Release{
			Model: platform.ModelV2, AgentID: w.id, ID: "pr_1", VersionID: w.featRev, Ref: "feature/v1",
			Check: platform.Check{Status: "failed", Reason: reason}, Token: token{Stage: w.feature}.encode()}}, platform.ErrRefused,
			[]string{"feature/v1", "security check", reason}},
		{"a branch without an open draft", platform.CallRequest{AgentID: w.id, DraftID: bare, Phone: phone}, platform.ErrNotFound,
			[]string{"no open draft"}},
		{"an unknown revision", platform.CallRequest{AgentID: w.id, VersionID: "6900000000000000000000ff", Phone: phone}, platform.ErrNotFound, nil},
		{"a release of v1", platform.CallRequest{AgentID: w.id, Phone: phone, Release: &platform.Release{
			Model: platform.ModelV1, AgentID: w.id, ID: "pr_2", VersionID: w.rev1}}, platform.ErrWrongModel, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			convs := len(e.sim.Conversations())
			e.sim.ResetCalls()
			_, err := e.a.TestCall(ctx, tt.req)
			isKind(t, err, tt.kind)
			for _, wd := range tt.words {
				if !strings.Contains(platform.Explain(err), wd) {
					t.Errorf("%q lacks %q", platform.Explain(err), wd)
				}
			}
			if posts := e.callPosts(); len(posts) != 0 {
				t.Errorf("call requests sent: %+v", posts)
			}
			if n := len(e.sim.Conversations()); n != convs {
				t.Errorf("%d calls placed", n-convs)
			}
		})
	}
}

// TestTestCallReleaseAfterScanFailed: the scan of a release's staged draft
// failed after the engine last refreshed it (its record says queued). The
// call must still be refused with the reason: the draft failed its check.
func TestTestCallReleaseAfterScanFailed(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	w := e.callWorld()
	const reason = "prompt asks for card numbers"
	if err := e.sim.SetScanOutcome(w.id, w.feature, "fail", reason); err != nil {
		t.Fatal(err)
	}
	r := e.publish(e.stage(w.id, w.feature, "pr_1", w.rev1))
	e.clock.Advance(checkDelay) // the scan fails; no Refresh
	if b := e.branch(w.id, w.feature); b.CheckStatus != "failed" || b.DraftID == "" {
		t.Fatalf("feature after the scan: %+v", b)
	}
	e.sim.ResetCalls()
	_, err := e.a.TestCall(ctx, platform.CallRequest{AgentID: w.id, Release: &r, Phone: phone})
	if n := len(e.sim.Conversations()); n != 0 {
		t.Errorf("the draft whose scan failed was called: %+v", e.sim.Conversations())
	}
	if err == nil {
		t.Fatal("TestCall of a release whose scan failed succeeded")
	}
	isKind(t, err, platform.ErrRefused)
	if !strings.Contains(platform.Explain(err), reason) {
		t.Errorf("%q does not say why", platform.Explain(err))
	}
}

// TestTestCallReleaseAfterCommit: the scan committed the staged draft after
// the engine last refreshed the release (its record names no revision
// yet). The call plays the committed revision, what the approvers are
// shown: not refused for the draft being gone, and never a draft someone
// opened on the branch since.
func TestTestCallReleaseAfterCommit(t *testing.T) {
	tests := []struct {
		name     string
		newDraft bool
	}{
		{"the draft is gone", false},
		{"a new draft was opened since", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{})
			w := e.callWorld()
			r := e.publish(e.stage(w.id, w.feature, "pr_1", w.rev1))
			e.clock.Advance(checkDelay) // committed; no Refresh
			revs, _ := e.sim.Revisions(w.id, w.feature)
			if len(revs) != 2 {
				t.Fatalf("feature revisions %+v", revs)
			}
			committed := revs[len(revs)-1].ID
			if tt.newDraft {
				e.edit(w.id, w.feature, map[string]any{"firstMessage": "Not what the approvers saw"})
			}
			call, err := e.a.TestCall(ctx, platform.CallRequest{AgentID: w.id, Release: &r, Phone: phone})
			if err != nil {
				t.Fatalf("TestCall: %v (%s)", err, platform.Explain(err))
			}
			convs := e.sim.Conversations()
			if len(convs) != 1 || convs[0].ID != call.ConversationID || convs[0].VersionID != committed {
				t.Errorf("placed %+v, want a call of the committed revision %s", convs, committed)
			}
		})
	}
}

// scanEndsBeforeCall is the adapter's client with the simulator's clock
// moved past the scan just before each branch test call: the scan commits
// between the adapter's read of the release and its call.
type scanEndsBeforeCall struct {
	Client
	clock *atomsim.Clock
}

func (c scanEndsBeforeCall) BranchTestCall(ctx context.Context, agentID, branchID string, req atoms.TestCallRequest) (*atoms.TestCallResult, error) {
	c.clock.Advance(checkDelay)
	return c.Client.BranchTestCall(ctx, agentID, branchID, req)
}

// TestTestCallReleaseCommitsDuringTheCall: the adapter read the release as
// scanning, and the scan committed before its call reached Atoms, which
// answers 404 "no open draft". The release is read again and the committed
// revision rung, once: not refused with "no open draft".
func TestTestCallReleaseCommitsDuringTheCall(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	w := e.callWorld()
	r := e.publish(e.stage(w.id, w.feature, "pr_1", w.rev1))
	if r.VersionID != "" {
		t.Fatalf("the release is not scanning: %+v", r)
	}
	a := New(scanEndsBeforeCall{Client: e.c, clock: e.clock}, e.clock.Now)
	e.sim.ResetCalls()
	call, err := a.TestCall(ctx, platform.CallRequest{AgentID: w.id, Release: &r, Phone: phone})
	if err != nil {
		t.Fatalf("TestCall: %v (%s)", err, platform.Explain(err))
	}
	revs, _ := e.sim.Revisions(w.id, w.feature)
	committed := revs[len(revs)-1].ID
	convs := e.sim.Conversations()
	if len(convs) != 1 || convs[0].ID != call.ConversationID || convs[0].VersionID != committed {
		t.Errorf("placed %+v, want one call of the committed revision %s", convs, committed)
	}
	if posts := e.callPosts(); len(posts) != 2 {
		t.Errorf("%d call requests, want the refused one and the revision's: %+v", len(posts), posts)
	}
}

// TestTestCallUnclearNotRetried: a call whose answer is lost — after it was
// placed, or before — is reported as unclear (platform.ErrUnclear) and never
// sent twice, whatever the target.
func TestTestCallUnclearNotRetried(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	w := e.callWorld()
	adaptertest.UnclearCallsNeverRepeat(t, e.w, e.a, []adaptertest.Target{
		{Name: "live", Req: platform.CallRequest{AgentID: w.id, Phone: phone}},
		{Name: "draft", Req: platform.CallRequest{AgentID: w.id, DraftID: w.feature, Phone: phone}},
		{Name: "revision", Req: platform.CallRequest{AgentID: w.id, VersionID: w.featRev, Phone: phone}},
	})
}

// TestTestCallArchivedAgent: Atoms places no call for an archived agent,
// whatever the target; the refusal is clear and in words.
func TestTestCallArchivedAgent(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	w := e.callWorld()
	e.edit(w.id, w.mainID, map[string]any{"firstMessage": "Main draft"})
	r := e.publish(e.stage(w.id, w.mainID, "pr_1", w.rev1))
	if err := e.c.ArchiveAgent(ctx, w.id, true); err != nil {
		t.Fatal(err)
	}
	for _, req := range []platform.CallRequest{
		{AgentID: w.id, Phone: phone},
		{AgentID: w.id, DraftID: w.feature, Phone: phone},
		{AgentID: w.id, VersionID: w.featRev, Phone: phone},
		{AgentID: w.id, Release: &r, Phone: phone},
	} {
		_, err := e.a.TestCall(ctx, req)
		isKind(t, err, platform.ErrRefused)
		if platform.Temporary(err) || !strings.Contains(platform.Explain(err), "archived") {
			t.Errorf("%+v: %q (temporary %v)", req, platform.Explain(err), platform.Temporary(err))
		}
	}
	if n := len(e.sim.Conversations()); n != 0 {
		t.Errorf("%d calls placed for an archived agent", n)
	}
}
