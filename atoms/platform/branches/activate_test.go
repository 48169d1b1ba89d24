package branches

import (
	"errors"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

const livePath = "/agent/*/branches/*/live"

// committed runs a release of the draft on branch src to a committed
// revision on its stage.
func (e *env) committed(agentID, src, prID, base string) platform.Release {
	e.t.Helper()
	r := e.publish(e.stage(agentID, src, prID, base))
	e.clock.Advance(checkDelay)
	for i := 0; r.VersionID == "" && i < 10; i++ {
		r = e.refresh(r)
		e.clock.Advance(time.Second) // a commit's read-back may lag
	}
	if r.VersionID == "" {
		e.t.Fatalf("not committed: %+v", r)
	}
	e.clock.Advance(time.Minute) // past any read lag
	return r
}

func (e *env) activate(r platform.Release) platform.Release {
	e.t.Helper()
	r, err := e.a.Activate(ctx, r)
	if err != nil {
		e.t.Fatalf("Activate: %v", err)
	}
	return r
}

func TestActivate(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("activate")
	e.edit(id, mainID, map[string]any{"firstMessage": "Going live"})
	r := e.committed(id, mainID, "pr_a", head)
	stage := decodeToken(r.Token).Stage

	e.sim.ResetCalls()
	r = e.activate(r)
	if l := e.live(id); l.ID != stage || l.HeadRevisionID != r.VersionID {
		t.Fatalf("live %+v, release %+v", l, r)
	}
	if n, p := len(e.sim.Calls()), e.count("POST", livePath); n != 2 || p != 1 {
		t.Errorf("Activate made %d calls, %d make-live", n, p)
	}
	if v, err := e.a.Live(ctx, id); err != nil || v.ID != r.VersionID || v.Ref != "v1" || v.Branch != "atomsbot-pr_a" {
		t.Fatalf("Live = %+v, %v", v, err)
	}

	t.Run("repeat is idempotent", func(t *testing.T) {
		e.sim.ResetCalls()
		again := e.activate(r)
		if again.VersionID != r.VersionID || len(e.writes()) != 0 {
			t.Fatalf("repeat %+v, writes %v", again, e.writes())
		}
	})
	t.Run("a change right after ours is undone by the repeat", func(t *testing.T) {
		if err := e.sim.DashboardMakeLive(id, mainID, "Mei"); err != nil {
			t.Fatal(err)
		}
		e.activate(r)
		if l := e.live(id); l.ID != stage {
			t.Fatalf("live %+v", l)
		}
	})
	t.Run("frozen", func(t *testing.T) {
		if err := e.sim.DashboardMakeLive(id, mainID, "Mei"); err != nil {
			t.Fatal(err)
		}
		e.sim.SetFrozen(true)
		defer e.sim.SetFrozen(false)
		_, err := e.a.Activate(ctx, r)
		isKind(t, err, platform.ErrFrozen)
		if e.live(id).ID != mainID {
			t.Fatal("went live during the freeze")
		}
	})
}

func TestActivateMoved(t *testing.T) {
	tests := []struct {
		name  string
		onSrc bool // the draft is on a person's branch, not the live one
		move  func(e *env, id, mainID, src string)
	}{
		{"live head moved after approval", false, func(e *env, id, mainID, _ string) {
			if _, err := e.sim.DashboardPublish(id, mainID, map[string]any{"firstMessage": "Hotfix"}, "Mei"); err != nil {
				e.t.Fatal(err)
			}
		}},
		{"another branch made live", true, func(e *env, id, mainID, _ string) {
			other := e.fork(id, mainID, "other", map[string]any{"firstMessage": "Other"})
			if err := e.sim.DashboardMakeLive(id, other, "Mei"); err != nil {
				e.t.Fatal(err)
			}
		}},
		{"the branch's head moved after approval", true, func(e *env, id, _, src string) {
			if _, err := e.sim.DashboardPublish(id, src, map[string]any{"firstMessage": "Later"}, "Ravi"); err != nil {
				e.t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{})
			id, mainID, head := e.agent("moved")
			src := mainID
			if tt.onSrc {
				src = e.fork(id, mainID, "feature", nil)
			}
			e.edit(id, src, map[string]any{"firstMessage": "Approved"})
			r := e.committed(id, src, "pr_m", head)
			tt.move(e, id, mainID, src)
			liveBefore := e.live(id)
			e.sim.ResetCalls()
			_, err := e.a.Activate(ctx, r)
			var me *platform.MovedError
			if !errors.As(err, &me) || me.What == "" {
				t.Fatalf("err = %v", err)
			}
			if e.count("POST", livePath) != 0 || e.live(id) != liveBefore {
				t.Fatal("something went live")
			}
		})
	}
}

func TestActivateRefused(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("refused")

	t.Run("stage archived", func(t *testing.T) {
		e.edit(id, mainID, map[string]any{"firstMessage": "Archived"})
		r := e.committed(id, mainID, "pr_1", head)
		if err := e.sim.DashboardArchive(id, decodeToken(r.Token).Stage, "Mei"); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Activate(ctx, r)
		isKind(t, err, platform.ErrRefused)
	})
	t.Run("head failed its check after all", func(t *testing.T) {
		e.edit(id, mainID, map[string]any{"firstMessage": "Failed later"})
		r := e.committed(id, mainID, "pr_2", head)
		if err := e.sim.SetCheck(r.VersionID, "failed", "late finding"); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Activate(ctx, r)
		isKind(t, err, platform.ErrRefused)
		if e.live(id).ID != mainID {
			t.Fatal("went live")
		}
	})
}

// TestActivateThroughReadLag: a repeat while reads still show the old live
// branch makes the branch live again (idempotent), and never reports a move.
func TestActivateThroughReadLag(t *testing.T) {
	e := newEnv(t, atomsim.Options{ReadLag: 3 * time.Second})
	id, mainID, head := e.agent("lag")
	e.edit(id, mainID, map[string]any{"firstMessage": "Lagging"})
	r := e.activate(e.committed(id, mainID, "pr_l", head))
	r = e.activate(r)
	e.clock.Advance(3 * time.Second)
	if v, err := e.a.Live(ctx, id); err != nil || v.ID != r.VersionID {
		t.Fatalf("Live = %+v, %v", v, err)
	}
}
