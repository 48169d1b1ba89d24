package atomsim

import (
	"errors"
	"testing"
	"time"
)

// publishN publishes n more versions of a fresh agent (labels "v2"…) and
// returns the agent id and all version ids, oldest first.
func publishN(t *testing.T, e *env, n int, user string) (string, []string) {
	t.Helper()
	agentID := e.createAgent(map[string]any{"name": "versions"})
	ids := []string{e.activeVersion(agentID)}
	for i := range n {
		d := e.fork(agentID)
		e.must(200, "PATCH", "/agent/"+agentID+"/drafts/"+d+"/config", map[string]any{"firstMessage": string(rune('a' + i))})
		v := e.must(201, "POST", "/agent/"+agentID+"/drafts/"+d+"/publish", map[string]any{"label": "v" + string(rune('2'+i))}, "X-Atomsim-User: "+user)
		ids = append(ids, str(v.obj(t)["_id"]))
	}
	return agentID, ids
}

func TestListVersions(t *testing.T) {
	e := newEnv(t, Options{})
	agentID, ids := publishN(t, e, 4, "maria")
	e.must(200, "PATCH", "/agent/"+agentID+"/versions/"+ids[2], map[string]any{"isPinned": true})

	type list struct {
		Versions []map[string]any `json:"versions"`
		Total    int              `json:"total"`
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"?limit=2", []string{ids[4], ids[3]}},
		{"?limit=2&skip=3", []string{ids[1], ids[0]}},
		{"?isPinned=true", []string{ids[2]}},
		{"?isPinned=false&limit=1&skip=1", []string{ids[3]}},
		{"?skip=10", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var l list
			e.must(200, "GET", "/agent/"+agentID+"/versions"+tt.query, nil).data(t, &l)
			if l.Total != 5 {
				t.Errorf("total %d", l.Total)
			}
			var got []string
			for _, v := range l.Versions {
				got = append(got, str(v["_id"]))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	var l list
	e.must(200, "GET", "/agent/"+agentID+"/versions?limit=1", nil).data(t, &l)
	if v := l.Versions[0]; v["publishedByName"] != "maria" || v["activatedByName"] != nil || v["versionNumber"] != 5.0 {
		t.Errorf("names/number: %v %v %v", v["publishedByName"], v["activatedByName"], v["versionNumber"])
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?skip=-1", "?isPinned=yes"} {
		e.must(400, "GET", "/agent/"+agentID+"/versions"+q, nil)
	}
	golden(t, "versions_list.json", e.must(200, "GET", "/agent/"+agentID+"/versions?limit=2", nil).env.Data)
}

func TestGetAndPatchVersion(t *testing.T) {
	e := newEnv(t, Options{})
	agentID, ids := publishN(t, e, 1, "api")
	r := e.must(200, "GET", "/agent/"+agentID+"/versions/"+ids[1], nil).obj(t)
	rc := r["resolvedConfig"].(map[string]any)
	if len(rc) != 13 || rc["call_handling"].(map[string]any)["firstMessage"] != "a" ||
		rc["voice"].(map[string]any)["synthesizerSampleRate"] != 16000.0 {
		t.Fatalf("resolvedConfig %v", rc)
	}
	if _, ok := rc["workflow_tools"].(map[string]any)["tools"]; !ok {
		t.Error("no workflow_tools.tools")
	}
	tests := []struct {
		name   string
		body   map[string]any
		status int
		check  func(v map[string]any) bool
	}{
		{"label", map[string]any{"label": "Greeting"}, 200, func(v map[string]any) bool { return v["label"] == "Greeting" }},
		{"description and pin", map[string]any{"description": "why", "isPinned": true}, 200, func(v map[string]any) bool {
			return v["description"] == "why" && v["isPinned"] == true && v["label"] == "Greeting"
		}},
		{"nothing", map[string]any{}, 400, nil},
		{"config is not metadata", map[string]any{"firstMessage": "x"}, 400, nil},
		{"label too long", map[string]any{"label": string(make([]byte, 201))}, 400, nil},
		{"pin not bool", map[string]any{"isPinned": "yes"}, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.must(tt.status, "PATCH", "/agent/"+agentID+"/versions/"+ids[1], tt.body)
			if tt.check != nil && !tt.check(r.obj(t)) {
				t.Fatalf("version %s", r.raw)
			}
		})
	}
}

func TestSecurityCheckOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(e *env, agentID string) error
		afterPub  func(e *env, versionID string) error
		advance   time.Duration
		status    string
		activate  int
		errorText string
	}{
		{name: "passes after the delay", advance: 6 * time.Second, status: "passed", activate: 200},
		{name: "pending before the delay", advance: 5 * time.Second, status: "pending", activate: 400, errorText: "Security check pending for this version"},
		{
			name:    "fails when told to",
			setup:   func(e *env, id string) error { return e.sim.FailNextCheck(id, "failed", "prompt injection risk") },
			advance: 6 * time.Second, status: "failed", activate: 403, errorText: "Version failed security check",
		},
		{
			name:    "errors when told to",
			setup:   func(e *env, id string) error { return e.sim.FailNextCheck(id, "errored", "scanner timeout") },
			advance: 6 * time.Second, status: "errored", activate: 403, errorText: "Version failed security check",
		},
		{
			name:     "SetCheck holds it queued",
			afterPub: func(e *env, v string) error { return e.sim.SetCheck(v, "queued", "") },
			advance:  time.Hour, status: "queued", activate: 400, errorText: "Security check pending for this version",
		},
		{
			name:     "SetCheck passes it at once",
			afterPub: func(e *env, v string) error { return e.sim.SetCheck(v, "passed", "") },
			status:   "passed", activate: 200,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			agentID := e.createAgent(map[string]any{"name": "check"})
			if tt.setup != nil {
				if err := tt.setup(e, agentID); err != nil {
					t.Fatal(err)
				}
			}
			d := e.fork(agentID)
			v := str(e.must(201, "POST", "/agent/"+agentID+"/drafts/"+d+"/publish", nil).obj(t)["_id"])
			if tt.afterPub != nil {
				if err := tt.afterPub(e, v); err != nil {
					t.Fatal(err)
				}
			}
			e.clock.Advance(tt.advance)
			got := e.must(200, "GET", "/agent/"+agentID+"/versions/"+v, nil).obj(t)["version"].(map[string]any)
			check := got["securityCheck"].(map[string]any)
			if check["status"] != tt.status || (isFinal(tt.status) == (check["completedAt"] == nil)) {
				t.Fatalf("check %v", check)
			}
			r := e.must(tt.activate, "PATCH", "/agent/"+agentID+"/versions/"+v+"/activate", nil)
			if tt.errorText != "" && r.errText() != tt.errorText {
				t.Fatalf("activate: %s", r.raw)
			}
		})
	}
	// FailNextCheck is consumed by one publish.
	e := newEnv(t, Options{CheckDelay: -1})
	agentID := e.createAgent(map[string]any{"name": "once"})
	if err := e.sim.FailNextCheck(agentID, "failed", "r"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"failed", "passed"} {
		d := e.fork(agentID)
		v := e.must(201, "POST", "/agent/"+agentID+"/drafts/"+d+"/publish", nil).obj(t)
		if got := v["securityCheck"].(map[string]any)["status"]; got != want {
			t.Fatalf("check %v, want %s", got, want)
		}
	}
	if err := e.sim.FailNextCheck(agentID, "passed", ""); !errors.Is(err, ErrInvalidStatus) {
		t.Errorf("FailNextCheck(passed) = %v", err)
	}
	if err := e.sim.SetCheck("0123456789abcdef01234567", "passed", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetCheck(unknown) = %v", err)
	}
}

