package atomsim

import (
	"slices"
	"testing"
)

// threeRevisions commits two more revisions on Main; ids are oldest first.
func threeRevisions(t *testing.T) (*env, string, string, []string) {
	t.Helper()
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	ids := []string{main.head()}
	for _, msg := range []string{"two", "three"} {
		ids = append(ids, e.commit(agentID, main.Branch.ID, map[string]any{"firstMessage": msg}))
	}
	return e, agentID, main.Branch.ID, ids
}

func TestListRevisions(t *testing.T) {
	e, agentID, main, ids := threeRevisions(t)
	tests := []struct {
		query  string
		want   []string
		status int
	}{
		{"", []string{ids[2], ids[1], ids[0]}, 200},
		{"?limit=1", []string{ids[2]}, 200},
		{"?limit=2&skip=1", []string{ids[1], ids[0]}, 200},
		{"?skip=5", nil, 200},
		{"?limit=0", nil, 400},
		{"?limit=101", nil, 400},
		{"?skip=-1", nil, 400},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := e.must(tt.status, "GET", bpath(agentID, main, "/revisions"+tt.query), nil)
			if tt.status != 200 {
				return
			}
			var list struct {
				Revisions []map[string]any `json:"revisions"`
				Total     int              `json:"total"`
			}
			r.data(t, &list)
			var got []string
			for _, rv := range list.Revisions {
				got = append(got, str(rv["_id"]))
			}
			if !slices.Equal(got, tt.want) || list.Total != 3 {
				t.Fatalf("got %v total %d, want %v", got, list.Total, tt.want)
			}
		})
	}
}

func TestGetRevisionAndHistory(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	tools := []any{map[string]any{"type": "end_call", "name": "bye", "description": "End."}}
	e.must(200, "PUT", bpath(agentID, main, "/draft"), map[string]any{"firstMessage": "x"}, "X-Atomsim-User: ann")
	e.must(200, "PUT", bpath(agentID, main, "/draft"), map[string]any{"singlePromptConfig": map[string]any{"tools": tools}}, "X-Atomsim-User: bob")
	e.must(202, "POST", bpath(agentID, main, "/draft/publish"), nil, "X-Atomsim-User: cy")
	e.clock.Advance(testDelay)
	head := e.mainBranch(agentID).head()

	got := e.must(200, "GET", bpath(agentID, main, "/revisions/"+head), nil).obj(t)
	rc := got["resolvedConfig"].(map[string]any)
	if len(rc) != 14 || rc["workflow_tools"].(map[string]any)["tools"].([]any)[0].(map[string]any)["name"] != "bye" ||
		rc["call_handling"].(map[string]any)["firstMessage"] != "x" {
		t.Fatalf("resolvedConfig %v", rc)
	}
	h := e.must(200, "GET", bpath(agentID, main, "/revisions/"+head+"/history"), nil).obj(t)
	trail := h["trail"].([]any)
	if h["publishedBy"] != "cy" || h["revision"].(map[string]any)["_id"] != head || len(trail) != 2 {
		t.Fatalf("history %v", h)
	}
	second := trail[1].(map[string]any)
	if second["revision"].(map[string]any)["draftRevision"] != 2.0 || second["editorName"] != "bob" ||
		!slices.Equal(toStrings(second["changedSections"]), []string{"workflow_tools"}) {
		t.Fatalf("trail entry %v", second)
	}

	// A revision of another branch is a 400 on a branch path.
	b := e.newBranch(agentID, main, "other")
	e.must(400, "GET", bpath(agentID, b, "/revisions/"+head), nil)
	e.must(400, "GET", bpath(agentID, b, "/revisions/"+head+"/history"), nil)
}

func TestRestore(t *testing.T) {
	e, agentID, main, ids := threeRevisions(t)
	other := e.newBranch(agentID, main, "other")
	otherHead := e.commit(agentID, other, map[string]any{"firstMessage": "other"})
	if err := e.sim.SetCheck(ids[1], "failed", "found later"); err != nil {
		t.Fatal(err)
	}
	restore := func(b, r string) reply { return e.do("POST", bpath(agentID, b, "/revisions/"+r+"/restore"), nil) }

	tests := []struct {
		name      string
		branch    string
		rev       string
		status    int
		errorType string
	}{
		{"the head", main, ids[2], 409, ""},
		{"a failed revision", main, ids[1], 403, ""},
		{"a revision of another branch", main, otherHead, 404, ""},
		{"an unknown revision", main, "0123456789abcdef01234567", 404, ""},
		{"a malformed id", main, "v1", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, restore(tt.branch, tt.rev), tt.status, tt.errorType, "")
		})
	}

	// An open draft on Main is left alone.
	e.edit(agentID, main, map[string]any{"globalPrompt": "kept"})
	r := e.must(200, "POST", bpath(agentID, main, "/revisions/"+ids[0]+"/restore"), nil, "X-Atomsim-User: ops").obj(t)
	rev := r["revision"].(map[string]any)
	check := rev["securityCheck"].(map[string]any)
	if r["state"] != "committed" || rev["restoredFromRevisionId"] != ids[0] || rev["revisionNumber"] != 4.0 ||
		check["status"] != "passed" || rev["publishedBy"] != "ops" {
		t.Fatalf("restore %v", r)
	}
	if e.activeOf(agentID) != rev["_id"] || e.mainBranch(agentID).head() != rev["_id"] {
		t.Fatal("a restore on the live branch did not go live")
	}
	cfg, _ := e.sim.Config(agentID, str(rev["_id"]))
	if cfg["firstMessage"] != "Hello" {
		t.Fatalf("restored config %v", cfg["firstMessage"])
	}
	if d, _ := e.sim.Config(agentID, main+":draft"); d["globalPrompt"] != "kept" {
		t.Fatal("restore touched the draft")
	}
	// On a scanning branch: 409 publish_in_progress.
	e.must(202, "POST", bpath(agentID, main, "/draft/publish"), nil)
	wantErr(t, restore(main, ids[2]), 409, errTypeInProgress, "")
}

