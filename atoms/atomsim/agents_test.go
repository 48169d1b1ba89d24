package atomsim

import (
	"fmt"
	"strings"
	"testing"
)

func TestCreateAgent(t *testing.T) {
	tests := []struct {
		name   string
		body   any
		status int
		text   string
	}{
		{"minimal", map[string]any{"name": "a"}, 201, ""},
		{"language with switching", map[string]any{"name": "a", "language": map[string]any{"switching": map[string]any{"isEnabled": false}}}, 201, ""},
		{"language without switching", map[string]any{"name": "a", "language": map[string]any{"default": "en", "supported": []any{"en"}}}, 400, "Invalid Input: Required"},
		{"workflow graph", map[string]any{"name": "a", "workflowType": "workflow_graph", "globalPrompt": "g"}, 201, ""},
		{"bad workflow type", map[string]any{"name": "a", "workflowType": "graph"}, 400, "workflowType"},
		{"no name", map[string]any{"firstMessage": "hi"}, 400, "name: Required"},
		{"null field", map[string]any{"name": "a", "firstMessage": nil}, 400, "received null"},
	}
	e := newEnv(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.must(tt.status, "POST", "/agent", tt.body)
			if tt.status != 201 {
				if r.errText() != tt.text && !strings.Contains(r.errText(), tt.text) {
					t.Fatalf("errors %q, want %q", r.errText(), tt.text)
				}
				return
			}
			var id string
			r.data(t, &id)
			info, ok := e.sim.Agent(id)
			if !ok || len(info.Versions) != 1 || info.ActiveVersionID != info.Versions[0].ID ||
				info.Versions[0].CheckStatus != "passed" || info.Versions[0].Number != 1 {
				t.Fatalf("agent %+v", info)
			}
		})
	}
}

func TestCreateConfigBecomesV1(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.createAgent(map[string]any{
		"name": "cfg", "firstMessage": "Welcome", "slmModel": "gpt-4o",
		"singlePromptConfig": map[string]any{"prompt": "Be kind."},
		"synthesizer":        map[string]any{"voiceConfig": map[string]any{"voiceId": "emily"}},
		"language":           map[string]any{"supported": []any{"en", "hi"}, "switching": map[string]any{"isEnabled": true}},
	})
	ag := e.must(200, "GET", "/agent/"+id, nil).obj(t)
	rc := ag["_resolvedConfig"].(map[string]any)
	checks := map[string]any{
		"prompt": "Be kind.", "firstMessage": "Welcome", "slmModel": "gpt-4o", "modelName": "gpt-4o",
		"defaultLanguage": "en", "transcriberType": "pulse", "workflowGraph": nil, "globalPrompt": "",
	}
	for k, want := range checks {
		if rc[k] != want {
			t.Errorf("_resolvedConfig.%s = %v, want %v", k, rc[k], want)
		}
	}
	if got := fmt.Sprint(rc["supportedLanguages"]); got != "[en hi]" {
		t.Errorf("supportedLanguages %s", got)
	}
	if rc["languageSwitching"].(map[string]any)["isEnabled"] != true || rc["synthesizer"].(map[string]any)["sampleRate"] != 16000.0 {
		t.Errorf("languageSwitching/synthesizer %v %v", rc["languageSwitching"], rc["synthesizer"])
	}
	if _, ok := rc["postCallAnalyticsConfig"]; !ok {
		t.Error("_resolvedConfig lacks postCallAnalyticsConfig")
	}
	// Top-level mirror, with postCallAnalyticsConfig stripped.
	if ag["firstMessage"] != "Welcome" || ag["slmModel"] != "gpt-4o" {
		t.Errorf("top-level mirror: %v %v", ag["firstMessage"], ag["slmModel"])
	}
	if _, ok := ag["postCallAnalyticsConfig"]; ok {
		t.Error("postCallAnalyticsConfig at the top level")
	}
	if _, ok := ag["_configSource"]; ok {
		t.Error("_configSource without a draftId/versionId query")
	}
}

