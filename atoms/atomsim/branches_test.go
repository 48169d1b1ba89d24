package atomsim

import (
	"net/http"
	"strings"
	"testing"
)

func TestNewAgentOnBranchModel(t *testing.T) {
	e, agentID := newV2(t, Options{})
	bs := e.branches(agentID)
	if len(bs) != 1 {
		t.Fatalf("%d branches", len(bs))
	}
	m := bs[0]
	if m.Branch.Name != "Main" || !m.Branch.IsDefault || !m.IsLive || m.HasOpenDraft || m.RevisionsCount != 1 ||
		m.HeadRevisionNumber == nil || *m.HeadRevisionNumber != 1 || m.Branch.SourceBranchID != nil ||
		m.Branch.SourceRevisionID != nil || m.Branch.Status != "active" || deref(m.CreatedByName) != "api" {
		t.Fatalf("Main: %+v", m)
	}
	if got := e.activeOf(agentID); got != m.head() || !isObjectID(got) {
		t.Fatalf("activeVersionId %s, head %s", got, m.head())
	}
	r1 := e.revision(agentID, m.Branch.ID, m.head())
	check := r1["securityCheck"].(map[string]any)
	if r1["revisionNumber"] != 1.0 || r1["versionNumber"] != nil || r1["status"] != "published" ||
		r1["branch"] != m.Branch.ID || check["status"] != "passed" || r1["isActive"] != true {
		t.Fatalf("revision 1: %v", r1)
	}
}

func TestCreateBranch(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	r := e.must(201, "POST", "/agent/"+agentID+"/branches", map[string]any{"sourceBranchId": main.Branch.ID, "name": "  Feature  "})
	b := r.obj(t)
	if b["name"] != "Feature" || b["headRevisionId"] != nil || b["sourceBranchId"] != main.Branch.ID ||
		b["sourceRevisionId"] != main.head() || b["openDraftId"] != nil || b["status"] != "active" ||
		b["isDefault"] != false || b["agent"] != agentID {
		t.Fatalf("new branch: %v", b)
	}
	featureID := str(b["_id"])
	archived := e.newBranch(agentID, main.Branch.ID, "old idea")
	e.must(200, "POST", bpath(agentID, archived, "/archive"), nil)
	noHead := e.newBranch(agentID, main.Branch.ID, "no head yet")
	scanning := e.newBranch(agentID, main.Branch.ID, "scanning")
	e.commit(agentID, scanning, map[string]any{"firstMessage": "committed"})
	e.edit(agentID, scanning, map[string]any{"firstMessage": "scan me"})
	e.must(202, "POST", bpath(agentID, scanning, "/draft/publish"), nil)

	tests := []struct {
		name              string
		body              any
		status            int
		errorType, errMsg string
	}{
		{"no name", map[string]any{"sourceBranchId": main.Branch.ID}, 400, "", "Invalid Input: name: Required"},
		{"no source", map[string]any{"name": "x"}, 400, "", "Invalid Input: sourceBranchId: Required"},
		{"malformed source", map[string]any{"sourceBranchId": "main", "name": "x"}, 400, "", ""},
		{"empty name", map[string]any{"sourceBranchId": main.Branch.ID, "name": "  "}, 400, "", ""},
		{"name too long", map[string]any{"sourceBranchId": main.Branch.ID, "name": strings.Repeat("n", 101)}, 400, "", ""},
		{"name not a string", map[string]any{"sourceBranchId": main.Branch.ID, "name": 7}, 400, "", ""},
		{"unknown source", map[string]any{"sourceBranchId": "0123456789abcdef01234567", "name": "x"}, 404, "", ""},
		{"archived source", map[string]any{"sourceBranchId": archived, "name": "x"}, 404, "", ""},
		{"main reserved", map[string]any{"sourceBranchId": main.Branch.ID, "name": "main"}, 409, errTypeNameExists, ""},
		{"MAIN reserved", map[string]any{"sourceBranchId": main.Branch.ID, "name": "MAIN"}, 409, errTypeNameExists, ""},
		{"name taken, other case", map[string]any{"sourceBranchId": main.Branch.ID, "name": "feature"}, 409, errTypeNameExists, ""},
		{"source without a commit", map[string]any{"sourceBranchId": noHead, "name": "x"}, 409, errTypeNoCommit, ""},
		{"source scanning", map[string]any{"sourceBranchId": scanning, "name": "x"}, 409, errTypeScanning, ""},
		{"archived name is free again", map[string]any{"sourceBranchId": main.Branch.ID, "name": "Old Idea"}, 201, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/agent/"+agentID+"/branches", tt.body)
			if tt.status == 201 {
				if r.status != 201 {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				return
			}
			wantErr(t, r, tt.status, tt.errorType, tt.errMsg)
		})
	}
	// Main first, then by creation; archived branches are not listed.
	var names []string
	for _, b := range e.branches(agentID) {
		names = append(names, b.Branch.Name)
	}
	if strings.Join(names, ",") != "Main,Feature,no head yet,scanning,Old Idea" {
		t.Fatalf("order %v", names)
	}
	if got := e.branch(agentID, featureID); got.IsLive || got.RevisionsCount != 0 || got.HeadRevisionNumber != nil {
		t.Fatalf("fresh fork summary: %+v", got)
	}
}

