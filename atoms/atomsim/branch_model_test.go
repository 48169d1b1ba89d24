package atomsim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestBranchRoutesAreHTML404InV1: a v1 host has no branch routes, which is
// how a client tells the models apart.
func TestBranchRoutesAreHTML404InV1(t *testing.T) {
	e := newEnv(t, Options{})
	agentID := e.createAgent(map[string]any{"name": "v1"})
	const b = "0123456789abcdef01234567"
	for _, rt := range []struct{ method, path string }{
		{"GET", "/agent/" + agentID + "/branches"},
		{"POST", "/agent/" + agentID + "/branches"},
		{"GET", bpath(agentID, b, "")},
		{"PUT", bpath(agentID, b, "/draft")},
		{"POST", bpath(agentID, b, "/draft/publish")},
		{"POST", bpath(agentID, b, "/live")},
		{"GET", bpath(agentID, b, "/revisions")},
		{"GET", "/agent/" + agentID + "/diff?a=x&b=y"},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := e.must(404, rt.method, "/atoms/v1"+rt.path, map[string]any{})
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
				!strings.Contains(string(r.raw), "<pre>Cannot "+rt.method+" /atoms/v1"+strings.Split(rt.path, "?")[0]+"</pre>") {
				t.Fatalf("answer %s %s", r.header.Get("Content-Type"), r.raw)
			}
		})
	}
}

func TestMigrationOfV1Agents(t *testing.T) {
	e := newEnv(t, Options{CheckDelay: -1})
	agentID, ids := publishN(t, e, 2, "maria") // versions 1–3, version 1 active
	e.must(200, "PATCH", "/agent/"+agentID+"/versions/"+ids[1]+"/activate", nil)
	v1Draft := e.fork(agentID)

	e.sim.SetBranchModel(true)
	bs := e.branches(agentID)
	if len(bs) != 1 {
		t.Fatalf("%d branches", len(bs))
	}
	m := bs[0]
	if m.Branch.Name != "Main" || !m.IsLive || m.head() != ids[1] || m.RevisionsCount != 3 || *m.HeadRevisionNumber != 2 || m.HasOpenDraft {
		t.Fatalf("migrated Main %+v", m)
	}
	if e.activeOf(agentID) != ids[1] {
		t.Fatal("activeVersionId changed")
	}
	for i, id := range ids {
		rev := e.revision(agentID, m.Branch.ID, id)
		if rev["revisionNumber"] != float64(i+1) || rev["versionNumber"] != float64(i+1) || rev["branch"] != m.Branch.ID {
			t.Fatalf("migrated version %d: %v", i+1, rev)
		}
	}
	// The v1 draft stays readable by id through the kept v1 GET only.
	if r := e.must(200, "GET", "/agent/"+agentID+"/drafts/"+v1Draft, nil); r.header.Get("Deprecation") != "true" {
		t.Fatal("kept v1 GET without Deprecation")
	}
	e.must(409, "PATCH", "/agent/"+agentID+"/drafts/"+v1Draft+"/config", map[string]any{"firstMessage": "x"})

	// The next commit continues Main's numbering, without a versionNumber.
	head := e.commit(agentID, m.Branch.ID, map[string]any{"firstMessage": "after"})
	if rev := e.revision(agentID, m.Branch.ID, head); rev["revisionNumber"] != 4.0 || rev["versionNumber"] != nil {
		t.Fatalf("first v2 commit %v", rev)
	}
	// It is readable through the kept v1 GET too (versionNumber null).
	r := e.must(200, "GET", "/agent/"+agentID+"/versions/"+head, nil)
	if v := r.obj(t)["version"].(map[string]any); v["versionNumber"] != nil || r.header.Get("Deprecation") != "true" {
		t.Fatalf("kept v1 read of a revision: %v", v)
	}
	// Switching on again does not migrate twice.
	e.sim.SetBranchModel(true)
	if len(e.branches(agentID)) != 1 {
		t.Fatal("migrated twice")
	}
}

func TestV1RoutesUnderBranchModel(t *testing.T) {
	e, agentID := newV2(t, Options{})
	head := e.mainBranch(agentID).head()
	for _, rt := range []struct {
		method, path string
		status       int
	}{
		{"POST", "/agent/" + agentID + "/drafts", 409},
		{"GET", "/agent/" + agentID + "/versions", 409},
		{"PATCH", "/agent/" + agentID + "/versions/" + head + "/activate", 409},
		{"GET", "/agent/" + agentID + "/versions/" + head, 200},
		{"POST", "/agent/" + agentID + "/versions/" + head + "/test-call", 200},
	} {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := e.must(rt.status, rt.method, rt.path, map[string]any{})
			if r.header.Get("Deprecation") != "true" || rt.status == 409 && r.env.ErrorType != migrationErrorType {
				t.Fatalf("answer %v %s", r.header, r.raw)
			}
		})
	}
}