func TestGetAgentErrors(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.createAgent(map[string]any{"name": "x"})
	unknown := "0123456789abcdef01234567"
	tests := []struct {
		name, method, path string
		status             int
		text               string
	}{
		{"unknown agent on GET", "GET", "/agent/" + unknown, 400, "No agent found"},
		{"bad id on GET", "GET", "/agent/connect", 400, "Invalid agent id"},
		{"upper-case hex is not an ObjectId", "GET", "/agent/" + strings.ToUpper(id), 400, "Invalid agent id"},
		{"unknown agent on drafts", "GET", "/agent/" + unknown + "/drafts", 404, "Agent not found"},
		{"unknown agent on versions", "GET", "/agent/" + unknown + "/versions", 404, "Agent not found"},
		{"bad id on versions", "GET", "/agent/nope/versions", 400, "Invalid agent id"},
		{"unknown draftId query", "GET", "/agent/" + id + "?draftId=nope", 404, "Draft not found"},
		{"bad versionId query", "GET", "/agent/" + id + "?versionId=nope", 400, "Invalid version id"},
		{"unknown version", "GET", "/agent/" + id + "/versions/" + unknown, 404, "Version not found"},
		{"unknown archive", "DELETE", "/agent/" + unknown + "/archive", 404, "Agent not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.must(tt.status, tt.method, tt.path, nil)
			if r.errText() != tt.text {
				t.Fatalf("errors %q, want %q", r.errText(), tt.text)
			}
		})
	}
}

func TestUnknownRoutesAreHTML(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.createAgent(map[string]any{"name": "x"})
	tests := []struct{ method, path, shown string }{
		{"GET", "/organization", "GET /atoms/v1/organization"},
		{"GET", "/atoms/v1/organization?x=1", "GET /atoms/v1/organization"},
		{"DELETE", "/agent/" + id, "DELETE /atoms/v1/agent/" + id},
		{"PUT", "/agent/" + id, "PUT /atoms/v1/agent/" + id},
		{"POST", "/agent/" + id + "/versions", "POST /atoms/v1/agent/" + id + "/versions"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			r := e.must(404, tt.method, tt.path, nil)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("content-type %q", ct)
			}
			if !strings.Contains(string(r.raw), "<pre>Cannot "+tt.shown+"</pre>") {
				t.Errorf("body %s", r.raw)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no x-request-id")
			}
		})
	}
}

func TestListAgents(t *testing.T) {
	e := newEnv(t, Options{})
	for i := range 12 {
		e.createAgent(map[string]any{"name": fmt.Sprintf("agent-%02d", i)})
		e.clock.Advance(1e9)
	}
	e.createAgent(map[string]any{"name": "Support-Concierge"})
	archived := e.createAgent(map[string]any{"name": "retired-support"})
	e.must(200, "DELETE", "/agent/"+archived+"/archive", nil)

	type page struct {
		Agents          []map[string]any `json:"agents"`
		TotalCount      int              `json:"totalCount"`
		TotalPages      int              `json:"totalPages"`
		HasMore         bool             `json:"hasMore"`
		IsSearchResults bool             `json:"isSearchResults"`
	}
	tests := []struct {
		query           string
		n, total, pages int
		more, search    bool
		first           string
	}{
		{"", 10, 13, 2, true, false, "Support-Concierge"},
		{"?page=2", 3, 13, 2, false, false, "agent-02"},
		{"?page=2&offset=5", 5, 13, 3, true, false, "agent-07"},
		{"?offset=100000000", 13, 13, 1, false, false, "Support-Concierge"},
		{"?search=SUPPORT", 1, 1, 1, false, true, "Support-Concierge"},
		{"?archived=true", 1, 1, 1, false, false, "retired-support"},
		{"?archived=true&search=concierge", 0, 0, 0, false, true, ""},
		{"?sortField=name&sortOrder=asc&offset=1", 1, 13, 13, true, false, "agent-00"},
		{"?page=9", 0, 13, 2, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var p page
			r := e.must(200, "GET", "/agent"+tt.query, nil)
			r.data(t, &p)
			if len(p.Agents) != tt.n || p.TotalCount != tt.total || p.TotalPages != tt.pages || p.HasMore != tt.more || p.IsSearchResults != tt.search {
				t.Fatalf("got n=%d total=%d pages=%d more=%v search=%v", len(p.Agents), p.TotalCount, p.TotalPages, p.HasMore, p.IsSearchResults)
			}
			if tt.n > 0 && p.Agents[0]["name"] != tt.first {
				t.Errorf("first %v, want %s", p.Agents[0]["name"], tt.first)
			}
			for _, a := range p.Agents {
				if _, ok := a["_resolvedConfig"]; ok {
					t.Fatal("list item carries _resolvedConfig")
				}
			}
		})
	}
	e.must(400, "GET", "/agent?page=0", nil)
	e.must(400, "GET", "/agent?offset=abc", nil)
	e.must(200, "GET", "/agent/", nil) // Express is not strict about the trailing slash
}