func TestForkCopiesHead(t *testing.T) {
	e, agentID := newV2(t, Options{ForkCopiesHead: true})
	main := e.mainBranch(agentID)
	id := e.newBranch(agentID, main.Branch.ID, "copy")
	b := e.branch(agentID, id)
	if b.head() == "" || b.head() == main.head() || b.RevisionsCount != 1 || *b.HeadRevisionNumber != 1 {
		t.Fatalf("fork with a copied head: %+v", b)
	}
	rev := e.revision(agentID, id, b.head())
	if rev["sourceVersionId"] != main.head() || rev["branch"] != id {
		t.Fatalf("copied revision: %v", rev)
	}
	src, _ := e.sim.Config(agentID, main.head())
	dst, _ := e.sim.Config(agentID, b.head())
	if diffs := diffConfigs(branchSectionNames(), src, dst); countChanges(diffs) != 0 {
		t.Fatalf("copy differs: %v", diffs)
	}
	// Made live at once: its head passed.
	e.must(200, "POST", bpath(agentID, id, "/live"), nil)
}

func countChanges(ds []sectionDiff) int {
	n := 0
	for _, d := range ds {
		n += len(d.Changes)
	}
	return n
}

func TestBranchIDs(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	tests := []struct {
		path   string
		status int
	}{
		{"/agent/" + agentID + "/branches/nope", 400},
		{"/agent/" + agentID + "/branches/0123456789abcdef01234567", 404},
		{"/agent/0123456789abcdef01234567/branches", 404},
		{"/agent/xyz/branches", 400},
		{bpath(agentID, main, "/revisions/nope"), 400},
		{bpath(agentID, main, "/revisions/0123456789abcdef01234567"), 404},
		{bpath(agentID, main, "/draft"), 404},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.must(tt.status, "GET", tt.path, nil)
			if r.env.Status || len(r.env.Errors) == 0 {
				t.Fatalf("body %s", r.raw)
			}
		})
	}
}

