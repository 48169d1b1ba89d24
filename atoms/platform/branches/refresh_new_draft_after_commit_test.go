package branches

import (
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// TestRefreshFindsCommitBeforeNewDraft: the scan committed the release's
// draft, and before the engine refreshed, someone opened a new draft on the
// branch (the dashboard opens one at the first edit). Refresh must find the
// committed revision (the branch head moved to it), not conclude that the
// draft was discarded and nothing was committed.
func TestRefreshFindsCommitBeforeNewDraft(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, rev1 := e.agent("refresh")
	feature := e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Feature v1"})
	e.edit(id, feature, map[string]any{"firstMessage": "To be promoted"})
	r := e.publish(e.stage(id, feature, "pr_1", rev1))
	e.clock.Advance(checkDelay) // committed
	head := e.branch(id, feature).HeadRevisionID
	revs, _ := e.sim.Revisions(id, feature)
	if len(revs) != 2 || revs[1].ID != head {
		t.Fatalf("feature: head %s, revisions %+v", head, revs)
	}
	e.edit(id, feature, map[string]any{"firstMessage": "Next idea"})
	got, err := e.a.Refresh(ctx, r)
	if err != nil {
		t.Fatalf("Refresh: %v (%s); the revision %s was committed", err, platform.Explain(err), head)
	}
	if got.VersionID != head || got.Check.Outcome() != platform.CheckPassed {
		t.Errorf("Refresh = %+v, want the committed revision %s", got, head)
	}
}
