package drafts

import (
	"errors"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

const publishPath = "/agent/*/drafts/*/publish"

func (e *env) release(agentID, draft, base, prID string) platform.Release {
	e.t.Helper()
	r, err := e.a.Stage(ctx, platform.Release{AgentID: agentID, ID: prID, DraftID: draft, Base: base, Label: "promoted " + prID})
	if err != nil || r.Model != platform.ModelV1 {
		e.t.Fatalf("Stage = %+v, %v", r, err)
	}
	return r
}

func TestPublishRefreshActivate(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("release")
	r := e.release(id, e.draft(id, v1, "Promoted"), v1, "pr_1")
	e.sim.ResetCalls()
	r, err := e.a.Publish(ctx, r, false)
	if err != nil || r.VersionID == "" || r.Key != r.VersionID || r.Ref != "v2" || r.Check.Outcome() != platform.CheckNotYet {
		t.Fatalf("Publish = %+v, %v", r, err)
	}
	if n := len(e.sim.Calls()); n != 1 {
		t.Errorf("Publish made %d calls", n)
	}
	if v := e.agentInfo(id).Versions[1]; v.ID != r.VersionID {
		t.Fatalf("versions %+v", e.agentInfo(id).Versions)
	}

	_, err = e.a.Activate(ctx, r)
	isKind(t, err, platform.ErrCheckPending)

	e.clock.Advance(checkDelay)
	if r, err = e.a.Refresh(ctx, r); err != nil || r.Check.Outcome() != platform.CheckPassed {
		t.Fatalf("Refresh = %+v, %v", r, err)
	}
	d, err := e.a.DiffRelease(ctx, r)
	if err != nil || d.Empty() {
		t.Fatalf("DiffRelease = %+v, %v", d, err)
	}
	e.sim.ResetCalls()
	if r, err = e.a.Activate(ctx, r); err != nil || e.agentInfo(id).ActiveVersionID != r.VersionID {
		t.Fatalf("Activate = %+v, %v", r, err)
	}
	if w := e.writes(); len(w) != 1 {
		t.Errorf("Activate wrote %v", w)
	}

	t.Run("repeat is idempotent", func(t *testing.T) {
		e.sim.ResetCalls()
		if _, err := e.a.Activate(ctx, r); err != nil || len(e.writes()) != 0 {
			t.Fatalf("repeat: %v, writes %v", err, e.writes())
		}
	})
	t.Run("a change right after ours is undone by the repeat", func(t *testing.T) {
		if err := e.sim.ActivateDirect(id, v1, "Mei"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.a.Activate(ctx, r); err != nil || e.agentInfo(id).ActiveVersionID != r.VersionID {
			t.Fatalf("re-activation: %v", err)
		}
	})
	t.Run("Abandon and Tidy have nothing to do", func(t *testing.T) {
		e.sim.ResetCalls()
		if e.a.Abandon(ctx, r) != nil || e.a.Tidy(ctx, r) != nil || len(e.sim.Calls()) != 0 {
			t.Fatal("Abandon or Tidy acted")
		}
	})
}

func TestActivateMoved(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("moved")
	r, err := e.a.Publish(ctx, e.release(id, e.draft(id, v1, "Approved"), v1, "pr_m"), false)
	if err != nil {
		t.Fatal(err)
	}
	other := e.published(id, v1, "Someone else's")
	if err := e.sim.ActivateDirect(id, other, "Mei"); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.Activate(ctx, r)
	var me *platform.MovedError
	if !errors.As(err, &me) || e.agentInfo(id).ActiveVersionID != other {
		t.Fatalf("err = %v", err)
	}
}

// TestPublishOnce: a publish whose answer is lost is found by the marker
// in its description; the retry does not publish again.
func TestPublishOnce(t *testing.T) {
	tests := []struct {
		name     string
		faults   atomsim.Faults
		firstErr bool // the first Publish reports an unclear answer
		sent     int  // publishes sent in all
	}{
		{"answer lost after the effect", atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, false, 1},
		{"answer lost before the effect", atomsim.Faults{ErrorRate: 1, Methods: []string{"POST"}}, true, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{})
			id, v1 := e.agent("once")
			r := e.release(id, e.draft(id, v1, "Once"), v1, "pr_once")
			e.sim.SetFaults(tt.faults)
			first, err := e.a.Publish(ctx, r, false)
			e.sim.SetFaults(atomsim.Faults{})
			if tt.firstErr {
				isKind(t, err, platform.ErrUnclear)
			} else if err != nil || first.VersionID == "" {
				t.Fatalf("first Publish = %+v, %v", first, err)
			}
			again, err := e.a.Publish(ctx, r, true)
			if err != nil || again.VersionID == "" || (!tt.firstErr && again.VersionID != first.VersionID) {
				t.Fatalf("retried Publish = %+v, %v", again, err)
			}
			if n := e.sim.CountCalls("POST", publishPath); n != tt.sent {
				t.Fatalf("%d publishes sent", n)
			}
			vs := e.agentInfo(id).Versions
			if len(vs) != 2 {
				t.Fatalf("%d versions", len(vs))
			}
			d, err := e.c.GetVersion(ctx, id, again.VersionID)
			if err != nil || !strings.Contains(d.Version.Description, "pr_once") {
				t.Fatalf("version %+v, %v", d, err)
			}
		})
	}
	t.Run("a draft gone without a version is not found", func(t *testing.T) {
		e := newEnv(t, atomsim.Options{})
		id, v1 := e.agent("gone")
		draft := e.draft(id, v1, "Gone")
		r := e.release(id, draft, v1, "pr_gone")
		if err := e.c.DeleteDraft(ctx, id, draft); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Publish(ctx, r, true)
		isKind(t, err, platform.ErrNotFound)
	})
}

func TestRollbackV1(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("rollback")
	v2 := e.published(id, v1, "Second")
	if err := e.sim.ActivateDirect(id, v2, "Mei"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.FailNextCheck(id, "failed", "prompt injection"); err != nil {
		t.Fatal(err)
	}
	bad := e.published(id, v2, "Bad")

	_, err := e.a.PrepareRollback(ctx, id, platform.Version{ID: bad}, v2)
	isKind(t, err, platform.ErrRefused)
	if !strings.Contains(platform.Explain(err), "failed") {
		t.Errorf("Explain = %q", platform.Explain(err))
	}

	r, err := e.a.PrepareRollback(ctx, id, platform.Version{ID: v1}, v2)
	if err != nil || r.VersionID != v1 || r.Key != v1 || r.Base != v2 || r.Model != platform.ModelV1 || r.Ref != "v1" {
		t.Fatalf("PrepareRollback = %+v, %v", r, err)
	}
	if r, err = e.a.Activate(ctx, r); err != nil || e.agentInfo(id).ActiveVersionID != v1 {
		t.Fatalf("Activate = %+v, %v", r, err)
	}
}

func TestWrongModel(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, _ := e.agent("wrong")
	r := platform.Release{Model: platform.ModelV2, AgentID: id, ID: "pr_w", DraftID: "b", Token: `{"stage":"b"}`}
	for name, f := range map[string]func() error{
		"Stage":    func() error { _, err := e.a.Stage(ctx, r); return err },
		"Publish":  func() error { _, err := e.a.Publish(ctx, r, true); return err },
		"Refresh":  func() error { _, err := e.a.Refresh(ctx, r); return err },
		"Activate": func() error { _, err := e.a.Activate(ctx, r); return err },
	} {
		if err := f(); !errors.Is(err, platform.ErrWrongModel) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