func TestSwitchingBackToV1(t *testing.T) {
	e, agentID := newV2(t, Options{CheckDelay: -1})
	e.sim.SetBranchModel(false)
	e.must(404, "GET", "/agent/"+agentID+"/branches", nil)
	d := e.fork(agentID)
	e.must(200, "PATCH", "/agent/"+agentID+"/drafts/"+d+"/config", map[string]any{"firstMessage": "v1 again"})
	e.must(201, "POST", "/agent/"+agentID+"/drafts/"+d+"/publish", nil)
	if err := e.sim.DashboardMakeLive(agentID, "x", "y"); !errors.Is(err, ErrNotBranchModel) {
		t.Fatalf("hook in v1 mode: %v", err)
	}
}

func TestFreeze(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	b := e.newBranch(agentID, main.Branch.ID, "feature")
	e.commit(agentID, b, map[string]any{"firstMessage": "f"})
	e.edit(agentID, b, map[string]any{"firstMessage": "g"})
	e.sim.SetFrozen(true)
	writes := []struct{ method, path string }{
		{"POST", "/agent/" + agentID + "/branches"},
		{"PATCH", bpath(agentID, b, "")},
		{"POST", bpath(agentID, b, "/archive")},
		{"POST", bpath(agentID, b, "/live")},
		{"PUT", bpath(agentID, b, "/draft")},
		{"DELETE", bpath(agentID, b, "/draft")},
		{"POST", bpath(agentID, b, "/draft/publish")},
		{"POST", bpath(agentID, b, "/draft/publish/cancel")},
		{"POST", bpath(agentID, main.Branch.ID, "/revisions/"+main.head()+"/restore")},
	}
	for _, w := range writes {
		t.Run(w.method+" "+w.path, func(t *testing.T) {
			wantErr(t, e.do(w.method, w.path, map[string]any{"firstMessage": "x", "name": "y"}), 423, errTypeFreezeActive, frozenMessage)
		})
	}
	for _, path := range []string{"/agent/" + agentID + "/branches", bpath(agentID, b, "/draft"), bpath(agentID, b, "/revisions"), "/agent/" + agentID} {
		e.must(200, "GET", path, nil)
	}
	e.must(200, "POST", bpath(agentID, b, "/test-call"), nil)
	if err := e.sim.DashboardMakeLive(agentID, b, "ops"); !errors.Is(err, ErrFrozen) {
		t.Fatalf("hook during a freeze: %v", err)
	}
	if got := e.liveBranch(agentID); got.Branch.ID != main.Branch.ID {
		t.Fatal("a frozen write took effect")
	}
	e.sim.SetFrozen(false)
	e.must(200, "POST", bpath(agentID, b, "/live"), nil)
}

func TestReadLag(t *testing.T) {
	const lag = 2 * time.Second
	e, agentID := newV2(t, Options{ReadLag: lag})
	main := e.mainBranch(agentID)
	old := main.head()
	e.edit(agentID, main.Branch.ID, map[string]any{"firstMessage": "lagging"})
	e.must(202, "POST", bpath(agentID, main.Branch.ID, "/draft/publish"), nil)
	e.clock.Advance(testDelay)

	// Committed at once (the draft is closed, the revision is listed) but
	// the branch and agent reads still show the old head.
	revs, _ := e.sim.Revisions(agentID, main.Branch.ID)
	fresh := revs[len(revs)-1].ID
	e.must(404, "GET", bpath(agentID, main.Branch.ID, "/draft"), nil)
	e.revision(agentID, main.Branch.ID, fresh)
	if got := e.branch(agentID, main.Branch.ID); got.head() != old || got.RevisionsCount != 1 || *got.HeadRevisionNumber != 1 {
		t.Fatalf("GET branch during the lag: %+v", got)
	}
	if e.mainBranch(agentID).head() != old || e.activeOf(agentID) != old {
		t.Fatal("GET branches or GET agent not lagging")
	}
	e.clock.Advance(lag)
	if e.branch(agentID, main.Branch.ID).head() != fresh || e.activeOf(agentID) != fresh {
		t.Fatal("still lagging after the window")
	}

	// Make-live: its own answer is fresh, the reads lag.
	b := e.newBranch(agentID, main.Branch.ID, "next")
	if lagged := e.commit(agentID, b, map[string]any{"firstMessage": "next"}); lagged != "" {
		t.Fatalf("a fresh commit on another branch read back at once: %s", lagged)
	}
	bs, _ := e.sim.Branches(agentID) // snapshots are never stale
	bHead := bs[1].HeadRevisionID
	e.clock.Advance(lag)
	var s summary
	e.must(200, "POST", bpath(agentID, b, "/live"), nil).data(t, &s)
	if !s.IsLive {
		t.Fatal("make-live answer not live")
	}
	if e.liveBranch(agentID).Branch.ID != main.Branch.ID || e.branch(agentID, b).IsLive || e.activeOf(agentID) != fresh {
		t.Fatal("reads after make-live not lagging")
	}
	e.clock.Advance(lag)
	if e.liveBranch(agentID).Branch.ID != b || e.activeOf(agentID) != bHead {
		t.Fatal("make-live not visible after the window")
	}
	// Off again: no lag for later changes.
	e.sim.SetReadLag(0)
	e.must(200, "POST", bpath(agentID, main.Branch.ID, "/live"), nil)
	if e.liveBranch(agentID).Branch.ID != main.Branch.ID {
		t.Fatal("lag still on")
	}
}