func TestRenameAndArchive(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	a := e.newBranch(agentID, main, "Alpha")
	b := e.newBranch(agentID, main, "Beta")
	e.commit(agentID, b, map[string]any{"firstMessage": "beta"})
	tests := []struct {
		name, method, path string
		body               any
		status             int
		errorType          string
	}{
		{"rename Main", "PATCH", bpath(agentID, main, ""), map[string]any{"name": "Trunk"}, 403, ""},
		{"rename to a taken name", "PATCH", bpath(agentID, a, ""), map[string]any{"name": "BETA"}, 409, errTypeNameExists},
		{"rename to main", "PATCH", bpath(agentID, a, ""), map[string]any{"name": "main"}, 409, errTypeNameExists},
		{"rename without a name", "PATCH", bpath(agentID, a, ""), map[string]any{}, 400, ""},
		{"rename to its own name in another case", "PATCH", bpath(agentID, a, ""), map[string]any{"name": "ALPHA"}, 200, ""},
		{"archive Main", "POST", bpath(agentID, main, "/archive"), nil, 403, ""},
		{"make Beta live", "POST", bpath(agentID, b, "/live"), nil, 200, ""},
		{"archive the live branch", "POST", bpath(agentID, b, "/archive"), nil, 403, ""},
		{"archive Alpha", "POST", bpath(agentID, a, "/archive"), nil, 200, ""},
		{"archive Alpha again", "POST", bpath(agentID, a, "/archive"), nil, 200, ""},
		{"rename archived", "PATCH", bpath(agentID, a, ""), map[string]any{"name": "Gamma"}, 403, ""},
		{"edit archived", "PUT", bpath(agentID, a, "/draft"), map[string]any{"firstMessage": "x"}, 403, ""},
		{"publish archived", "POST", bpath(agentID, a, "/draft/publish"), nil, 403, ""},
		{"make archived live", "POST", bpath(agentID, a, "/live"), nil, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body)
			if tt.status < 300 {
				if r.status != tt.status {
					t.Fatalf("status %d: %s", r.status, r.raw)
				}
				return
			}
			wantErr(t, r, tt.status, tt.errorType, "")
		})
	}
	if got := e.branch(agentID, a); got.Branch.Name != "ALPHA" || got.Branch.Status != "archived" || got.IsLive {
		t.Fatalf("archived branch: %+v", got)
	}
	for _, s := range e.branches(agentID) {
		if s.Branch.ID == a {
			t.Fatal("archived branch still listed")
		}
	}
}

func TestArchiveDropsDraft(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	b := e.newBranch(agentID, main, "doomed")
	draftID := str(e.edit(agentID, b, map[string]any{"firstMessage": "x"})["draftId"])
	e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
	e.must(200, "POST", bpath(agentID, b, "/archive"), nil)
	e.clock.Advance(testDelay)
	if got := e.branch(agentID, b); got.HasOpenDraft || got.head() != "" {
		t.Fatalf("archived with a draft: %+v", got)
	}
	e.must(404, "GET", "/agent/"+agentID+"?draftId="+draftID, nil)
}

func TestMakeLive(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	b := e.newBranch(agentID, main.Branch.ID, "next")
	wantErr(t, e.do("POST", bpath(agentID, b, "/live"), nil), 409, errTypeNoCommitted, "")
	head := e.commit(agentID, b, map[string]any{"firstMessage": "next"})
	if e.activeOf(agentID) != main.head() {
		t.Fatal("a commit on a non-live branch went live")
	}
	if err := e.sim.SetCheck(head, "failed", "late finding"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.do("POST", bpath(agentID, b, "/live"), nil), 403, "", "")
	if err := e.sim.SetCheck(head, "passed", ""); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call finds it live already: same answer
		var s summary
		e.must(200, "POST", bpath(agentID, b, "/live"), nil).data(t, &s)
		if !s.IsLive || s.head() != head {
			t.Fatalf("make-live answer %+v", s)
		}
	}
	if e.liveBranch(agentID).Branch.ID != b || e.activeOf(agentID) != head || e.branch(agentID, main.Branch.ID).IsLive {
		t.Fatal("make-live did not move the live branch")
	}
	if rev := e.revision(agentID, b, head); rev["isActive"] != true {
		t.Fatalf("head not active: %v", rev)
	}
	// The old live branch keeps its revisions and can be archived now.
	e.must(http.StatusOK, "POST", bpath(agentID, main.Branch.ID, "/live"), nil)
	if e.activeOf(agentID) != main.head() {
		t.Fatal("reverting to Main did not serve its head")
	}
}
