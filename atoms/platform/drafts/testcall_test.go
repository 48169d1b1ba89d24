package drafts

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/adaptertest"
)

const phone = "+15551234567"

// callPosts are the requests that place a call, as "POST path".
func (e *env) callPosts() []atomsim.Call { return e.w.CallPosts() }

func bodyOf(t *testing.T, c atomsim.Call) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(c.Body, &m); err != nil {
		t.Fatalf("body of %s %s: %v: %s", c.Method, c.Path, err, c.Body)
	}
	return m
}

// TestTestCallTargets: each target goes to its own route with the body the
// API takes, and the simulator's phone rings with exactly that target:
// the live version through an outbound call marked x-test-call, a draft on
// the draft route, a version (and a promotion's release) on the version
// route. Nothing live changes.
func TestTestCallTargets(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("calls")
	d := e.draft(id, v1, "Draft greeting")
	v2 := e.published(id, v1, "Second")
	tests := []struct {
		name   string
		req    platform.CallRequest
		path   string
		body   map[string]any
		target string
	}{
		{"the live version", platform.CallRequest{AgentID: id, Phone: phone}, "/conversation/outbound",
			map[string]any{"agentId": id, "phoneNumber": phone}, v1},
		{"a draft", platform.CallRequest{AgentID: id, DraftID: d, Phone: phone}, "/agent/" + id + "/drafts/" + d + "/test-call",
			map[string]any{"mode": "telephony", "toPhone": phone}, atomsim.DraftTarget(d)},
		{"a version", platform.CallRequest{AgentID: id, VersionID: v2, Phone: phone}, "/agent/" + id + "/versions/" + v2 + "/test-call",
			map[string]any{"mode": "telephony", "toPhone": phone}, v2},
		{"a promotion's release", platform.CallRequest{AgentID: id, Phone: phone,
			Release: &platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_1", DraftID: d, VersionID: v2, Base: v1}},
			"/agent/" + id + "/versions/" + v2 + "/test-call", map[string]any{"mode": "telephony", "toPhone": phone}, v2},
		{"a release of an older record (no model)", platform.CallRequest{AgentID: id, Phone: phone,
			Release: &platform.Release{AgentID: id, ID: "pr_0", VersionID: v2}},
			"/agent/" + id + "/versions/" + v2 + "/test-call", map[string]any{"mode": "telephony", "toPhone": phone}, v2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetCalls()
			before := len(e.sim.Conversations())
			call, err := e.a.TestCall(ctx, tt.req)
			if err != nil {
				t.Fatalf("TestCall: %v", err)
			}
			posts := e.callPosts()
			if len(posts) != 1 || posts[0].Path != tt.path {
				t.Fatalf("call requests %+v, want one to %s", posts, tt.path)
			}
			body := bodyOf(t, posts[0])
			if len(body) != len(tt.body) {
				t.Errorf("body %v, want %v", body, tt.body)
			}
			for k, v := range tt.body {
				if body[k] != v {
					t.Errorf("body[%s] = %v, want %v (body %v)", k, body[k], v, body)
				}
			}
			if tt.path == "/conversation/outbound" && posts[0].Header.Get("X-Test-Call") != "true" {
				t.Errorf("the outbound call is not marked x-test-call: %v", posts[0].Header)
			}
			convs := e.sim.Conversations()
			if len(convs) != before+1 {
				t.Fatalf("%d calls placed", len(convs)-before)
			}
			c := convs[len(convs)-1]
			if c.ID != call.ConversationID || c.VersionID != tt.target || c.PhoneNumber != phone || !c.Test || c.Mode != "telephony" {
				t.Errorf("placed %+v (answer %+v), want a telephony test call of %s", c, call, tt.target)
			}
			for _, w := range e.writes() {
				if !strings.HasSuffix(w, "/test-call") && w != "POST /conversation/outbound" {
					t.Errorf("a test call wrote %s", w)
				}
			}
			if got := e.agentInfo(id).ActiveVersionID; got != v1 {
				t.Errorf("the active version moved to %s", got)
			}
		})
	}
}

