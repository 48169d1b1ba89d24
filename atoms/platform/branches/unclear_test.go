package branches

import (
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

const publishPath = "/agent/*/branches/*/draft/publish"

// TestPublishUnclear: a publish whose answer is lost is found, never sent
// twice; one lost before it acted is sent again on the retry.
func TestPublishUnclear(t *testing.T) {
	tests := []struct {
		name      string
		faults    atomsim.Faults
		firstErr  error // what the first Publish reports (nil: it found the scan)
		published bool  // the first attempt acted
	}{
		{"answer lost after the effect", atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, nil, true},
		{"answer lost before the effect", atomsim.Faults{ErrorRate: 1, Methods: []string{"POST"}}, platform.ErrUnclear, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{})
			id, mainID, head := e.agent("unclear")
			e.edit(id, mainID, map[string]any{"firstMessage": "Once only"})
			r := e.stage(id, mainID, "pr_u", head)
			stage := decodeToken(r.Token).Stage

			e.sim.SetFaults(tt.faults)
			first, err := e.a.Publish(ctx, r, false)
			e.sim.SetFaults(atomsim.Faults{})
			if tt.firstErr != nil {
				isKind(t, err, tt.firstErr)
				if !platform.Ambiguous(err) {
					t.Fatal("a lost publish answer must be ambiguous")
				}
			} else if err != nil || first.Check.Status != "queued" {
				t.Fatalf("first Publish = %+v, %v", first, err)
			}
			if b := e.branch(id, stage); b.Scanning != tt.published {
				t.Fatalf("after the first attempt: %+v", b)
			}

			// The engine repeats with retry after any unclear outcome.
			again, err := e.a.Publish(ctx, r, true)
			if err != nil || again.Check.Status != "queued" {
				t.Fatalf("retried Publish = %+v, %v", again, err)
			}
			if n := e.count("POST", publishPath); n != 2-boolInt(tt.published) {
				t.Fatalf("%d publishes sent", n)
			}
			e.clock.Advance(checkDelay)
			if again = e.refresh(again); again.VersionID == "" {
				t.Fatalf("after the scan: %+v", again)
			}
			if revs, _ := e.sim.Revisions(id, stage); len(revs) != 1 {
				t.Fatalf("%d revisions on the stage, want 1", len(revs))
			}
		})
	}
}

// TestPublishRetryAfterCommitInReadLag: the earlier attempt's publish
// committed, and the retry reads the branch while the commit is still
// hidden by the read lag (the draft is gone, the head looks unchanged).
// That is not a discarded draft: the release goes on and Refresh finds the
// revision once the read-back catches up.
func TestPublishRetryAfterCommitInReadLag(t *testing.T) {
	tests := []struct {
		name string
		sync bool // the draft had passed already: the publish commits at once
	}{
		{"scan passed", false},
		{"committed at once", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lag := 3 * time.Second
			e := newEnv(t, atomsim.Options{ReadLag: lag})
			id, mainID, head := e.agent("lagging")
			e.edit(id, mainID, map[string]any{"firstMessage": "Committed, not yet seen"})
			r := e.stage(id, mainID, "pr_l", head)
			stage := decodeToken(r.Token).Stage
			if tt.sync {
				if err := e.sim.SetCheck(e.branch(id, stage).DraftID, "passed", ""); err != nil {
					t.Fatal(err)
				}
			}
			// The earlier attempt: the publish went out, its answer was never
			// recorded (a crash, or an unclear answer).
			if _, err := e.c.PublishBranchDraft(ctx, id, stage, r.Label); err != nil {
				t.Fatal(err)
			}
			if !tt.sync {
				e.clock.Advance(checkDelay + time.Second) // committed a second ago
			}
			r, err := e.a.Publish(ctx, r, true)
			if err != nil {
				t.Fatalf("retried Publish: %v", err)
			}
			if n := e.count("POST", publishPath); n != 1 {
				t.Fatalf("%d publishes sent", n)
			}
			for i := 0; r.VersionID == "" && i < 3; i++ {
				e.clock.Advance(time.Second)
				r = e.refresh(r)
			}
			if r.VersionID != e.branch(id, stage).HeadRevisionID || r.Check.Outcome() != platform.CheckPassed {
				t.Fatalf("release %+v", r)
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
