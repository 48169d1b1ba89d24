package branches

import (
	"slices"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

const cancelPath = "/agent/*/branches/*/draft/publish/cancel"

func TestAbandon(t *testing.T) {
	tests := []struct {
		name      string
		onFeature bool // the draft is on a person's branch
		race      bool // the scan passes before the cancel lands
		archived  bool // the stage ends archived
		cancels   int
	}{
		{"own branch scanning: cancelled and archived", false, false, true, 1},
		{"own branch, the scan passed first: archived, harmless", false, true, true, 0},
		{"a person's branch: cancelled, never archived", true, false, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{})
			id, mainID, head := e.agent("abandon")
			src := mainID
			if tt.onFeature {
				src = e.fork(id, mainID, "feature", nil)
			}
			e.edit(id, src, map[string]any{"firstMessage": "Abandoned"})
			r := e.publish(e.stage(id, src, "pr_x", head))
			stage := decodeToken(r.Token).Stage
			if tt.race {
				e.clock.Advance(checkDelay)
			}
			e.sim.ResetCalls()
			if err := e.a.Abandon(ctx, r); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(checkDelay) // a cancelled scan never commits
			b := e.branch(id, stage)
			if (b.Status == "archived") != tt.archived || e.count("POST", cancelPath) != tt.cancels {
				t.Fatalf("stage %+v, writes %v", b, e.writes())
			}
			if !tt.archived && (b.DraftID == "" || b.Scanning || b.HeadRevisionID != "") {
				t.Fatalf("a person's branch keeps its draft, uncommitted: %+v", b)
			}
			if m := e.branch(id, mainID); !m.Live || m.HeadRevisionID != head {
				t.Fatalf("live changed: %+v", m)
			}
		})
	}
}

func TestAbandonNeverTouchesLive(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("abandon-live")
	e.edit(id, mainID, map[string]any{"firstMessage": "Live already"})
	r := e.activate(e.committed(id, mainID, "pr_l", head))
	if err := e.a.Abandon(ctx, r); err != nil {
		t.Fatal(err)
	}
	if l := e.live(id); l.ID != decodeToken(r.Token).Stage || l.Status != "active" {
		t.Fatalf("live %+v", l)
	}

	t.Run("a rollback leaves everything", func(t *testing.T) {
		v, _ := e.a.Version(ctx, id, platform.VersionRef{ID: head})
		rb, err := e.a.PrepareRollback(ctx, id, v, r.VersionID)
		if err != nil {
			t.Fatal(err)
		}
		e.sim.ResetCalls()
		if err := e.a.Abandon(ctx, rb); err != nil || len(e.sim.Calls()) != 0 {
			t.Fatalf("Abandon = %v, calls %v", err, e.sim.Calls())
		}
	})
	t.Run("a release of the other model is not ours", func(t *testing.T) {
		e.sim.ResetCalls()
		v1 := platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_l", DraftID: "d"}
		if err := e.a.Abandon(ctx, v1); err != nil || len(e.sim.Calls()) != 0 {
			t.Fatalf("Abandon = %v, calls %v", err, e.sim.Calls())
		}
		if err := e.a.Tidy(ctx, v1); err != nil || len(e.sim.Calls()) != 0 {
			t.Fatalf("Tidy = %v, calls %v", err, e.sim.Calls())
		}
	})
}

// TestAbandonBeforeStagingWasRecorded: Stage made the branch, but the
// release carries no token (the answer was lost): the branch is found by
// its name.
func TestAbandonBeforeStagingWasRecorded(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("unrecorded")
	e.edit(id, mainID, map[string]any{"firstMessage": "Staged, unrecorded"})
	e.stage(id, mainID, "pr_u", head)
	if err := e.a.Abandon(ctx, platform.Release{AgentID: id, ID: "pr_u", DraftID: mainID}); err != nil {
		t.Fatal(err)
	}
	if b, _ := e.branchNamed(id, "atomsbot-pr_u"); b.Status != "archived" {
		t.Fatalf("own branch %+v", b)
	}
	if m := e.branch(id, mainID); m.DraftID == "" || !m.Live {
		t.Fatalf("Main %+v", m)
	}
}

func TestTidy(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("tidy")
	old1 := e.fork(id, mainID, "atomsbot-pr_old1", nil)
	old2 := e.fork(id, mainID, "atomsbot-pr_old2", map[string]any{"firstMessage": "Old two"})
	person := e.fork(id, mainID, "feature", nil)
	edit := e.fork(id, mainID, "atomsbot-edit", nil)
	e.edit(id, mainID, map[string]any{"firstMessage": "Previous promotion"})
	prev := e.activate(e.committed(id, mainID, "pr_prev", head))
	e.edit(id, decodeToken(prev.Token).Stage, map[string]any{"firstMessage": "This promotion"})
	cur := e.activate(e.committed(id, decodeToken(prev.Token).Stage, "pr_cur", prev.VersionID))

	e.sim.ResetCalls()
	if err := e.a.Tidy(ctx, cur); err != nil {
		t.Fatal(err)
	}
	var archived []string
	for _, b := range e.branches(id) {
		if b.Status == "archived" {
			archived = append(archived, b.Name)
		}
	}
	slices.Sort(archived)
	want := []string{"atomsbot-pr_old1", "atomsbot-pr_old2"}
	if !slices.Equal(archived, want) {
		t.Fatalf("archived %v, want %v", archived, want)
	}
	// Kept: Main, a person's branch, a bot edit branch, the live one and
	// the one live before it (the rollback target).
	for _, kept := range []string{mainID, person, edit, decodeToken(cur.Token).Stage, decodeToken(prev.Token).Stage} {
		if b := e.branch(id, kept); b.Status != "active" {
			t.Errorf("%s was archived", b.Name)
		}
	}
	if e.branch(id, old1).Status != "archived" || e.branch(id, old2).Status != "archived" {
		t.Fatal("old promotion branches kept")
	}
	if n := e.count("POST", "/agent/*/branches/*/archive"); n != 2 {
		t.Errorf("%d archive calls", n)
	}
}