// TestTestCallRefusedBeforeCalling: a version (or a release) whose security
// check failed, a release not published yet, a release of the other model:
// refused in words, with no call request sent.
func TestTestCallRefusedBeforeCalling(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("refusals")
	v2 := e.published(id, v1, "Leaky")
	const reason = "prompt asks for card numbers"
	if err := e.sim.SetCheck(v2, "failed", reason); err != nil {
		t.Fatal(err)
	}
	v3 := e.published(id, v1, "Errored")
	if err := e.sim.SetCheck(v3, "errored", "scanner crashed"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		req   platform.CallRequest
		kind  error
		words []string
	}{
		{"a version whose check failed", platform.CallRequest{AgentID: id, VersionID: v2, Phone: phone}, platform.ErrRefused,
			[]string{"v2", "security check", reason}},
		{"a version whose check errored", platform.CallRequest{AgentID: id, VersionID: v3, Phone: phone}, platform.ErrRefused,
			[]string{"v3", "security check", "scanner crashed"}},
		{"a release whose version failed", platform.CallRequest{AgentID: id, Phone: phone,
			Release: &platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_1", VersionID: v2}}, platform.ErrRefused,
			[]string{"security check", reason}},
		{"a release not published yet", platform.CallRequest{AgentID: id, Phone: phone,
			Release: &platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_2"}}, platform.ErrBusy, []string{"published"}},
		{"a release of the branch model", platform.CallRequest{AgentID: id, Phone: phone,
			Release: &platform.Release{Model: platform.ModelV2, AgentID: id, ID: "pr_3", VersionID: v1}}, platform.ErrWrongModel, nil},
		{"an unknown version", platform.CallRequest{AgentID: id, VersionID: "6900000000000000000000ff", Phone: phone}, platform.ErrNotFound, nil},
		{"an unknown draft", platform.CallRequest{AgentID: id, DraftID: "nosuchdraft", Phone: phone}, platform.ErrNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			convs := len(e.sim.Conversations())
			e.sim.ResetCalls()
			_, err := e.a.TestCall(ctx, tt.req)
			isKind(t, err, tt.kind)
			for _, w := range tt.words {
				if !strings.Contains(platform.Explain(err), w) {
					t.Errorf("%q lacks %q", platform.Explain(err), w)
				}
			}
			if n := len(e.sim.Conversations()); n != convs {
				t.Errorf("%d calls placed", n-convs)
			}
			if strings.Contains(tt.name, "unknown draft") {
				return // the draft route itself answers 404, placing nothing
			}
			if posts := e.callPosts(); len(posts) != 0 {
				t.Errorf("call requests sent: %+v", posts)
			}
		})
	}
}

// TestTestCallUnclearNotRetried: a call whose answer is lost — after it was
// placed, or before — is reported as unclear (platform.ErrUnclear, it may
// have rung) and never sent twice, whatever the target.
func TestTestCallUnclearNotRetried(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("unclear")
	d := e.draft(id, v1, "Draft greeting")
	v2 := e.published(id, v1, "Second")
	adaptertest.UnclearCallsNeverRepeat(t, e.w, e.a, []adaptertest.Target{
		{Name: "live", Req: platform.CallRequest{AgentID: id, Phone: phone}},
		{Name: "draft", Req: platform.CallRequest{AgentID: id, DraftID: d, Phone: phone}},
		{Name: "version", Req: platform.CallRequest{AgentID: id, VersionID: v2, Phone: phone}},
	})
}

// TestTestCallArchivedAgent: Atoms places no call for an archived agent;
// the refusal is clear (not unclear, not temporary) and in words.
func TestTestCallArchivedAgent(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("archived")
	d := e.draft(id, v1, "Draft greeting")
	if err := e.c.ArchiveAgent(ctx, id, true); err != nil {
		t.Fatal(err)
	}
	for _, req := range []platform.CallRequest{
		{AgentID: id, Phone: phone},
		{AgentID: id, DraftID: d, Phone: phone},
		{AgentID: id, VersionID: v1, Phone: phone},
		{AgentID: id, Phone: phone, Release: &platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_1", VersionID: v1}},
	} {
		_, err := e.a.TestCall(ctx, req)
		isKind(t, err, platform.ErrRefused)
		if platform.Temporary(err) || !strings.Contains(platform.Explain(err), "archived") {
			t.Errorf("%+v: %q (temporary %v)", req, platform.Explain(err), platform.Temporary(err))
		}
		if strings.Contains(platform.Explain(err), phone) {
			t.Errorf("the refusal shows the number: %q", platform.Explain(err))
		}
	}
	if n := len(e.sim.Conversations()); n != 0 {
		t.Errorf("%d calls placed for an archived agent", n)
	}
}
