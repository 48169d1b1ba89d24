package atoms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// branchEndpointCases: every branch-model method, what it sends and how it
// reads the recorded answer. body "" means no body; otherwise the JSON must
// match exactly (as values).
var branchEndpointCases = []struct {
	name   string
	status int    // of the answer; 200 when 0
	answer string // data
	call   func(context.Context, *Client) (any, error)
	method string
	path   string
	query  url.Values
	body   string
	check  func(t *testing.T, got any)
}{
	{
		name:   "ListBranches",
		answer: `{"branches":[` + fxSummary(fxBranch(fxMain, "Main", true, fxRev1, ""), true, false, 1, 1) + `,` + fxSummary(fxBranch(fxBot, "atomsbot-p1", false, "", fxDraftI), false, true, 0, 0) + `]}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.ListBranches(ctx, fxAgent) },
		method: "GET", path: "/agent/" + fxAgent + "/branches",
		check: func(t *testing.T, got any) {
			bs := got.([]BranchSummary)
			if len(bs) != 2 {
				t.Fatalf("%d branches", len(bs))
			}
			m, b := bs[0], bs[1]
			if !m.IsLive || m.HasOpenDraft || m.HeadRevisionNumber != 1 || !m.Branch.IsDefault || m.Branch.HeadRevisionID != fxRev1 || m.Branch.SourceBranchID != "" {
				t.Errorf("main = %+v", m)
			}
			if b.IsLive || !b.HasOpenDraft || b.HeadRevisionNumber != 0 || b.Branch.HeadRevisionID != "" || b.Branch.OpenDraftID != fxDraftI ||
				b.Branch.SourceBranchID != fxMain || b.Branch.SourceRevisionID != fxRev1 || b.Branch.Name != "atomsbot-p1" {
				t.Errorf("bot branch = %+v", b)
			}
		},
	},
	{
		name: "GetBranch", answer: fxSummary(fxBranch(fxBot, "atomsbot-p1", false, fxRev2, ""), false, false, 1, 1),
		call:   func(ctx context.Context, c *Client) (any, error) { return c.GetBranch(ctx, fxAgent, fxBot) },
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxBot,
		check: func(t *testing.T, got any) {
			if s := got.(*BranchSummary); s.Branch.ID != fxBot || s.Branch.HeadRevisionID != fxRev2 || s.Branch.Status != BranchActive {
				t.Errorf("summary = %+v", s)
			}
		},
	},
	{
		name: "CreateBranch answers 201", status: 201, answer: fxBranch(fxBot, "atomsbot-p1", false, "", ""),
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.CreateBranch(ctx, fxAgent, CreateBranchRequest{SourceBranchID: fxMain, Name: "atomsbot-p1"})
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches", body: `{"sourceBranchId":"` + fxMain + `","name":"atomsbot-p1"}`,
		check: func(t *testing.T, got any) {
			if b := got.(*Branch); b.ID != fxBot || b.HeadRevisionID != "" || b.SourceRevisionID != fxRev1 {
				t.Errorf("branch = %+v", b)
			}
		},
	},
	{
		name: "CreateBranch answers 200", answer: fxBranch(fxBot, "x", false, "", ""),
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.CreateBranch(ctx, fxAgent, CreateBranchRequest{SourceBranchID: fxMain, Name: "x"})
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches", body: `{"sourceBranchId":"` + fxMain + `","name":"x"}`,
	},
	{
		name: "RenameBranch", answer: fxBranch(fxBot, "release 7", false, fxRev2, ""),
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.RenameBranch(ctx, fxAgent, fxBot, "release 7")
		},
		method: "PATCH", path: "/agent/" + fxAgent + "/branches/" + fxBot, body: `{"name":"release 7"}`,
		check: func(t *testing.T, got any) {
			if b := got.(*Branch); b.Name != "release 7" {
				t.Errorf("branch = %+v", b)
			}
		},
	},
	{
		name: "ArchiveBranch", answer: `{"archived":true}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.ArchiveBranch(ctx, fxAgent, fxBot) },
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/archive",
	},
	{
		name: "MakeLive", answer: fxSummary(fxBranch(fxBot, "atomsbot-p1", false, fxRev2, ""), true, false, 1, 1),
		call:   func(ctx context.Context, c *Client) (any, error) { return c.MakeLive(ctx, fxAgent, fxBot) },
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/live",
		check: func(t *testing.T, got any) {
			if s := got.(*BranchSummary); !s.IsLive || s.Branch.HeadRevisionID != fxRev2 {
				t.Errorf("summary = %+v", s)
			}
		},
	},
	{
		name: "PutBranchDraft with expectedRevision", answer: fxDraftRow,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{
				Config: ConfigPatch{FirstMessage: ptr("Hello!"), Synthesizer: &Synthesizer{VoiceConfig: &VoiceConfig{VoiceID: "nyah"}}}, ExpectedRevision: ptr(1)})
		},
		method: "PUT", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft",
		body: `{"firstMessage":"Hello!","synthesizer":{"voiceConfig":{"voiceId":"nyah"}},"expectedRevision":1}`,
		check: func(t *testing.T, got any) {
			if v := got.(*Version); v.Status != StatusDraft || v.DraftID != fxDraftI || v.DraftRevision != 2 || v.Branch != fxBot {
				t.Errorf("draft row = %+v", v)
			}
		},
	},
	{
		name: "PutBranchDraft expectedRevision 0 is sent", answer: fxDraftRow,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{Config: ConfigPatch{GlobalPrompt: ptr("Be brief.")}, ExpectedRevision: ptr(0)})
		},
		method: "PUT", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft", body: `{"globalPrompt":"Be brief.","expectedRevision":0}`,
	},
	{
		name: "PutBranchDraft last write wins", answer: fxDraftRow,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{Config: ConfigPatch{SinglePromptConfig: &SinglePromptConfig{Prompt: "P"},
				Extra: Extra{"expectedRevision": json.RawMessage(`4`), "timezone": json.RawMessage(`null`)}}})
		},
		method: "PUT", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft", body: `{"singlePromptConfig":{"prompt":"P"}}`,
	},
	{
		name:   "GetBranchDraft",
		answer: `{"latest":` + fxDraftRow + `,"editCount":2,"editHistory":[{"revision":` + fxDraftRow + `,"changedSections":["call_handling","voice"],"editorName":null},{"revision":1,"changedSections":["workflow_prompt"],"editorName":"Asha Rao"}]}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.GetBranchDraft(ctx, fxAgent, fxBot) },
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft",
		check: func(t *testing.T, got any) {
			d := got.(*BranchDraft)
			if d.EditCount != 2 || d.Latest.DraftRevision != 2 || d.Latest.PendingPublish == nil || d.Latest.PendingPublish.State != PendingActive ||
				!d.Latest.PendingPublish.StartedAt.Equal(time.Date(2026, 8, 2, 9, 30, 30, 0, time.UTC)) || d.Latest.SecurityCheck.Status != CheckQueued {
				t.Errorf("latest = %+v", d.Latest)
			}
			if len(d.EditHistory) != 2 {
				t.Fatalf("history = %+v", d.EditHistory)
			}
			if e := d.EditHistory[0]; e.Revision.DraftRevision != 2 || e.EditorName != "" || len(e.ChangedSections) != 2 {
				t.Errorf("edit 0 = %+v", e)
			}
			// The v1 shape (a bare number) is read too.
			if e := d.EditHistory[1]; e.Revision.DraftRevision != 1 || e.EditorName != "Asha Rao" {
				t.Errorf("edit 1 = %+v", e)
			}
		},
	},
	{
		name: "DeleteBranchDraft", answer: `{"discarded":true}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return nil, c.DeleteBranchDraft(ctx, fxAgent, fxBot)
		},
		method: "DELETE", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft",
	},
	{
		name: "PublishBranchDraft 200 committed", answer: `{"state":"committed","revision":` + fxRevision(fxRev2, fxBot, 1) + `}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PublishBranchDraft(ctx, fxAgent, fxBot, "Shorter greeting")
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft/publish", body: `{"label":"Shorter greeting"}`,
		check: func(t *testing.T, got any) {
			r := got.(*PublishResult)
			if r.State != PublishCommitted || r.Revision == nil || r.Revision.ID != fxRev2 || r.Revision.RevisionNumber != 1 || r.Revision.SourceDraftID != fxDraftI {
				t.Errorf("result = %+v", r)
			}
		},
	},
	{
		name: "PublishBranchDraft 202 scanning", status: 202, answer: `{"state":"scanning"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PublishBranchDraft(ctx, fxAgent, fxBot, "")
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft/publish", body: `{}`,
		check: func(t *testing.T, got any) {
			if r := got.(*PublishResult); r.State != PublishScanning || r.Revision != nil {
				t.Errorf("result = %+v", r)
			}
		},
	},
	{
		name: "PublishBranchDraft 202 without state", status: 202, answer: `{}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PublishBranchDraft(ctx, fxAgent, fxBot, "")
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft/publish", body: `{}`,
		check: func(t *testing.T, got any) {
			if r := got.(*PublishResult); r.State != PublishScanning || r.Revision != nil {
				t.Errorf("result = %+v", r)
			}
		},
	},
	{
		name: "PublishBranchDraft committed without revision reads as scanning", answer: `{"state":"committed"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.PublishBranchDraft(ctx, fxAgent, fxBot, "")
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft/publish", body: `{}`,
		check: func(t *testing.T, got any) {
			if r := got.(*PublishResult); r.State != PublishScanning || r.Revision != nil {
				t.Errorf("result = %+v", r)
			}
		},
	},
	{
		name: "CancelPublish", answer: `{"cancelled":true}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return nil, c.CancelPublish(ctx, fxAgent, fxBot) },
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/draft/publish/cancel",
	},
	{
		name:   "ListRevisions defaults",
		answer: `{"revisions":[` + fxRevision(fxRev2, fxMain, 2) + `,` + fxRevision(fxRev1, fxMain, 1) + `],"total":2}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.ListRevisions(ctx, fxAgent, fxMain, ListRevisionsOptions{})
		},
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxMain + "/revisions",
		check: func(t *testing.T, got any) {
			l := got.(*RevisionList)
			if l.Total != 2 || len(l.Revisions) != 2 || l.Revisions[0].RevisionNumber != 2 || l.Revisions[0].VersionNumber != 0 || l.Revisions[1].Branch != fxMain {
				t.Errorf("list = %+v", l)
			}
		},
	},
	{
		name: "ListRevisions page", answer: `{"revisions":[],"total":31}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.ListRevisions(ctx, fxAgent, fxMain, ListRevisionsOptions{Limit: 5, Skip: 30})
		},
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxMain + "/revisions", query: url.Values{"limit": {"5"}, "skip": {"30"}},
	},
	{
		name:   "GetRevision",
		answer: `{"revision":` + fxRevision(fxRev1, fxMain, 1) + `,"resolvedConfig":{"workflow_prompt":{"prompt":"P"},"workflow_tools":{"tools":[]}}}`,
		call:   func(ctx context.Context, c *Client) (any, error) { return c.GetRevision(ctx, fxAgent, fxMain, fxRev1) },
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxMain + "/revisions/" + fxRev1,
		check: func(t *testing.T, got any) {
			d := got.(*RevisionDetail)
			if d.Revision.ID != fxRev1 || d.Revision.Outcome() != CheckOK || string(d.ResolvedConfig["workflow_tools"]) != `{"tools":[]}` {
				t.Errorf("detail = %+v", d)
			}
		},
	},
	{
		name: "RevisionHistory",
		answer: `{"revision":` + fxRevision(fxRev2, fxMain, 2) + `,"publishedBy":"Asha Rao","trail":[{"revision":` + fxDraftRow +
			`,"changedSections":["call_handling"]}]}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.RevisionHistory(ctx, fxAgent, fxMain, fxRev2)
		},
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxMain + "/revisions/" + fxRev2 + "/history",
		check: func(t *testing.T, got any) {
			h := got.(*RevisionHistory)
			if h.Revision.ID != fxRev2 || h.PublishedBy != "Asha Rao" || len(h.Trail) != 1 || h.Trail[0].Revision.DraftRevision != 2 ||
				h.Trail[0].ChangedSections[0] != "call_handling" {
				t.Errorf("history = %+v", h)
			}
		},
	},
	{
		name:   "RevisionHistory publisher as an object",
		answer: `{"revision":{"_id":"r"},"publishedBy":{"_id":"` + fxUser + `","name":"Asha Rao"},"trail":null}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.RevisionHistory(ctx, fxAgent, fxMain, fxRev2)
		},
		method: "GET", path: "/agent/" + fxAgent + "/branches/" + fxMain + "/revisions/" + fxRev2 + "/history",
		check: func(t *testing.T, got any) {
			if h := got.(*RevisionHistory); h.PublishedBy != "Asha Rao" || h.Trail != nil {
				t.Errorf("history = %+v", h)
			}
		},
	},
	{
		name: "RestoreRevision", answer: `{"state":"committed","revision":` + fxRevision(fxRev2, fxMain, 3) + `}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.RestoreRevision(ctx, fxAgent, fxMain, fxRev1)
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxMain + "/revisions/" + fxRev1 + "/restore",
		check: func(t *testing.T, got any) {
			if r := got.(*PublishResult); r.State != PublishCommitted || r.Revision.RevisionNumber != 3 {
				t.Errorf("result = %+v", r)
			}
		},
	},
	{
		name:   "DiffRefs head to draft",
		answer: `{"unchangedSections":["voice"],"diffs":[{"section":"call_handling","changes":[{"path":"firstMessage","oldValue":"Hi","newValue":"Hello!"}]}]}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.DiffRefs(ctx, fxAgent, fxRev1, DraftRef(fxBot))
		},
		method: "GET", path: "/agent/" + fxAgent + "/diff", query: url.Values{"a": {fxRev1}, "b": {fxBot + ":draft"}},
		check: func(t *testing.T, got any) {
			if d := got.(*Diff); len(d.Sections) != 1 || string(d.Sections[0].Changes[0].New) != `"Hello!"` {
				t.Errorf("diff = %+v", d)
			}
		},
	},
	{
		name: "BranchTestCall webcall of the draft", answer: `{"conversationId":"CALL-1","callId":"c1","token":"tok","roomName":"room","host":"wss://rtc.example"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.BranchTestCall(ctx, fxAgent, fxBot, TestCallRequest{IncludeDraft: true, Mode: TestCallWebcall})
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/test-call", body: `{"includeDraft":true,"mode":"webcall"}`,
		check: func(t *testing.T, got any) {
			want := &TestCallResult{ConversationID: "CALL-1", CallID: "c1", Token: "tok", RoomName: "room", Host: "wss://rtc.example"}
			if r := got.(*TestCallResult); *r != *want {
				t.Errorf("result = %+v", r)
			}
		},
	},
	{
		name: "BranchTestCall telephony of a revision", answer: `{"conversationId":"CALL-2","callId":"c2"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.BranchTestCall(ctx, fxAgent, fxBot, TestCallRequest{RevisionID: fxRev1, Mode: TestCallTelephony, ToPhone: "+15550100"})
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/test-call",
		body: `{"revisionId":"` + fxRev1 + `","mode":"telephony","toPhone":"+15550100"}`,
	},
	{
		name: "BranchTestCall of the head", answer: `{"conversationId":"CALL-3","callId":"c3"}`,
		call: func(ctx context.Context, c *Client) (any, error) {
			return c.BranchTestCall(ctx, fxAgent, fxBot, TestCallRequest{})
		},
		method: "POST", path: "/agent/" + fxAgent + "/branches/" + fxBot + "/test-call", body: `{}`,
	},
}

func TestBranchEndpoints(t *testing.T) {
	for _, tc := range branchEndpointCases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				ok(w, cmpOrInt(tc.status, 200), tc.answer)
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

func cmpOrInt(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func TestDraftRef(t *testing.T) {
	if got := DraftRef(fxBot); got != fxBot+":draft" {
		t.Errorf("DraftRef = %q", got)
	}
}
