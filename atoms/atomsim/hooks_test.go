package atomsim

import (
	"errors"
	"testing"
)

func TestDashboardHooks(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	old := main.head()

	// A dashboard publish on the live branch goes live at once.
	rev, err := e.sim.DashboardPublish(agentID, main.Branch.ID, map[string]any{"firstMessage": "from the dashboard"}, "priya")
	if err != nil {
		t.Fatal(err)
	}
	if e.activeOf(agentID) != rev || e.mainBranch(agentID).HasOpenDraft {
		t.Fatal("dashboard publish did not go live")
	}
	got := e.revision(agentID, main.Branch.ID, rev)
	if got["publishedBy"] != "priya" || got["revisionNumber"] != 2.0 {
		t.Fatalf("dashboard revision %v", got)
	}

	// Fork, edit, publish there, make it live, restore on Main.
	b, err := e.sim.DashboardFork(agentID, main.Branch.ID, "Dashboard branch", "priya")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := e.sim.DashboardEditDraft(agentID, b, map[string]any{"globalPrompt": "G"}, "priya"); err != nil || n != 1 {
		t.Fatalf("edit: %d %v", n, err)
	}
	bHead, err := e.sim.DashboardPublish(agentID, b, nil, "priya")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.DashboardMakeLive(agentID, b, "priya"); err != nil {
		t.Fatal(err)
	}
	if e.liveBranch(agentID).Branch.ID != b || e.activeOf(agentID) != bHead {
		t.Fatal("dashboard make-live")
	}
	restored, err := e.sim.DashboardRestore(agentID, main.Branch.ID, old, "priya")
	if err != nil {
		t.Fatal(err)
	}
	if e.activeOf(agentID) != bHead || e.mainBranch(agentID).head() != restored {
		t.Fatal("a restore on a non-live branch went live, or did not move its head")
	}
	revs, _ := e.sim.Revisions(agentID, main.Branch.ID)
	if last := revs[len(revs)-1]; last.ID != restored || last.RestoredFromRevisionID != old || last.Number != 3 {
		t.Fatalf("restored revision %+v", last)
	}

	// A human edit in the draft slot conflicts with the bot's stale base.
	e.edit(agentID, b, map[string]any{"firstMessage": "bot"})
	if _, err := e.sim.DashboardEditDraft(agentID, b, map[string]any{"firstMessage": "human"}, "priya"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.do("PUT", bpath(agentID, b, "/draft"), map[string]any{"expectedRevision": 1, "firstMessage": "bot 2"}), 409, "", "call_handling.firstMessage")

	// Failures come back as the API's.
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"archive Main", e.sim.DashboardArchive(agentID, main.Branch.ID, "priya"), ErrForbidden},
		{"archive the live branch", e.sim.DashboardArchive(agentID, b, "priya"), ErrForbidden},
		{"unknown agent", e.sim.DashboardMakeLive("0123456789abcdef01234567", b, "priya"), ErrNotFound},
		{"unknown branch", e.sim.DashboardMakeLive(agentID, "nope", "priya"), ErrNotFound},
		{"restore the head", second(e.sim.DashboardRestore(agentID, main.Branch.ID, restored, "priya")), ErrConflict},
		{"restore another branch's revision", second(e.sim.DashboardRestore(agentID, main.Branch.ID, bHead, "priya")), ErrNotFound},
		{"fork to a taken name", second(e.sim.DashboardFork(agentID, main.Branch.ID, "dashboard BRANCH", "priya")), ErrConflict},
		{"fork without a name", second(e.sim.DashboardFork(agentID, main.Branch.ID, " ", "priya")), ErrInvalid},
		{"bad config", second2(e.sim.DashboardEditDraft(agentID, b, map[string]any{"firstMessage": 5}, "priya")), ErrInvalid},
		{"publish without a draft", second(e.sim.DashboardPublish(agentID, main.Branch.ID, nil, "priya")), ErrNotFound},
		{"v1 activation", e.sim.ActivateDirect(agentID, old, "priya"), ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Fatalf("err %v, want %v", tt.err, tt.want)
			}
		})
	}
}

func second(_ string, err error) error { return err }
func second2(_ int, err error) error   { return err }

func TestDashboardPublishScanFails(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	if err := e.sim.SetScanOutcome(agentID, main.Branch.ID, "fail", "unsafe"); err != nil {
		t.Fatal(err)
	}
	_, err := e.sim.DashboardPublish(agentID, main.Branch.ID, map[string]any{"firstMessage": "bad"}, "priya")
	if !errors.Is(err, ErrCheckFailed) {
		t.Fatalf("err %v", err)
	}
	bs, _ := e.sim.Branches(agentID)
	if bs[0].HeadRevisionID != main.head() || bs[0].DraftID == "" || bs[0].CheckStatus != "failed" || bs[0].CheckReason != "unsafe" {
		t.Fatalf("after a failed dashboard publish: %+v", bs[0])
	}
	// Unedited, it is refused as on the API; edited, it goes through.
	if _, err := e.sim.DashboardPublish(agentID, main.Branch.ID, nil, "priya"); !errors.Is(err, ErrConflict) {
		t.Fatalf("re-publish: %v", err)
	}
	if _, err := e.sim.DashboardPublish(agentID, main.Branch.ID, map[string]any{"firstMessage": "good"}, "priya"); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetScanOutcome(agentID, "nope", "pass", ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown branch: %v", err)
	}
}

func TestBranchSnapshots(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	b := e.newBranch(agentID, main.Branch.ID, "feature")
	draftID := str(e.edit(agentID, b, map[string]any{"firstMessage": "x"})["draftId"])
	e.edit(agentID, b, map[string]any{"firstMessage": "y"})
	e.must(202, "POST", bpath(agentID, b, "/draft/publish"), nil)

	info, _ := e.sim.Agent(agentID)
	if info.LiveBranchID != main.Branch.ID || len(info.Branches) != 2 {
		t.Fatalf("agent info %+v", info)
	}
	m, f := info.Branches[0], info.Branches[1]
	if !m.Default || !m.Live || m.HeadRevisionID != main.head() || m.HeadNumber != 1 || m.Status != "active" {
		t.Fatalf("Main %+v", m)
	}
	if f.Name != "feature" || f.Live || f.HeadRevisionID != "" || f.DraftID != draftID || f.DraftRevision != 2 ||
		!f.Scanning || f.CheckStatus != "queued" || f.SourceRevisionID != main.head() {
		t.Fatalf("feature %+v", f)
	}
	if cfg, ok := e.sim.Config(agentID, draftID); !ok || cfg["firstMessage"] != "y" {
		t.Fatalf("Config of the draft %v", cfg)
	}
	e.clock.Advance(testDelay)
	revs, ok := e.sim.Revisions(agentID, b)
	if !ok || len(revs) != 1 || revs[0].Number != 1 || revs[0].SourceDraftID != draftID || revs[0].CheckStatus != "passed" || revs[0].Active {
		t.Fatalf("revisions %+v", revs)
	}
	if _, ok := e.sim.Revisions(agentID, "nope"); ok {
		t.Fatal("revisions of an unknown branch")
	}
	if info, _ := e.sim.Agent(agentID); info.Versions[len(info.Versions)-1].BranchID != b {
		t.Fatalf("versions %+v", info.Versions)
	}
}
