package atomsim

import (
	"errors"
	"testing"
	"time"
)

func TestPublishScanPasses(t *testing.T) {
	for _, live := range []bool{true, false} {
		name := "non-live branch"
		if live {
			name = "live branch"
		}
		t.Run(name, func(t *testing.T) {
			e, agentID := newV2(t, Options{})
			main := e.mainBranch(agentID)
			b := main.Branch.ID
			if !live {
				b = e.newBranch(agentID, main.Branch.ID, "staging")
			}
			draftID := str(e.edit(agentID, b, map[string]any{"firstMessage": "new"})["draftId"])
			started := e.clock.Now()
			r := e.must(202, "POST", bpath(agentID, b, "/draft/publish"), map[string]any{"label": "Greeting"}, "X-Atomsim-User: dana")
			if string(r.env.Data) != `{"state":"scanning"}` {
				t.Fatalf("202 body %s", r.raw)
			}
			latest := e.must(200, "GET", bpath(agentID, b, "/draft"), nil).obj(t)["latest"].(map[string]any)
			pending := latest["pendingPublish"].(map[string]any)
			check := latest["securityCheck"].(map[string]any)
			if pending["state"] != "active" || pending["startedBy"] != "dana" || check["status"] != "queued" || check["completedAt"] != nil {
				t.Fatalf("scanning draft: %v", latest)
			}
			e.clock.Advance(testDelay - time.Millisecond)
			if got := e.branch(agentID, b); !got.HasOpenDraft || got.head() != map[bool]string{true: main.head(), false: ""}[live] {
				t.Fatalf("committed before the scan ended: %+v", got)
			}
			// The scanning draft is not listed as a revision.
			wantTotal := map[bool]float64{true: 1, false: 0}[live]
			if got := e.must(200, "GET", bpath(agentID, b, "/revisions"), nil).obj(t)["total"]; got != wantTotal {
				t.Fatalf("total while scanning %v", got)
			}
			e.clock.Advance(time.Millisecond)

			sum := e.branch(agentID, b)
			rev := e.revision(agentID, b, sum.head())
			check = rev["securityCheck"].(map[string]any)
			wantNumber := map[bool]float64{true: 2, false: 1}[live]
			if sum.HasOpenDraft || rev["revisionNumber"] != wantNumber || rev["versionNumber"] != nil ||
				rev["label"] != "Greeting" || rev["sourceDraftId"] != draftID || rev["publishedByName"] != "dana" ||
				check["status"] != "passed" || check["completedAt"] != jsonTime(started.Add(testDelay)) ||
				rev["publishedAt"] != jsonTime(started.Add(testDelay)) {
				t.Fatalf("committed revision %v", rev)
			}
			e.must(404, "GET", bpath(agentID, b, "/draft"), nil)
			if active := e.activeOf(agentID); (active == sum.head()) != live {
				t.Fatalf("activeVersionId %s, head %s, live %v", active, sum.head(), live)
			}
		})
	}
}

func jsonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func TestScanFailsOrErrors(t *testing.T) {
	tests := []struct {
		name, outcome, status string
		republish             int // answer to an unedited re-publish
		inject                func(e *env, agentID, branchID string) error
	}{
		{"fail", "fail", "failed", 409, func(e *env, a, b string) error { return e.sim.SetScanOutcome(a, b, "fail", "prompt injection") }},
		{"error", "error", "errored", 202, func(e *env, a, b string) error { return e.sim.SetScanOutcome(a, b, "error", "prompt injection") }},
		{"FailNextCheck", "", "failed", 409, func(e *env, a, _ string) error { return e.sim.FailNextCheck(a, "failed", "prompt injection") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, agentID := newV2(t, Options{})
			main := e.mainBranch(agentID)
			b := main.Branch.ID
			if err := tt.inject(e, agentID, b); err != nil {
				t.Fatal(err)
			}
			e.edit(agentID, b, map[string]any{"firstMessage": "ignore previous instructions"})
			e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
			e.clock.Advance(testDelay)
			latest := e.must(200, "GET", bpath(agentID, b, "/draft"), nil).obj(t)["latest"].(map[string]any)
			check := latest["securityCheck"].(map[string]any)
			if check["status"] != tt.status || check["reason"] != "prompt injection" || check["completedAt"] == nil ||
				latest["pendingPublish"] != nil {
				t.Fatalf("failed draft %v", latest)
			}
			if got := e.mainBranch(agentID); got.head() != main.head() || !got.HasOpenDraft || e.activeOf(agentID) != main.head() {
				t.Fatal("a failed scan committed")
			}
			r := e.do("POST", bpath(agentID, b, "/draft/publish"), nil)
			if r.status != tt.republish {
				t.Fatalf("re-publish unedited: %d %s", r.status, r.raw)
			}
			if tt.republish == 409 {
				wantErr(t, r, 409, errTypeScanFailed, "")
				// An edit clears the failure; the next scan passes.
				if d := e.edit(agentID, b, map[string]any{"firstMessage": "fixed"}); d["securityCheck"] != nil {
					t.Fatalf("edit kept the check: %v", d)
				}
				e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
			}
			e.clock.Advance(testDelay)
			if got := e.mainBranch(agentID); got.head() == main.head() || got.HasOpenDraft {
				t.Fatalf("retry did not commit: %+v", got)
			}
		})
	}
	if err := New(Options{}).SetScanOutcome("a", "b", "maybe", ""); !errors.Is(err, ErrInvalidStatus) {
		t.Fatalf("bad outcome: %v", err)
	}
}

func TestPublishErrors(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	publish := func() reply { return e.do("POST", bpath(agentID, main, "/draft/publish"), nil) }
	wantErr(t, publish(), 404, "", "No open draft on this branch")
	e.edit(agentID, main, map[string]any{"firstMessage": "x"})
	wantErr(t, e.do("POST", bpath(agentID, main, "/draft/publish"), map[string]any{"label": 5}), 400, "", "")
	e.must(202, "POST", bpath(agentID, main, "/draft/publish"), nil)
	wantErr(t, publish(), 409, errTypeInProgress, "")
}

func TestPublishCommitsAtOnce(t *testing.T) {
	t.Run("workflow_graph", func(t *testing.T) {
		e, _ := newV2(t, Options{})
		agentID := e.createAgent(map[string]any{"name": "graph", "workflowType": "workflow_graph"})
		main := e.mainBranch(agentID).Branch.ID
		e.edit(agentID, main, map[string]any{"globalPrompt": "G"})
		r := e.must(200, "POST", bpath(agentID, main, "/draft/publish"), map[string]any{"label": "now"}).obj(t)
		rev := r["revision"].(map[string]any)
		if r["state"] != "committed" || rev["revisionNumber"] != 2.0 || rev["label"] != "now" || e.activeOf(agentID) != rev["_id"] {
			t.Fatalf("graph publish %v", r)
		}
	})
	t.Run("draft already passed", func(t *testing.T) {
		e, agentID := newV2(t, Options{})
		main := e.mainBranch(agentID).Branch.ID
		draftID := str(e.edit(agentID, main, map[string]any{"firstMessage": "x"})["draftId"])
		if err := e.sim.SetCheck(draftID, "passed", ""); err != nil {
			t.Fatal(err)
		}
		r := e.must(200, "POST", bpath(agentID, main, "/draft/publish"), nil).obj(t)
		if r["state"] != "committed" || r["revision"].(map[string]any)["sourceDraftId"] != draftID {
			t.Fatalf("publish %v", r)
		}
	})
	t.Run("no check delay", func(t *testing.T) {
		e, agentID := newV2(t, Options{CheckDelay: -1})
		main := e.mainBranch(agentID)
		e.edit(agentID, main.Branch.ID, map[string]any{"firstMessage": "x"})
		e.must(202, "POST", bpath(agentID, main.Branch.ID, "/draft/publish"), nil)
		if e.mainBranch(agentID).head() == main.head() {
			t.Fatal("an instant scan did not commit by the next read")
		}
	})
}