func TestActivateDirectAndRollback(t *testing.T) {
	e := newEnv(t, Options{})
	agentID, ids := publishN(t, e, 2, "api")
	if err := e.sim.ActivateDirect(agentID, ids[2], "dashboard-user"); !errors.Is(err, ErrCheckPending) {
		t.Fatalf("early ActivateDirect = %v", err)
	}
	e.clock.Advance(DefaultCheckDelay)
	if err := e.sim.ActivateDirect(agentID, ids[2], "dashboard-user"); err != nil {
		t.Fatal(err)
	}
	ag := e.must(200, "GET", "/agent/"+agentID, nil).obj(t)
	if ag["activeVersionId"] != ids[2] {
		t.Fatalf("active %v", ag["activeVersionId"])
	}
	// Rolling back to an older version is an ordinary activation.
	v := e.must(200, "PATCH", "/agent/"+agentID+"/versions/"+ids[0]+"/activate", nil).obj(t)
	if v["isActive"] != true || e.activeVersion(agentID) != ids[0] {
		t.Fatalf("rollback %v", v)
	}
	info, _ := e.sim.Agent(agentID)
	if info.Versions[2].ActivatedBy != "dashboard-user" || info.Versions[2].Active || !info.Versions[0].Active {
		t.Fatalf("info %+v", info.Versions)
	}
	if err := e.sim.ActivateDirect(agentID, "0123456789abcdef01234567", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown version = %v", err)
	}
}
