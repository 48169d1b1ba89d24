package atoms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"testing"
)

// endpointCases: every client method, what it must send and how it reads
// the answer. body "" means no body; otherwise the JSON must match exactly
// (as values, so key order does not matter).
var endpointCases = []struct {
	name   string
	answer string // data of a 200/201 answer
	call   func(context.Context, *Client) (any, error)
	method string
	path   string
	query  url.Values
	body   string
	check  func(t *testing.T, got any)
}{
	{
		name: "CreateAgent minimal", answer: `"60d0fe4f5311236168a109ca"`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.CreateAgent(ctx, CreateAgentRequest{Name: "lifecycle-demo"})
		},
		method: "POST", path: "/agent", body: `{"name":"lifecycle-demo"}`,
		check: wantValue("60d0fe4f5311236168a109ca"),
	},
	{
		name: "CreateAgent with language and config", answer: `{"_id":"60d0fe4f5311236168a109cb"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.CreateAgent(ctx, CreateAgentRequest{
				Name: "demo", WorkflowType: SinglePrompt,
				Language: &Language{Default: "en", Supported: []string{"en", "hi"}},
				Config:   ConfigPatch{FirstMessage: ptr("Hello"), Extra: Extra{"backgroundSound": json.RawMessage(`"office"`), "timezone": json.RawMessage(`null`)}},
			})
		},
		method: "POST", path: "/agent",
		body:  `{"name":"demo","workflowType":"single_prompt","language":{"default":"en","supported":["en","hi"],"switching":{}},"firstMessage":"Hello","backgroundSound":"office"}`,
		check: wantValue("60d0fe4f5311236168a109cb"),
	},
	{
		name: "ListAgents defaults", answer: `{"agents":[{"_id":"a1","name":"One"}],"totalCount":1,"totalPages":1,"hasMore":false,"isSearchResults":false}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.ListAgents(ctx, ListAgentsOptions{}) },
		method: "GET", path: "/agent", query: url.Values{},
		check: func(t *testing.T, got any) {
			l := got.(*AgentList)
			if len(l.Agents) != 1 || l.Agents[0].Name != "One" || l.TotalCount != 1 {
				t.Errorf("list = %+v", l)
			}
		},
	},
	{
		name: "ListAgents spec shape with every option", answer: `{"agents":[{"_id":"a1"},{"_id":"a2"}],"total":42}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.ListAgents(ctx, ListAgentsOptions{Page: 3, PageSize: 25, Search: "sales bot", Archived: true})
		},
		method: "GET", path: "/agent",
		query: url.Values{"page": {"3"}, "offset": {"25"}, "search": {"sales bot"}, "archived": {"true"}},
		check: func(t *testing.T, got any) {
			if l := got.(*AgentList); len(l.Agents) != 2 || l.TotalCount != 42 {
				t.Errorf("list = %+v", l)
			}
		},
	},
	{
		name: "GetAgent active", answer: `{"_id":"a1","name":"n","activeVersionId":"v1","_resolvedConfig":{"firstMessage":"Hi","prompt":"P"}}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.GetAgent(ctx, "a1", GetAgentOptions{}) },
		method: "GET", path: "/agent/a1",
		check: func(t *testing.T, got any) {
			a := got.(*Agent)
			if a.ActiveVersionID != "v1" || a.ResolvedConfig == nil || a.ResolvedConfig.FirstMessage != "Hi" {
				t.Errorf("agent = %+v", a)
			}
		},
	},
	{
		name: "GetAgent of a draft", answer: `{"_id":"a1","_configSource":"draft"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.GetAgent(ctx, "a1", GetAgentOptions{DraftID: "d/1"})
		},
		method: "GET", path: "/agent/a1", query: url.Values{"draftId": {"d/1"}},
		check: func(t *testing.T, got any) {
			if a := got.(*Agent); a.ConfigSource != "draft" {
				t.Errorf("config source = %q", a.ConfigSource)
			}
		},
	},
	{
		name: "GetAgent of a version", answer: `{"_id":"a1","_configSource":"version"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.GetAgent(ctx, "a1", GetAgentOptions{VersionID: "v2"})
		},
		method: "GET", path: "/agent/a1", query: url.Values{"versionId": {"v2"}},
	},
	{
		name: "ArchiveAgent", answer: `{"message":"Agent archived"}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.ArchiveAgent(ctx, "a1", true) },
		method: "DELETE", path: "/agent/a1/archive", query: url.Values{"on": {"true"}},
	},
	{
		name: "UnarchiveAgent", answer: `{"message":"Agent unarchived"}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.ArchiveAgent(ctx, "a1", false) },
		method: "DELETE", path: "/agent/a1/archive", query: url.Values{"on": {"false"}},
	},
	{
		name: "ListDrafts", answer: `[{"_id":"r1","draftId":"d1","status":"draft","draftRevision":3,"lastEditorName":"Asha"}]`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.ListDrafts(ctx, "a1") },
		method: "GET", path: "/agent/a1/drafts",
		check: func(t *testing.T, got any) {
			ds := got.([]Version)
			if len(ds) != 1 || ds[0].DraftID != "d1" || ds[0].DraftRevision != 3 || ds[0].LastEditorName != "Asha" {
				t.Errorf("drafts = %+v", ds)
			}
		},
	},
	{
		name: "CreateDraft", answer: `{"_id":"r1","draftId":"d1","status":"draft","sourceVersionId":"v1"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.CreateDraft(ctx, "a1", CreateDraftRequest{SourceVersionID: "v1", DraftName: "greeting"})
		},
		method: "POST", path: "/agent/a1/drafts", body: `{"sourceVersionId":"v1","draftName":"greeting"}`,
		check: func(t *testing.T, got any) {
			if v := got.(*Version); v.DraftID != "d1" || v.ID != "r1" {
				t.Errorf("draft = %+v", v)
			}
		},
	},
	{
		name: "CreateDraft with no source is sent as {}", answer: `{"draftId":"d1"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.CreateDraft(ctx, "a1", CreateDraftRequest{})
		},
		method: "POST", path: "/agent/a1/drafts", body: `{}`,
	},
	{
		name: "GetDraft", answer: `{"latest":{"_id":"r3","draftId":"d1","draftRevision":3},"editHistory":[{"revision":3,"changedSections":["call_handling"],"editorName":"Asha"}],"editCount":3}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.GetDraft(ctx, "a1", "d1", 10) },
		method: "GET", path: "/agent/a1/drafts/d1", query: url.Values{"limit": {"10"}},
		check: func(t *testing.T, got any) {
			d := got.(*DraftDetail)
			if d.Latest.DraftRevision != 3 || len(d.EditHistory) != 1 || d.EditHistory[0].ChangedSections[0] != "call_handling" {
				t.Errorf("draft detail = %+v", d)
			}
		},
	},
	{
		name: "RenameDraft", answer: `{"draftName":"new name"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return nil, c.RenameDraft(ctx, "a1", "d1", "new name")
		},
		method: "PATCH", path: "/agent/a1/drafts/d1", body: `{"draftName":"new name"}`,
	},
	{
		name: "DeleteDraft", answer: `null`,
		call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.DeleteDraft(ctx, "a1", "d1") },
		method: "DELETE", path: "/agent/a1/drafts/d1",
	},
	{
		name: "UpdateDraftConfig first message", answer: `{"_id":"r2","draftId":"d1","draftRevision":2,"blocks":{"call_handling":"b2"}}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.UpdateDraftConfig(ctx, "a1", "d1", ConfigPatch{FirstMessage: ptr("Hello, this is the lifecycle demo agent.")})
		},
		method: "PATCH", path: "/agent/a1/drafts/d1/config", body: `{"firstMessage":"Hello, this is the lifecycle demo agent."}`,
		check: func(t *testing.T, got any) {
			if v := got.(*Version); v.DraftRevision != 2 || v.Blocks["call_handling"] != "b2" {
				t.Errorf("version = %+v", v)
			}
		},
	},
	{
		name: "UpdateDraftConfig prompt, tools, voice, language, analytics", answer: `{"draftRevision":5}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.UpdateDraftConfig(ctx, "a1", "d1", ConfigPatch{
				SinglePromptConfig: &SinglePromptConfig{Prompt: "Be brief.", Tools: []Tool{
					{Type: "end_call", Name: "end_call", Description: "End the call"},
					{Type: "transfer_call", Name: "transfer", Description: "To a human", Enabled: ptr(false),
						Extra: Extra{"transferNumber": json.RawMessage(`"+15550100"`)}},
				}},
				SLMModel:    ptr("gpt-4.1"),
				Synthesizer: &Synthesizer{VoiceConfig: &VoiceConfig{VoiceID: "nyah"}},
				Language:    &Language{Default: "hi", Supported: []string{"hi"}},
				PostCallAnalyticsConfig: &PostCallAnalyticsConfig{DispositionMetrics: []DispositionMetric{
					{Identifier: "resolved", Prompt: "Was it resolved?", Type: "BOOLEAN"},
				}},
			})
		},
		method: "PATCH", path: "/agent/a1/drafts/d1/config",
		body: `{"singlePromptConfig":{"prompt":"Be brief.","tools":[
			{"type":"end_call","name":"end_call","description":"End the call"},
			{"type":"transfer_call","name":"transfer","description":"To a human","enabled":false,"transferNumber":"+15550100"}]},
			"slmModel":"gpt-4.1","synthesizer":{"voiceConfig":{"voiceId":"nyah"}},
			"language":{"default":"hi","supported":["hi"],"switching":{}},
			"postCallAnalyticsConfig":{"dispositionMetrics":[{"identifier":"resolved","dispositionMetricPrompt":"Was it resolved?","dispositionMetricType":"BOOLEAN"}]}}`,
	},
	{
		name: "DiffDraft against the source", answer: `{"unchangedSections":["voice"],"diffs":[{"section":"call_handling","changes":[{"path":"firstMessage","oldValue":"Hi","newValue":"Hello"}]}]}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.DiffDraft(ctx, "a1", "d1", "") },
		method: "GET", path: "/agent/a1/drafts/d1/diff",
		check: func(t *testing.T, got any) {
			d := got.(*Diff)
			if len(d.Sections) != 1 || d.Sections[0].Changes[0].Path != "firstMessage" || string(d.Sections[0].Changes[0].New) != `"Hello"` {
				t.Errorf("diff = %+v", d)
			}
		},
	},
	{
		name: "DiffDraft compareTo", answer: `{"unchangedSections":[],"diffs":[]}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.DiffDraft(ctx, "a1", "d1", "v7") },
		method: "GET", path: "/agent/a1/drafts/d1/diff", query: url.Values{"compareTo": {"v7"}},
	},
	{
		name: "PublishDraft", answer: `{"_id":"v2","status":"published","versionNumber":2,"isActive":false,"securityCheck":{"status":"pending"}}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PublishDraft(ctx, "a1", "d1", PublishRequest{Label: "v2 - greeting added"})
		},
		method: "POST", path: "/agent/a1/drafts/d1/publish", body: `{"label":"v2 - greeting added"}`,
		check: func(t *testing.T, got any) {
			v := got.(*Version)
			if v.ID != "v2" || v.IsActive || v.Outcome() != CheckNotYet {
				t.Errorf("version = %+v", v)
			}
		},
	},
	{
		name: "PublishDraft without label", answer: `{"_id":"v2"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PublishDraft(ctx, "a1", "d1", PublishRequest{})
		},
		method: "POST", path: "/agent/a1/drafts/d1/publish", body: `{}`,
	},
	{
		name: "ListVersions defaults", answer: `{"versions":[{"_id":"v2","versionNumber":2},{"_id":"v1","versionNumber":1,"isActive":true}],"total":2}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.ListVersions(ctx, "a1", ListVersionsOptions{})
		},
		method: "GET", path: "/agent/a1/versions",
		check: func(t *testing.T, got any) {
			if l := got.(*VersionList); len(l.Versions) != 2 || l.Total != 2 || !l.Versions[1].IsActive {
				t.Errorf("versions = %+v", l)
			}
		},
	},
	{
		name: "ListVersions pinned page", answer: `{"versions":[],"total":9}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.ListVersions(ctx, "a1", ListVersionsOptions{Limit: 5, Skip: 10, Pinned: ptr(false)})
		},
		method: "GET", path: "/agent/a1/versions", query: url.Values{"limit": {"5"}, "skip": {"10"}, "isPinned": {"false"}},
	},
	{
		name: "GetVersion", answer: `{"version":{"_id":"v2","securityCheck":{"status":"passed","completedAt":"2026-06-11T10:00:06Z"}},"resolvedConfig":{"workflow_prompt":{"prompt":"P"}}}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.GetVersion(ctx, "a1", "v2") },
		method: "GET", path: "/agent/a1/versions/v2",
		check: func(t *testing.T, got any) {
			d := got.(*VersionDetail)
			if d.Version.Outcome() != CheckOK || string(d.ResolvedConfig["workflow_prompt"]) != `{"prompt":"P"}` {
				t.Errorf("version detail = %+v", d)
			}
		},
	},
	{
		name: "UpdateVersion", answer: `{"_id":"v2","label":"stable","isPinned":false}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.UpdateVersion(ctx, "a1", "v2", VersionMetadata{Label: ptr("stable"), IsPinned: ptr(false)})
		},
		method: "PATCH", path: "/agent/a1/versions/v2", body: `{"label":"stable","isPinned":false}`,
	},
	{
		name: "DiffVersions", answer: `{"unchangedSections":["voice"],"diffs":[]}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.DiffVersions(ctx, "a1", "v1", "v2") },
		method: "GET", path: "/agent/a1/versions/diff", query: url.Values{"versionA": {"v1"}, "versionB": {"v2"}},
	},
	{
		name: "ActivateVersion", answer: `{"_id":"v2","isActive":true}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.ActivateVersion(ctx, "a1", "v2") },
		method: "PATCH", path: "/agent/a1/versions/v2/activate",
		check: func(t *testing.T, got any) {
			if v := got.(*Version); !v.IsActive {
				t.Errorf("version = %+v", v)
			}
		},
	},
	{
		name: "StartOutboundCall", answer: `{"conversationId":"CALL-1737000000000-abc123"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.StartOutboundCall(ctx, OutboundCallRequest{AgentID: "a1", PhoneNumber: "+15550100", FromProductID: "p1"})
		},
		method: "POST", path: "/conversation/outbound", body: `{"agentId":"a1","phoneNumber":"+15550100","fromProductId":"p1"}`,
		check: wantValue("CALL-1737000000000-abc123"),
	},
	{
		name: "StartOutboundCall with variables and version", answer: `{"conversationId":"CALL-1"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.StartOutboundCall(ctx, OutboundCallRequest{AgentID: "a1", PhoneNumber: "+15550100", VersionID: "v2",
				Variables: map[string]any{"name": "Asha", "vip": true}, Test: true})
		},
		method: "POST", path: "/conversation/outbound",
		body: `{"agentId":"a1","phoneNumber":"+15550100","versionId":"v2","variables":{"name":"Asha","vip":true}}`,
	},
}

