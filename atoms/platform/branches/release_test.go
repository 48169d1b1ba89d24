package branches

import (
	"errors"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// stage stages the draft of branch draftID as promotion prID.
func (e *env) stage(agentID, draftID, prID, base string) platform.Release {
	e.t.Helper()
	r, err := e.a.Stage(ctx, platform.Release{AgentID: agentID, ID: prID, DraftID: draftID, Base: base, Label: "promoted " + prID})
	if err != nil {
		e.t.Fatalf("Stage: %v", err)
	}
	return r
}

func (e *env) publish(r platform.Release) platform.Release {
	e.t.Helper()
	r, err := e.a.Publish(ctx, r, false)
	if err != nil {
		e.t.Fatalf("Publish: %v", err)
	}
	return r
}

func (e *env) refresh(r platform.Release) platform.Release {
	e.t.Helper()
	r, err := e.a.Refresh(ctx, r)
	if err != nil {
		e.t.Fatalf("Refresh: %v", err)
	}
	return r
}

func TestPublishAndRefresh(t *testing.T) {
	tests := []struct {
		name    string
		lag     time.Duration
		live    bool // the draft is on the live branch
		ref     string
		refresh int // Refreshes after the check delay until the revision shows
	}{
		{"feature branch", 0, false, "feature/v2", 1},
		{"live branch's draft, on the bot's branch", 0, true, "atomsbot-pr_1/v1", 1},
		{"through the read lag", 3 * time.Second, true, "atomsbot-pr_1/v1", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{ReadLag: tt.lag})
			id, mainID, head := e.agent("publish")
			src := mainID
			if !tt.live {
				src = e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Feature v1"})
			}
			e.edit(id, src, map[string]any{"firstMessage": "To be promoted"})
			r := e.stage(id, src, "pr_1", head)
			stage := decodeToken(r.Token).Stage

			e.sim.ResetCalls()
			r = e.publish(r)
			if r.VersionID != "" || r.Check.Status != "queued" || r.Check.Outcome() != platform.CheckNotYet {
				t.Fatalf("published %+v", r)
			}
			// One read of the stage (is it live now?) and the publish.
			if n, p := len(e.sim.Calls()), e.count("POST", "/agent/*/branches/*/draft/publish"); n != 2 || p != 1 {
				t.Fatalf("Publish made %d calls, %d publishes", n, p)
			}
			e.sim.ResetCalls()
			if r = e.refresh(r); r.VersionID != "" || r.Check.Status != "queued" {
				t.Fatalf("while scanning: %+v", r)
			}
			if n := len(e.sim.Calls()); n != 1 {
				t.Errorf("a Refresh during the scan made %d calls, want 1", n)
			}

			e.clock.Advance(checkDelay)
			for i := 0; i < tt.refresh-1; i++ {
				if r = e.refresh(r); r.VersionID != "" || r.Check.Outcome() != platform.CheckNotYet {
					t.Fatalf("during the read lag: %+v", r)
				}
				e.clock.Advance(tt.lag)
			}
			r = e.refresh(r)
			b := e.branch(id, stage)
			if r.VersionID == "" || r.VersionID != b.HeadRevisionID || r.Ref != tt.ref || r.Check.Outcome() != platform.CheckPassed || r.PublishedAt.IsZero() {
				t.Fatalf("after the scan: %+v (stage %+v)", r, b)
			}
			if m := e.branch(id, mainID); m.HeadRevisionID != head || !m.Live || (tt.live && m.DraftID == "") {
				t.Fatalf("the live branch changed: %+v", m)
			}
			d, err := e.a.DiffRelease(ctx, r)
			if err != nil || len(changes(d)) != 1 {
				t.Fatalf("DiffRelease = %v, %v", changes(d), err)
			}
		})
	}
}

func TestRefreshFailedScan(t *testing.T) {
	for _, status := range []string{"failed", "errored"} {
		t.Run(status, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{})
			id, mainID, head := e.agent("failing")
			e.edit(id, mainID, map[string]any{"firstMessage": "Injected"})
			r := e.stage(id, mainID, "pr_f", head)
			stage := decodeToken(r.Token).Stage
			if err := e.sim.SetScanOutcome(id, stage, status, "prompt injection"); err != nil {
				t.Fatal(err)
			}
			r = e.publish(r)
			e.clock.Advance(checkDelay)
			r = e.refresh(r)
			b := e.branch(id, stage)
			if r.VersionID != "" || r.Check.Outcome() != platform.CheckFailed || r.Check.Reason != "prompt injection" || r.Check.Status != status {
				t.Fatalf("release %+v", r)
			}
			if b.HeadRevisionID != "" || b.DraftID == "" || b.CheckStatus != status {
				t.Fatalf("stage %+v: a failed scan commits nothing and keeps the draft", b)
			}
		})
	}
}

