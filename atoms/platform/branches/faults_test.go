package branches

import (
	"fmt"
	"path"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// until repeats step as the engine does: a temporary failure is tried
// again (after a second on the clock), anything else ends the test.
func (e *env) until(what string, step func() (bool, error)) {
	e.t.Helper()
	for i := 0; i < 60; i++ {
		done, err := step()
		switch {
		case err != nil && !platform.Temporary(err):
			e.t.Fatalf("%s: %v", what, err)
		case err == nil && done:
			return
		}
		e.clock.Advance(time.Second)
	}
	e.t.Fatalf("%s: not done after a minute", what)
}

// TestPromotionThroughFaults drives a promotion and a rollback the way the
// engine does (a failed step is repeated later, with the release as it was
// before the step), while a quarter of Atoms' answers fail and a quarter of
// the writes' answers are lost after their effect. One revision is
// published and the rollback's restore is made once; under a read lag, a
// restore whose answer was lost cannot be seen for a few seconds, and only
// such a restore may be made again.
func TestPromotionThroughFaults(t *testing.T) {
	for _, lag := range []time.Duration{0, 2 * time.Second} {
		for seed := int64(1); seed <= 25; seed++ {
			t.Run(fmt.Sprintf("lag %v seed %d", lag, seed), func(t *testing.T) {
				promoteThroughFaults(t, lag, seed)
			})
		}
	}
}

func promoteThroughFaults(t *testing.T, lag time.Duration, seed int64) {
	e := newEnv(t, atomsim.Options{ReadLag: lag})
	id, mainID, head := e.agent("faults")
	v3 := e.committedOn(id, mainID, "Main v3")
	e.edit(id, mainID, map[string]any{"firstMessage": "Through faults"})
	e.sim.SetFaults(atomsim.Faults{ErrorRate: .25, AfterEffectRate: .25, Seed: seed})

	r := platform.Release{AgentID: id, ID: "pr_f", DraftID: mainID, Base: v3, Label: "faults"}
	e.until("stage", func() (bool, error) {
		s, err := e.a.Stage(ctx, r)
		if err == nil {
			r = s
		}
		return true, err
	})
	first := true
	e.until("publish", func() (bool, error) {
		p, err := e.a.Publish(ctx, r, !first)
		first = false
		if err == nil {
			r = p
		}
		return true, err
	})
	e.until("refresh", func() (bool, error) {
		p, err := e.a.Refresh(ctx, r)
		if err == nil {
			r = p
		}
		return r.VersionID != "" && r.Check.Outcome() == platform.CheckPassed, err
	})
	activate := func(what string) {
		e.until(what, func() (bool, error) {
			p, err := e.a.Activate(ctx, r)
			if err != nil {
				return false, err
			}
			r = p
			live, err := e.a.Live(ctx, id)
			return err == nil && live.ID == r.VersionID, nil
		})
	}
	activate("activate")
	stage := decodeToken(r.Token).Stage
	if revs, _ := e.sim.Revisions(id, stage); len(revs) != 1 || e.live(id).ID != stage {
		t.Fatalf("own branch revisions %+v", revs)
	}

	// Roll back to Main's v2, Main's head being v3: a restore, then make-live.
	e.sim.ResetCalls()
	var err error
	e.until("prepare", func() (bool, error) {
		r, err = e.a.PrepareRollback(ctx, id, platform.Version{ID: head}, e.live(id).HeadRevisionID)
		return true, err
	})
	activate("roll back")
	e.sim.SetFaults(atomsim.Faults{})
	restores, lost := 0, 0
	revs, _ := e.sim.Revisions(id, mainID)
	for _, rv := range revs {
		if rv.RestoredFromRevisionID == head {
			restores++
		}
	}
	for _, c := range e.sim.Calls() {
		if c.Method == "POST" && c.Fault == atomsim.FaultAfterEffect && path.Base(c.Path) == "restore" {
			lost++
		}
	}
	l := e.live(id)
	if l.ID != mainID || l.HeadRevisionID != revs[len(revs)-1].ID || revs[len(revs)-1].RestoredFromRevisionID != head {
		t.Fatalf("after the rollback: live %+v", l)
	}
	if restores < 1 || restores > 1+lost || (lag == 0 && restores != 1) {
		t.Fatalf("%d restores, %d of their answers lost", restores, lost)
	}
}