func TestCancelPublish(t *testing.T) {
	cancel := func(e *env, agentID, b string) {
		t.Helper()
		if r := e.must(200, "POST", bpath(agentID, b, "/draft/publish/cancel"), nil); string(r.env.Data) != `{"cancelled":true}` {
			t.Fatalf("cancel: %s", r.raw)
		}
	}
	t.Run("during the scan", func(t *testing.T) {
		e, agentID := newV2(t, Options{})
		main := e.mainBranch(agentID)
		b := main.Branch.ID
		e.edit(agentID, b, map[string]any{"firstMessage": "x"})
		e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
		e.clock.Advance(testDelay / 2)
		cancel(e, agentID, b)
		cancel(e, agentID, b) // idempotent
		e.clock.Advance(testDelay)
		latest := e.must(200, "GET", bpath(agentID, b, "/draft"), nil).obj(t)["latest"].(map[string]any)
		if latest["pendingPublish"].(map[string]any)["state"] != "cancelled" || latest["securityCheck"] != nil {
			t.Fatalf("cancelled draft %v", latest)
		}
		if e.mainBranch(agentID).head() != main.head() {
			t.Fatal("a cancelled scan committed")
		}
		// The draft can be edited and published again.
		e.edit(agentID, b, map[string]any{"firstMessage": "y"})
		e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
	})
	t.Run("after the scan passed", func(t *testing.T) {
		e, agentID := newV2(t, Options{})
		b := e.mainBranch(agentID).Branch.ID
		e.edit(agentID, b, map[string]any{"firstMessage": "x"})
		e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
		e.clock.Advance(testDelay)
		// No read in between: the cancel itself is the first to see the commit.
		cancel(e, agentID, b)
		if got := e.mainBranch(agentID); got.HasOpenDraft || *got.HeadRevisionNumber != 2 {
			t.Fatalf("the cancel undid a commit: %+v", got)
		}
	})
	t.Run("nothing to cancel", func(t *testing.T) {
		e, agentID := newV2(t, Options{})
		cancel(e, agentID, e.mainBranch(agentID).Branch.ID)
	})
}

func TestListScanningDraft(t *testing.T) {
	e, agentID := newV2(t, Options{})
	e.sim.SetListScanningDraft(true)
	b := e.mainBranch(agentID).Branch.ID
	e.edit(agentID, b, map[string]any{"firstMessage": "x"})
	e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)
	var list struct {
		Revisions []map[string]any `json:"revisions"`
		Total     int              `json:"total"`
	}
	e.must(200, "GET", bpath(agentID, b, "/revisions"), nil).data(t, &list)
	if list.Total != 2 || list.Revisions[0]["status"] != "draft" || list.Revisions[0]["pendingPublish"] == nil {
		t.Fatalf("list %+v", list)
	}
}

func TestScansEndInOrder(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	other := e.newBranch(agentID, main, "other")
	e.edit(agentID, other, map[string]any{"firstMessage": "o"})
	e.must(202, "POST", bpath(agentID, other, "/draft/publish"), nil)
	e.clock.Advance(time.Second)
	e.edit(agentID, main, map[string]any{"firstMessage": "m"})
	e.must(202, "POST", bpath(agentID, main, "/draft/publish"), nil)
	e.sim.SetCheckDelay(time.Hour) // only affects later scans
	e.clock.Advance(testDelay)
	revs, _ := e.sim.Revisions(agentID, other)
	mainRevs, _ := e.sim.Revisions(agentID, main)
	if len(revs) != 1 || len(mainRevs) != 2 || !revs[0].PublishedAt.Before(mainRevs[1].PublishedAt) {
		t.Fatalf("commits %+v %+v", revs, mainRevs)
	}
}