func TestArchiveAndOutbound(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.createAgent(map[string]any{"name": "caller"})
	outbound := func(body map[string]any) reply { return e.do("POST", "/conversation/outbound", body) }
	tests := []struct {
		name   string
		body   map[string]any
		status int
		text   string
	}{
		{"ok", map[string]any{"agentId": id, "phoneNumber": "+919876543210", "variables": map[string]any{"name": "Ann", "due": 42}}, 200, ""},
		{"bad agent id", map[string]any{"agentId": "x", "phoneNumber": "+14155550100"}, 400, "Invalid agent id"},
		{"not E.164", map[string]any{"agentId": id, "phoneNumber": "4155550100"}, 400, "Invalid phone number"},
		{"unknown agent", map[string]any{"agentId": "0123456789abcdef01234567", "phoneNumber": "+14155550100"}, 400, "Agent not found"},
		{"bad product", map[string]any{"agentId": id, "phoneNumber": "+14155550100", "fromProductId": "p"}, 400, "Invalid product id"},
		{"nested variables", map[string]any{"agentId": id, "phoneNumber": "+14155550100", "variables": map[string]any{"a": map[string]any{}}}, 400, "variables.a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := outbound(tt.body)
			if r.status != tt.status || (tt.text != "" && !strings.Contains(r.errText(), tt.text)) {
				t.Fatalf("%d %s", r.status, r.raw)
			}
		})
	}
	if info, _ := e.sim.Agent(id); info.TotalCalls != 1 || len(e.sim.Conversations()) != 1 {
		t.Fatalf("calls %d, conversations %d", info.TotalCalls, len(e.sim.Conversations()))
	}

	steps := []struct {
		path   string
		status int
		text   string
	}{
		{"/archive", 200, ""},
		{"/archive?on=true", 409, "Agent is already archived"},
		{"/archive?on=false", 200, ""},
		{"/archive?on=false", 409, "Agent is already active"},
		{"/archive?on=maybe", 400, "on:"},
		{"/archive", 200, ""},
	}
	for _, s := range steps {
		r := e.must(s.status, "DELETE", "/agent/"+id+s.path, nil)
		if s.text != "" && !strings.Contains(r.errText(), s.text) {
			t.Fatalf("%s: %s", s.path, r.raw)
		}
	}
	r := outbound(map[string]any{"agentId": id, "phoneNumber": "+14155550100"})
	if r.status != 400 || r.errText() != "Agent is archived and cannot initiate calls" {
		t.Fatalf("archived outbound: %d %s", r.status, r.raw)
	}
	if ag := e.must(200, "GET", "/agent/"+id, nil).obj(t); ag["archived"] != true || ag["archivedAt"] == nil {
		t.Fatalf("archived agent: %v %v", ag["archived"], ag["archivedAt"])
	}
}

func TestUpdateAgentMetadata(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.createAgent(map[string]any{"name": "meta"})
	e.must(200, "PATCH", "/agent/"+id, map[string]any{"name": "renamed", "description": "d"})
	r := e.must(400, "PATCH", "/agent/"+id, map[string]any{"firstMessage": "x"})
	if !strings.Contains(r.errText(), "versioning enabled") {
		t.Fatalf("config on PATCH /agent: %s", r.raw)
	}
	if ag := e.must(200, "GET", "/agent/"+id, nil).obj(t); ag["name"] != "renamed" || ag["description"] != "d" {
		t.Fatalf("agent %v %v", ag["name"], ag["description"])
	}
}

func TestGetAgentGolden(t *testing.T) {
	e := newEnv(t, Options{})
	if _, err := e.sim.SeedDemo(); err != nil {
		t.Fatal(err)
	}
	info := e.sim.Agents()[0]
	golden(t, "get_agent.json", e.must(200, "GET", "/agent/"+info.ID, nil).env.Data)
	golden(t, "get_agent_draft.json", e.must(200, "GET", "/agent/"+info.ID+"?draftId="+info.Drafts[0].DraftID, nil).env.Data)
}