func TestDiffRefs(t *testing.T) {
	e, agentID, main, ids := threeRevisions(t)
	b := e.newBranch(agentID, main, "feature")
	e.edit(agentID, b, map[string]any{"firstMessage": "draft", "singlePromptConfig": map[string]any{"prompt": "P"}})
	empty := e.newBranch(agentID, main, "empty")
	diff := func(a, b string) reply { return e.do("GET", "/agent/"+agentID+"/diff?a="+a+"&b="+b, nil) }

	var d liveDiff
	r := diff(ids[2], b+":draft")
	if r.status != 200 {
		t.Fatalf("diff: %s", r.raw)
	}
	r.data(t, &d)
	want := map[string]change{
		"call_handling":   {Path: "firstMessage", Old: "three", New: "draft"},
		"workflow_prompt": {Path: "prompt", Old: "", New: "P"},
	}
	if len(d.Diffs) != 2 || !slices.Contains(d.UnchangedSections, "playbooks") {
		t.Fatalf("diff %+v", d)
	}
	for _, sd := range d.Diffs {
		if len(sd.Changes) != 1 || sd.Changes[0] != want[sd.Section] {
			t.Fatalf("section %s: %+v", sd.Section, sd.Changes)
		}
	}
	// b is the target: swapping the refs swaps the values.
	diff(b+":draft", ids[0]).data(t, &d)
	if c := d.Diffs[len(d.Diffs)-1].Changes[0]; d.Diffs[0].Section != "workflow_prompt" || c.Old != "draft" || c.New != "Hello" {
		t.Fatalf("swapped %+v", d.Diffs)
	}

	tests := []struct {
		name, a, b string
		status     int
	}{
		{"missing b", ids[0], "", 400},
		{"malformed ref", "head", ids[0], 400},
		{"malformed branch ref", "xyz:draft", ids[0], 400},
		{"too long", ids[0], ids[0] + ids[0] + ids[0], 400},
		{"unknown revision", "0123456789abcdef01234567", ids[0], 404},
		{"unknown branch", "0123456789abcdef01234567:draft", ids[0], 404},
		{"no open draft", empty + ":draft", ids[0], 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, diff(tt.a, tt.b), tt.status, "", "")
		})
	}
	e.sim.SetSpecDiffShape(true)
	if got := diff(ids[0], ids[1]).obj(t); got["hasChanges"] != true {
		t.Fatalf("spec shape %v", got)
	}
}

func TestBranchTestCall(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	fresh := e.newBranch(agentID, main.Branch.ID, "fresh")
	withDraft := e.newBranch(agentID, main.Branch.ID, "with draft")
	draftID := str(e.edit(agentID, withDraft, map[string]any{"firstMessage": "x"})["draftId"])
	e.sim.SetFrozen(true) // test calls pass a freeze

	tests := []struct {
		name      string
		branch    string
		body      map[string]any
		status    int
		errorType string
		served    string
	}{
		{"head", main.Branch.ID, nil, 200, "", main.head()},
		{"telephony", main.Branch.ID, map[string]any{"mode": "telephony", "toPhone": "+14155550100"}, 200, "", main.head()},
		{"a revision", main.Branch.ID, map[string]any{"revisionId": main.head()}, 200, "", main.head()},
		{"the draft", withDraft, map[string]any{"includeDraft": true}, 200, "", "draft:" + draftID},
		{"both targets", withDraft, map[string]any{"includeDraft": true, "revisionId": main.head()}, 400, "", ""},
		{"no draft", main.Branch.ID, map[string]any{"includeDraft": true}, 404, "", ""},
		{"no head", fresh, nil, 409, errTypeNoCommitted, ""},
		{"revision of another branch", fresh, map[string]any{"revisionId": main.head()}, 400, "", ""},
		{"unknown revision", main.Branch.ID, map[string]any{"revisionId": "0123456789abcdef01234567"}, 404, "", ""},
		{"bad mode", main.Branch.ID, map[string]any{"mode": "fax"}, 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != nil {
				body = tt.body
			}
			r := e.do("POST", bpath(agentID, tt.branch, "/test-call"), body)
			if tt.status != 200 {
				wantErr(t, r, tt.status, tt.errorType, "")
				return
			}
			if r.status != 200 {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			data := r.obj(t)
			_, token := data["token"]
			if token == (tt.body["mode"] == "telephony") || data["callId"] == nil || data["conversationId"] == nil {
				t.Fatalf("answer %v", data)
			}
			convs := e.sim.Conversations()
			if c := convs[len(convs)-1]; c.VersionID != tt.served || !c.Test || c.AgentID != agentID {
				t.Fatalf("recorded %+v, want version %s", c, tt.served)
			}
		})
	}
}