func TestRefreshDraftGone(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("gone")
	feature := e.fork(id, mainID, "feature", nil)

	t.Run("cancelled and discarded: not found after the grace", func(t *testing.T) {
		e.edit(id, feature, map[string]any{"firstMessage": "Soon gone"})
		r := e.publish(e.stage(id, feature, "pr_g", head))
		if err := e.c.CancelPublish(ctx, id, feature); err != nil {
			t.Fatal(err)
		}
		if err := e.c.DeleteBranchDraft(ctx, id, feature); err != nil {
			t.Fatal(err)
		}
		r = e.refresh(r) // a commit's read-back may lag: wait
		e.clock.Advance(vanishedGrace / 2)
		r = e.refresh(r)
		e.clock.Advance(vanishedGrace)
		_, err := e.a.Refresh(ctx, r)
		isKind(t, err, platform.ErrNotFound)
	})
	t.Run("cancelled outside atomsbot: refused", func(t *testing.T) {
		e.edit(id, feature, map[string]any{"firstMessage": "Cancelled"})
		r := e.publish(e.stage(id, feature, "pr_c", head))
		if err := e.c.CancelPublish(ctx, id, feature); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Refresh(ctx, r)
		isKind(t, err, platform.ErrRefused)
		if err := e.c.DeleteBranchDraft(ctx, id, feature); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("replaced by another draft: refused", func(t *testing.T) {
		e.edit(id, feature, map[string]any{"firstMessage": "First"})
		r := e.publish(e.stage(id, feature, "pr_r", head))
		if err := e.c.CancelPublish(ctx, id, feature); err != nil {
			t.Fatal(err)
		}
		if err := e.c.DeleteBranchDraft(ctx, id, feature); err != nil {
			t.Fatal(err)
		}
		e.edit(id, feature, map[string]any{"firstMessage": "Second"})
		_, err := e.a.Refresh(ctx, r)
		isKind(t, err, platform.ErrRefused)
	})
	t.Run("stage archived: not found", func(t *testing.T) {
		e.edit(id, mainID, map[string]any{"firstMessage": "Archived soon"})
		r := e.publish(e.stage(id, mainID, "pr_a", head))
		if err := e.sim.DashboardArchive(id, decodeToken(r.Token).Stage, "Mei"); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Refresh(ctx, r)
		isKind(t, err, platform.ErrNotFound)
	})
}

func TestPublishRefusals(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, head := e.agent("refusals")

	t.Run("unchanged after a failed scan", func(t *testing.T) {
		b := e.fork(id, mainID, "failed", nil)
		e.edit(id, b, map[string]any{"firstMessage": "Bad"})
		r := e.stage(id, b, "pr_1", head)
		if err := e.sim.SetScanOutcome(id, b, "fail", "bad"); err != nil {
			t.Fatal(err)
		}
		r = e.publish(r)
		e.clock.Advance(checkDelay)
		_, err := e.a.Publish(ctx, r, false)
		isKind(t, err, platform.ErrRefused)
	})
	t.Run("someone else's publish in progress", func(t *testing.T) {
		b := e.fork(id, mainID, "busy", nil)
		e.edit(id, b, map[string]any{"firstMessage": "Busy"})
		r := e.stage(id, b, "pr_2", head)
		if _, err := e.c.PublishBranchDraft(ctx, id, b, ""); err != nil {
			t.Fatal(err)
		}
		_, err := e.a.Publish(ctx, r, false)
		isKind(t, err, platform.ErrBusy)
	})
	t.Run("the stage went live meanwhile", func(t *testing.T) {
		b := e.fork(id, mainID, "golive", map[string]any{"firstMessage": "Live v1"})
		e.edit(id, b, map[string]any{"firstMessage": "Live v2"})
		r := e.stage(id, b, "pr_3", head)
		if err := e.sim.DashboardMakeLive(id, b, "Mei"); err != nil {
			t.Fatal(err)
		}
		e.sim.ResetCalls()
		_, err := e.a.Publish(ctx, r, false)
		isKind(t, err, platform.ErrRefused)
		if e.count("POST", "/agent/*/branches/*/draft/publish") != 0 {
			t.Fatal("published on the live branch")
		}
		if err := e.sim.DashboardMakeLive(id, mainID, "Mei"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("frozen", func(t *testing.T) {
		b := e.fork(id, mainID, "frozen", nil)
		e.edit(id, b, map[string]any{"firstMessage": "Frozen"})
		r := e.stage(id, b, "pr_4", head)
		e.sim.SetFrozen(true)
		defer e.sim.SetFrozen(false)
		_, err := e.a.Publish(ctx, r, false)
		isKind(t, err, platform.ErrFrozen)
	})
	t.Run("begun on v1", func(t *testing.T) {
		for name, f := range map[string]func(platform.Release) error{
			"Publish":  func(r platform.Release) error { _, err := e.a.Publish(ctx, r, true); return err },
			"Refresh":  func(r platform.Release) error { _, err := e.a.Refresh(ctx, r); return err },
			"Activate": func(r platform.Release) error { _, err := e.a.Activate(ctx, r); return err },
		} {
			err := f(platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_v1", DraftID: "d"})
			if !errors.Is(err, platform.ErrWrongModel) {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}