func wantValue(want any) func(*testing.T, any) {
	return func(t *testing.T, got any) {
		if got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func TestEndpoints(t *testing.T) {
	for _, tc := range endpointCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				status := 200
				if r.Method == http.MethodPost {
					status = 201
				}
				ok(w, status, tc.answer)
			})
			c, _ := newTestClient(t, f.URL(), nil)
			got, err := tc.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.method || r.Path != tc.path {
				t.Errorf("sent %s %s, want %s %s", r.Method, r.Path, tc.method, tc.path)
			}
			q, err := url.ParseQuery(r.RawQuery)
			if err != nil {
				t.Fatal(err)
			}
			if (len(q) > 0 || len(tc.query) > 0) && !reflect.DeepEqual(q, tc.query) {
				t.Errorf("query %v, want %v", q, tc.query)
			}
			assertJSONBody(t, r.Body, tc.body)
			assertNoNull(t, r.Body)
			if tc.check != nil {
				tc.check(t, got)
			}
		})
	}
}

// assertJSONBody compares a request body with want as JSON values.
func assertJSONBody(t *testing.T, got []byte, want string) {
	t.Helper()
	if want == "" {
		if len(got) != 0 {
			t.Errorf("sent body %s, want none", got)
		}
		return
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("sent body\n %s\nwant\n %s", got, want)
	}
}

// assertNoNull fails when a JSON body has a null anywhere: the API rejects
// null on optional fields.
func assertNoNull(t *testing.T, body []byte) {
	t.Helper()
	if len(body) == 0 {
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case nil:
			t.Errorf("body %s has null at %q", body, path)
		case map[string]any:
			for k, e := range x {
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(path+"["+strconv.Itoa(i)+"]", e)
			}
		}
	}
	walk("", v)
}
