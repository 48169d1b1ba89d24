package branches

import (
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

const restorePath = "/agent/*/branches/*/revisions/*/restore"

// rollbackFixture: an agent whose Main went v1 → v2 and whose draft on Main
// was then promoted (the bot's branch is live).
type rollbackFixture struct {
	e                    *env
	id, main, rev1, rev2 string
	promoted             platform.Release
	promotedHead         string
}

func newRollbackFixture(t *testing.T, opts atomsim.Options) rollbackFixture {
	e := newEnv(t, opts)
	id, mainID, rev2 := e.agent("rollback")
	revs, _ := e.sim.Revisions(id, mainID)
	e.edit(id, mainID, map[string]any{"firstMessage": "Promoted"})
	r := e.activate(e.committed(id, mainID, "pr_p", rev2))
	e.clock.Advance(time.Minute)
	return rollbackFixture{e: e, id: id, main: mainID, rev1: revs[0].ID, rev2: rev2, promoted: r, promotedHead: r.VersionID}
}

// rollback prepares and activates a rollback to target, the base being
// what is live now.
func (f rollbackFixture) rollback(target string) (platform.Release, error) {
	f.e.t.Helper()
	v, err := f.e.a.Version(ctx, f.id, platform.VersionRef{ID: target})
	if err != nil {
		f.e.t.Fatal(err)
	}
	live, err := f.e.a.Live(ctx, f.id)
	if err != nil {
		f.e.t.Fatal(err)
	}
	r, err := f.e.a.PrepareRollback(ctx, f.id, v, live.ID)
	if err != nil {
		return r, err
	}
	f.e.sim.ResetCalls()
	return f.e.a.Activate(ctx, r)
}

func TestRollback(t *testing.T) {
	t.Run("previous live branch unchanged: make it live, no restore", func(t *testing.T) {
		f := newRollbackFixture(t, atomsim.Options{})
		r, err := f.rollback(f.rev2)
		if err != nil {
			t.Fatal(err)
		}
		if l := f.e.live(f.id); l.ID != f.main || l.HeadRevisionID != f.rev2 || r.VersionID != f.rev2 {
			t.Fatalf("live %+v, release %+v", l, r)
		}
		if n := f.e.count("POST", restorePath); n != 0 {
			t.Fatalf("%d restores", n)
		}
		if n := len(f.e.sim.Calls()); n != 2 {
			t.Errorf("Activate made %d calls, want GET branches and make-live", n)
		}
	})
	t.Run("its head moved: restore, then make it live", func(t *testing.T) {
		f := newRollbackFixture(t, atomsim.Options{})
		if _, err := f.e.sim.DashboardPublish(f.id, f.main, map[string]any{"firstMessage": "Main moved on"}, "Mei"); err != nil {
			t.Fatal(err)
		}
		r, err := f.rollback(f.rev2)
		if err != nil {
			t.Fatal(err)
		}
		l := f.e.live(f.id)
		revs, _ := f.e.sim.Revisions(f.id, f.main)
		head := revs[len(revs)-1]
		if l.ID != f.main || l.HeadRevisionID != head.ID || head.RestoredFromRevisionID != f.rev2 {
			t.Fatalf("live %+v, head %+v", l, head)
		}
		if f.e.count("POST", restorePath) != 1 || f.e.count("POST", livePath) != 1 {
			t.Fatalf("writes %v", f.e.writes())
		}
		// What the engine verifies: the release is what is live now.
		if r.VersionID != head.ID {
			t.Fatalf("release names %s, live is the restored %s", r.VersionID, head.ID)
		}
	})
	t.Run("an older revision of the live branch: the restore goes live", func(t *testing.T) {
		f := newRollbackFixture(t, atomsim.Options{})
		own := decodeToken(f.promoted.Token).Stage
		second := f.e.committedOn(f.id, own, "Second promoted")
		r, err := f.rollback(f.promotedHead)
		if err != nil {
			t.Fatal(err)
		}
		l := f.e.live(f.id)
		revs, _ := f.e.sim.Revisions(f.id, own)
		head := revs[len(revs)-1]
		if l.ID != own || head.ID == second || head.RestoredFromRevisionID != f.promotedHead || l.HeadRevisionID != head.ID || r.VersionID != head.ID {
			t.Fatalf("live %+v, head %+v, release %+v", l, head, r)
		}
	})
	t.Run("a failed revision is refused", func(t *testing.T) {
		f := newRollbackFixture(t, atomsim.Options{})
		if err := f.e.sim.SetCheck(f.rev1, "failed", "found later"); err != nil {
			t.Fatal(err)
		}
		_, err := f.rollback(f.rev1)
		isKind(t, err, platform.ErrRefused)
	})
	t.Run("a revision that failed after preparing is refused by the restore", func(t *testing.T) {
		f := newRollbackFixture(t, atomsim.Options{})
		v, _ := f.e.a.Version(ctx, f.id, platform.VersionRef{ID: f.rev1})
		r, err := f.e.a.PrepareRollback(ctx, f.id, v, f.promotedHead)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.e.sim.SetCheck(f.rev1, "errored", "rescan"); err != nil {
			t.Fatal(err)
		}
		_, err = f.e.a.Activate(ctx, r)
		isKind(t, err, platform.ErrRefused)
		if f.e.live(f.id).HeadRevisionID != f.promotedHead {
			t.Fatal("live changed")
		}
	})
}

// committedOn publishes a change on a branch as a dashboard user and
// returns the new head.
func (e *env) committedOn(agentID, branchID, first string) string {
	e.t.Helper()
	id, err := e.sim.DashboardPublish(agentID, branchID, map[string]any{"firstMessage": first}, "Mei")
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	return id
}

// TestRollbackRepeated: the engine repeats Activate until Live shows the
// release (reads lag), and after an unclear answer. One restore is made.
func TestRollbackRepeated(t *testing.T) {
	tests := []struct {
		name       string
		lag        time.Duration
		faults     atomsim.Faults
		onLive     bool // the target is on the live branch
		firstFails bool
	}{
		{"repeated in the read lag", 3 * time.Second, atomsim.Faults{}, false, false},
		{"repeated in the read lag, on the live branch", 3 * time.Second, atomsim.Faults{}, true, false},
		{"restore answer lost", 0, atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, false, true},
		{"restore answer lost, on the live branch", 0, atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRollbackFixture(t, atomsim.Options{ReadLag: tt.lag})
			target, branch := f.rev2, f.main
			if tt.onLive {
				branch = decodeToken(f.promoted.Token).Stage
				target = f.promotedHead
			}
			f.e.committedOn(f.id, branch, "Moved on")
			v, _ := f.e.a.Version(ctx, f.id, platform.VersionRef{ID: target})
			live, _ := f.e.a.Live(ctx, f.id)
			r, err := f.e.a.PrepareRollback(ctx, f.id, v, live.ID)
			if err != nil {
				t.Fatal(err)
			}
			f.e.sim.ResetCalls()
			f.e.sim.SetFaults(tt.faults)
			first, err := f.e.a.Activate(ctx, r)
			f.e.sim.SetFaults(atomsim.Faults{})
			if tt.firstFails {
				isKind(t, err, platform.ErrUnclear)
			} else if err != nil {
				t.Fatal(err)
			} else {
				r = first // the engine records what Activate returned
			}
			for range 3 {
				if r, err = f.e.a.Activate(ctx, r); err != nil {
					t.Fatalf("repeat: %v", err)
				}
				f.e.clock.Advance(time.Second)
			}
			if n := f.e.count("POST", restorePath); n != 1 {
				t.Fatalf("%d restores", n)
			}
			l := f.e.live(f.id)
			head, _ := f.e.sim.Revisions(f.id, branch)
			if l.ID != branch || l.HeadRevisionID != head[len(head)-1].ID || head[len(head)-1].RestoredFromRevisionID != target || r.VersionID != l.HeadRevisionID {
				t.Fatalf("live %+v, release %+v", l, r)
			}
		})
	}
}
