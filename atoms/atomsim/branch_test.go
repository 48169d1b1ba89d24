package atomsim

import "testing"

func TestBranchModel(t *testing.T) {
	e := newEnv(t, Options{CheckDelay: -1})
	agentID, ids := publishN(t, e, 1, "api")
	draftID := e.fork(agentID)
	a := "/agent/" + agentID
	const body = `{"status":false,"error_type":"versioning_v2_migration_required","errors":["This endpoint is deprecated under the branch model. Use the /agents/:id/branches APIs — publish, make-live and config edits now happen on branches. If you are calling this via the MCP server, update the MCP tool to its branch-model version as well."]}`

	e.sim.SetBranchModel(true)
	refused := []struct {
		method, path string
		body         any
	}{
		{"POST", a + "/drafts", map[string]any{}}, // the 409 wins over the empty-body 400
		{"GET", a + "/drafts", nil},
		{"PATCH", a + "/drafts/" + draftID, map[string]any{"draftName": "x"}},
		{"DELETE", a + "/drafts/" + draftID, nil},
		{"PATCH", a + "/drafts/" + draftID + "/config", map[string]any{"firstMessage": "x"}},
		{"POST", a + "/drafts/" + draftID + "/publish", nil},
		{"GET", a + "/versions", nil},
		{"PATCH", a + "/versions/" + ids[1], map[string]any{"label": "x"}},
		{"PATCH", a + "/versions/" + ids[1] + "/activate", nil},
	}
	for _, tt := range refused {
		t.Run("refused "+tt.method+" "+tt.path, func(t *testing.T) {
			r := e.must(409, tt.method, "/atoms/v1"+tt.path, tt.body)
			if string(r.raw) != body || r.header.Get("Deprecation") != "true" {
				t.Fatalf("deprecation %q body %s", r.header.Get("Deprecation"), r.raw)
			}
		})
	}
	kept := []struct {
		method, path string
		status       int
	}{
		{"GET", a + "/drafts/" + draftID, 200},
		{"GET", a + "/drafts/" + draftID + "/diff", 200},
		{"POST", a + "/drafts/" + draftID + "/test-call", 200},
		{"GET", a + "/versions/" + ids[1], 200},
		{"GET", a + "/versions/diff?versionA=" + ids[0] + "&versionB=" + ids[1], 200},
		{"POST", a + "/versions/" + ids[1] + "/test-call", 200},
	}
	for _, tt := range kept {
		t.Run("kept "+tt.method+" "+tt.path, func(t *testing.T) {
			r := e.must(tt.status, tt.method, tt.path, nil)
			if r.header.Get("Deprecation") != "true" {
				t.Error("kept v1 endpoint without Deprecation: true")
			}
		})
	}
	// Agent endpoints are not part of the v1 versioning API.
	if r := e.must(200, "GET", a, nil); r.header.Get("Deprecation") != "" {
		t.Error("GET /agent/{id} marked deprecated")
	}
	e.must(201, "POST", "/agent", map[string]any{"name": "still-works"})

	// Nothing the refused calls asked for happened.
	info, _ := e.sim.Agent(agentID)
	if len(info.Drafts) != 1 || info.Drafts[0].Revision != 0 || len(info.Versions) != 2 || info.ActiveVersionID != ids[0] {
		t.Fatalf("state changed under the branch model: %+v", info)
	}
	e.sim.SetBranchModel(false)
	e.must(200, "PATCH", a+"/versions/"+ids[1]+"/activate", nil)
}
