package atoms

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

// lbEnv is the client against a branch-model simulator on a clock that
// only the test moves.
type lbEnv struct {
	t      *testing.T
	sim    *atomsim.Simulator
	clock  *atomsim.Clock
	c      *Client
	agent  string
	main   string
	ctx    context.Context
	sleeps *sleeps
}

func newLBEnv(t *testing.T) *lbEnv {
	t.Helper()
	clock := atomsim.NewClock(time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC))
	sim := atomsim.New(atomsim.Options{APIKey: testKey, Now: clock.Now, BranchModel: true, ListScanningDraft: true, Seed: 23,
		Sleep: func(context.Context, time.Duration) {}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, sl := newTestClient(t, srv.URL+"/atoms/v1", func(o *Options) { o.MaxRetries = 8 })
	return &lbEnv{t: t, sim: sim, clock: clock, c: c, ctx: context.Background(), sleeps: sl}
}

func (e *lbEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *lbEnv) branch(id string) *BranchSummary {
	e.t.Helper()
	s, err := e.c.GetBranch(e.ctx, e.agent, id)
	e.must(err)
	return s
}

func (e *lbEnv) fork(name string) string {
	e.t.Helper()
	b, err := e.c.CreateBranch(e.ctx, e.agent, CreateBranchRequest{SourceBranchID: e.main, Name: name})
	e.must(err)
	return b.ID
}

func (e *lbEnv) put(branch, first string, expected *int) (*Version, error) {
	return e.c.PutBranchDraft(e.ctx, e.agent, branch, DraftEdit{Config: ConfigPatch{FirstMessage: &first}, ExpectedRevision: expected})
}

// commit edits a branch's draft and publishes it through its scan; it
// returns the new head, found by the head moving.
func (e *lbEnv) commit(branch, first string) string {
	e.t.Helper()
	h0 := e.branch(branch).Branch.HeadRevisionID
	_, err := e.put(branch, first, nil)
	e.must(err)
	res, err := e.c.PublishBranchDraft(e.ctx, e.agent, branch, first)
	e.must(err)
	if res.State != PublishScanning || res.Revision != nil {
		e.t.Fatalf("publish answered %+v, want scanning without a revision", res)
	}
	e.clock.Advance(atomsim.DefaultCheckDelay)
	h := e.branch(branch).Branch.HeadRevisionID
	if h == "" || h == h0 {
		e.t.Fatalf("head %q did not move from %q", h, h0)
	}
	return h
}

// create makes an agent; Main is live at revision 1, which it returns.
func (e *lbEnv) create(name string) (*BranchSummary, string) {
	e.t.Helper()
	var err error
	e.agent, err = e.c.CreateAgent(e.ctx, CreateAgentRequest{Name: name, Language: &Language{Default: "en"}})
	e.must(err)
	list, err := e.c.ListBranches(e.ctx, e.agent)
	if err != nil || len(list) != 1 {
		e.t.Fatalf("branches of a new agent: %+v, %v", list, err)
	}
	e.main = list[0].Branch.ID
	return &list[0], list[0].Branch.HeadRevisionID
}

// calls counts the requests of method on pattern since fn started.
func (e *lbEnv) calls(method, pattern string, fn func()) int {
	e.sim.ResetCalls()
	fn()
	return e.sim.CountCalls(method, pattern)
}

func lbStatus(t *testing.T, err error, status int, typ string) *APIError {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != status || ae.Type != typ {
		t.Fatalf("err = %v, want %d %q", err, status, typ)
	}
	return ae
}

// TestBranchLifecycleThroughClient walks the branch model's lifecycle with
// the client against the simulator, asserting each rule the bot relies on.
func TestBranchLifecycleThroughClient(t *testing.T) {
	e := newLBEnv(t)
	c, ctx := e.c, e.ctx
	// A new agent: Main, default and live, its head revision 1, serving.
	m, r1 := e.create("branches")
	if !m.IsLive || !m.Branch.IsDefault || m.Branch.Name != "Main" || m.HeadRevisionNumber != 1 || r1 == "" {
		t.Fatalf("Main of a new agent: %+v", m)
	}
	rd, err := c.GetRevision(ctx, e.agent, e.main, r1)
	if err != nil || rd.Revision.RevisionNumber != 1 || rd.Revision.Status != StatusPublished || rd.Revision.Outcome() != CheckOK || len(rd.ResolvedConfig) == 0 {
		t.Fatalf("revision 1: %+v, %v", rd, err)
	}
	if ag, err := c.GetAgent(ctx, e.agent, GetAgentOptions{}); err != nil || ag.ActiveVersionID != r1 {
		t.Fatalf("activeVersionId %v, %v", ag, err)
	}

	// Fork: no head of its own until its first commit, forked from Main's head.
	feature, err := c.CreateBranch(ctx, e.agent, CreateBranchRequest{SourceBranchID: e.main, Name: "feature"})
	if err != nil || feature.HeadRevisionID != "" || feature.SourceRevisionID != r1 || feature.OpenDraftID != "" {
		t.Fatalf("CreateBranch: %+v, %v", feature, err)
	}
	f := feature.ID
	for _, name := range []string{"Feature", "main"} {
		_, err := c.CreateBranch(ctx, e.agent, CreateBranchRequest{SourceBranchID: e.main, Name: name})
		if !errors.Is(err, ErrBranchNameExists) {
			t.Fatalf("fork named %q: %v", name, err)
		}
	}
	_, err = c.CreateBranch(ctx, e.agent, CreateBranchRequest{SourceBranchID: f, Name: "from-empty"})
	if !errors.Is(err, ErrSourceHasNoCommit) {
		t.Fatalf("fork of a branch without a commit: %v", err)
	}

	t.Run("draft edits and their conflicts", func(t *testing.T) {
		row, err := e.put(f, "One", nil) // opens the draft
		if err != nil || row.Status != StatusDraft || row.DraftRevision != 1 || row.DraftID == "" || row.Branch != f {
			t.Fatalf("first PUT: %+v, %v", row, err)
		}
		if _, echoed := row.Extra["firstMessage"]; echoed {
			t.Fatal("the PUT answer echoed the field")
		}
		if row, err = e.put(f, "Two", ptr(1)); err != nil || row.DraftRevision != 2 {
			t.Fatalf("PUT expecting 1: %+v, %v", row, err)
		}
		// Someone edits the same field after revision 2: a field conflict.
		_, err = e.sim.DashboardEditDraft(e.agent, f, map[string]any{"firstMessage": "Theirs"}, "Mei")
		e.must(err)
		n := e.calls("PUT", "/agent/*/branches/*/draft", func() { _, err = e.put(f, "Mine", ptr(2)) })
		lean, ok := DraftConflictOf(err)
		if !ok || !errors.Is(err, ErrDraftConflict) || !slices.Equal(lean.Paths, []string{"call_handling.firstMessage"}) || lean.LatestRevision != 0 || n != 1 {
			t.Fatalf("lean conflict: %+v, %v (%d PUTs)", lean, err, n)
		}
		// Another field with the same expectation merges.
		if _, err := c.PutBranchDraft(ctx, e.agent, f, DraftEdit{Config: ConfigPatch{SLMModel: ptr("gpt-4o")}, ExpectedRevision: ptr(2)}); err != nil {
			t.Fatalf("other field: %v", err)
		}
		e.sim.SetConflictShape(true)
		_, err = e.put(f, "Mine", ptr(2))
		e.sim.SetConflictShape(false)
		rich, ok := DraftConflictOf(err)
		if !ok || rich.ExpectedRevision != 2 || rich.LatestRevision != 4 || len(rich.Changes) != 1 || !slices.Equal(rich.Paths, lean.Paths) {
			t.Fatalf("rich conflict: %+v, %v", rich, err)
		}
		_, err = e.put(f, "Mine", ptr(99))
		if !errors.Is(err, ErrBaseRevisionUnavailable) || errors.Is(err, ErrDraftConflict) {
			t.Fatalf("unknown base: %v", err)
		}
		_, err = c.PutBranchDraft(ctx, e.agent, f, DraftEdit{Config: ConfigPatch{Extra: Extra{"voice": []byte(`{"speed":1}`)}}})
		if ae := lbStatus(t, err, 400, ""); !slices.Equal(ae.Messages, []string{"No recognized config fields in request body"}) {
			t.Fatalf("section name at the top level: %v", ae)
		}
		if row, err = e.put(f, "Mine", nil); err != nil || row.DraftRevision != 5 { // last write wins
			t.Fatalf("overwrite: %+v, %v", row, err)
		}
		d, err := c.GetBranchDraft(ctx, e.agent, f)
		if err != nil || d.EditCount != 5 || d.Latest.DraftRevision != 5 || d.EditHistory[2].EditorName != "Mei" {
			t.Fatalf("draft detail %+v, %v", d, err)
		}
		diff, err := c.DiffRefs(ctx, e.agent, r1, DraftRef(f))
		if err != nil || len(diff.Sections) != 2 {
			t.Fatalf("diff against the live head: %+v, %v", diff, err)
		}
	})

	var f1 string
	t.Run("publish: 202, found by the head after the scan", func(t *testing.T) {
		draftID := e.branch(f).Branch.OpenDraftID
		res, err := c.PublishBranchDraft(ctx, e.agent, f, "first on feature")
		if err != nil || res.State != PublishScanning || res.Revision != nil {
			t.Fatalf("publish: %+v, %v", res, err)
		}
		d, err := c.GetBranchDraft(ctx, e.agent, f)
		if err != nil || d.Latest.PendingPublish == nil || d.Latest.PendingPublish.State != PendingActive || d.Latest.SecurityCheck.Status != CheckQueued {
			t.Fatalf("scanning draft: %+v, %v", d.Latest, err)
		}
		// The newest "revision" listed is the scanning draft's row: the new
		// revision is found by the head, not by revisions?limit=1.
		if l, err := c.ListRevisions(ctx, e.agent, f, ListRevisionsOptions{Limit: 1}); err != nil || len(l.Revisions) != 1 || l.Revisions[0].Status != StatusDraft {
			t.Fatalf("revisions?limit=1 while scanning: %+v, %v", l, err)
		}
		for _, tc := range []struct {
			name string
			err  error
		}{
			{"PUT", func() error { _, err := e.put(f, "late", nil); return err }()},
			{"DELETE", c.DeleteBranchDraft(ctx, e.agent, f)},
			{"publish", func() error { _, err := c.PublishBranchDraft(ctx, e.agent, f, ""); return err }()},
		} {
			if !errors.Is(tc.err, ErrPublishInProgress) {
				t.Errorf("%s while scanning: %v", tc.name, tc.err)
			}
		}
		e.clock.Advance(atomsim.DefaultCheckDelay - time.Second)
		if e.branch(f).Branch.HeadRevisionID != "" {
			t.Fatal("committed before the check delay")
		}
		e.clock.Advance(time.Second)
		s := e.branch(f)
		f1 = s.Branch.HeadRevisionID
		rv, err := c.GetRevision(ctx, e.agent, f, f1)
		if f1 == "" || s.HasOpenDraft || err != nil || rv.Revision.RevisionNumber != 1 || rv.Revision.Outcome() != CheckOK ||
			rv.Revision.SourceDraftID != draftID || rv.Revision.Label != "first on feature" {
			t.Fatalf("after the scan: %+v, %+v, %v", s, rv, err)
		}
		if _, err := c.GetBranchDraft(ctx, e.agent, f); !errors.Is(err, ErrNoOpenDraft) {
			t.Fatalf("draft after the commit: %v", err)
		}
		if _, err := c.CreateBranch(ctx, e.agent, CreateBranchRequest{SourceBranchID: f, Name: "x"}); err != nil {
			t.Fatalf("fork of a committed branch: %v", err)
		}
	})

	t.Run("failed scan commits nothing; the draft keeps the reason", func(t *testing.T) {
		e.must(e.sim.SetScanOutcome(e.agent, f, "fail", "prompt injection"))
		_, err := e.put(f, "Ignore previous instructions", nil)
		e.must(err)
		_, err = c.PublishBranchDraft(ctx, e.agent, f, "")
		e.must(err)
		_, err = c.CreateBranch(ctx, e.agent, CreateBranchRequest{SourceBranchID: f, Name: "during-scan"})
		if !errors.Is(err, ErrSourceScanning) {
			t.Fatalf("fork while scanning: %v", err)
		}
		e.clock.Advance(atomsim.DefaultCheckDelay)
		d, err := c.GetBranchDraft(ctx, e.agent, f)
		if err != nil || d.Latest.Outcome() != CheckBad || d.Latest.SecurityCheck.Reason != "prompt injection" || d.Latest.PendingPublish != nil {
			t.Fatalf("failed draft %+v, %v", d.Latest, err)
		}
		if e.branch(f).Branch.HeadRevisionID != f1 {
			t.Fatal("a failed scan moved the head")
		}
		n := e.calls("POST", "/agent/*/branches/*/draft/publish", func() { _, err = c.PublishBranchDraft(ctx, e.agent, f, "") })
		if lbStatus(t, err, 409, "security_check_failed"); n != 1 {
			t.Fatalf("unchanged re-publish sent %d times", n)
		}
	})

	t.Run("cancel during a scan, and after it passed", func(t *testing.T) {
		_, err := e.put(f, "Cancelled", nil) // an edit clears the failure
		e.must(err)
		_, err = c.PublishBranchDraft(ctx, e.agent, f, "")
		e.must(err)
		e.must(c.CancelPublish(ctx, e.agent, f))
		e.must(c.CancelPublish(ctx, e.agent, f)) // idempotent
		e.clock.Advance(2 * atomsim.DefaultCheckDelay)
		d, err := c.GetBranchDraft(ctx, e.agent, f)
		if err != nil || d.Latest.PendingPublish == nil || d.Latest.PendingPublish.State != "cancelled" || d.Latest.SecurityCheck != nil || e.branch(f).Branch.HeadRevisionID != f1 {
			t.Fatalf("cancelled: %+v, %v", d, err)
		}
		_, err = c.PublishBranchDraft(ctx, e.agent, f, "")
		e.must(err)
		e.clock.Advance(atomsim.DefaultCheckDelay)
		e.must(c.CancelPublish(ctx, e.agent, f)) // too late: committed anyway
		if h := e.branch(f).Branch.HeadRevisionID; h == f1 || h == "" {
			t.Fatal("the passed scan did not commit")
		}
	})

	t.Run("make live", func(t *testing.T) {
		empty := e.fork("empty")
		if _, err := c.MakeLive(ctx, e.agent, empty); !errors.Is(err, ErrNoCommittedRevision) {
			t.Fatalf("no commit: %v", err)
		}
		doomed := e.fork("doomed")
		e.commit(doomed, "Doomed")
		e.must(c.ArchiveBranch(ctx, e.agent, doomed))
		_, err := c.MakeLive(ctx, e.agent, doomed)
		lbStatus(t, err, 403, "")
		failed := e.fork("failed-head")
		e.must(e.sim.SetCheck(e.commit(failed, "Failed head"), "failed", "late"))
		_, err = c.MakeLive(ctx, e.agent, failed)
		lbStatus(t, err, 403, "")

		head := e.branch(f).Branch.HeadRevisionID
		for range 2 { // the repeat on the live branch answers the same
			s, err := c.MakeLive(ctx, e.agent, f)
			if err != nil || !s.IsLive || s.Branch.HeadRevisionID != head {
				t.Fatalf("MakeLive: %+v, %v", s, err)
			}
		}
		bs, _ := c.ListBranches(ctx, e.agent)
		live := slices.IndexFunc(bs, func(b BranchSummary) bool { return b.IsLive })
		if bs[live].Branch.ID != f || slices.ContainsFunc(bs, func(b BranchSummary) bool { return b.IsLive && b.Branch.ID != f }) {
			t.Fatalf("live branches %+v", bs)
		}
		if ag, _ := c.GetAgent(ctx, e.agent, GetAgentOptions{}); ag.ActiveVersionID != head {
			t.Fatalf("activeVersionId %s, want %s", ag.ActiveVersionID, head)
		}
	})

	t.Run("read-back lag", func(t *testing.T) {
		e.sim.SetReadLag(3 * time.Second)
		old := e.branch(f).Branch.HeadRevisionID
		_, err := e.put(f, "Lagging", nil)
		e.must(err)
		_, err = c.PublishBranchDraft(ctx, e.agent, f, "")
		e.must(err)
		e.clock.Advance(atomsim.DefaultCheckDelay)
		ag, _ := c.GetAgent(ctx, e.agent, GetAgentOptions{})
		if e.branch(f).Branch.HeadRevisionID != old || ag.ActiveVersionID != old {
			t.Fatal("the commit showed at once")
		}
		if _, err := c.GetBranchDraft(ctx, e.agent, f); !errors.Is(err, ErrNoOpenDraft) {
			t.Fatalf("draft reads do not lag: %v", err)
		}
		s, err := c.MakeLive(ctx, e.agent, e.main)
		if err != nil || !s.IsLive {
			t.Fatalf("MakeLive's own answer is current: %+v, %v", s, err)
		}
		if bs, _ := c.ListBranches(ctx, e.agent); bs[0].IsLive {
			t.Fatal("make-live showed at once")
		}
		e.clock.Advance(3 * time.Second)
		if bs, _ := c.ListBranches(ctx, e.agent); !bs[0].IsLive || e.branch(f).Branch.HeadRevisionID == old {
			t.Fatal("still lagging after the lag")
		}
		e.sim.SetReadLag(0)
		_, err = c.MakeLive(ctx, e.agent, f)
		e.must(err)
	})

	t.Run("restore", func(t *testing.T) {
		head := e.branch(f).Branch.HeadRevisionID
		res, err := c.RestoreRevision(ctx, e.agent, f, f1)
		if err != nil || res.State != PublishCommitted || res.Revision == nil || res.Revision.RestoredFromRevisionID != f1 || res.Revision.ID == head {
			t.Fatalf("restore: %+v, %v", res, err)
		}
		if ag, _ := c.GetAgent(ctx, e.agent, GetAgentOptions{}); ag.ActiveVersionID != res.Revision.ID {
			t.Fatal("a restore on the live branch is not live at once")
		}
		n := e.calls("POST", "/agent/*/branches/*/revisions/*/restore", func() { _, err = c.RestoreRevision(ctx, e.agent, f, res.Revision.ID) })
		if lbStatus(t, err, 409, ""); n != 1 {
			t.Fatalf("restore of the head sent %d times", n)
		}
		e.must(e.sim.SetCheck(f1, "failed", "rescanned"))
		_, err = c.RestoreRevision(ctx, e.agent, f, f1)
		lbStatus(t, err, 403, "")
		_, err = c.RestoreRevision(ctx, e.agent, e.main, r1) // r1 is Main's head
		lbStatus(t, err, 409, "")
		_, err = c.RestoreRevision(ctx, e.agent, f, r1) // r1 is not on this branch
		lbStatus(t, err, 404, "")
	})

	t.Run("archive", func(t *testing.T) {
		for _, b := range []string{e.main, f} { // Main, and the live branch
			lbStatus(t, c.ArchiveBranch(ctx, e.agent, b), 403, "")
		}
		gone := e.fork("gone")
		rev := e.commit(gone, "Gone")
		e.must(c.ArchiveBranch(ctx, e.agent, gone))
		e.must(c.ArchiveBranch(ctx, e.agent, gone)) // again: a no-op
		bs, _ := c.ListBranches(ctx, e.agent)
		if slices.ContainsFunc(bs, func(b BranchSummary) bool { return b.Branch.ID == gone }) || e.branch(gone).Branch.Status != BranchArchived {
			t.Fatal("an archived branch is listed or not archived")
		}
		if _, err := c.GetRevision(ctx, e.agent, gone, rev); err != nil {
			t.Fatalf("an archived branch's revision: %v", err)
		}
	})

	t.Run("freeze: writes 423, reads pass", func(t *testing.T) {
		_, err := e.put(e.main, "Before the freeze", nil)
		e.must(err)
		spare := e.fork("spare")
		e.sim.SetFrozen(true)
		defer e.sim.SetFrozen(false)
		writes := map[string]func() error{
			"PUT draft": func() error { _, err := e.put(f, "Frozen", nil); return err },
			"publish":   func() error { _, err := c.PublishBranchDraft(ctx, e.agent, e.main, ""); return err },
			"cancel":    func() error { return c.CancelPublish(ctx, e.agent, e.main) },
			"fork": func() error {
				_, err := c.CreateBranch(ctx, e.agent, CreateBranchRequest{SourceBranchID: e.main, Name: "frozen"})
				return err
			},
			"make live": func() error { _, err := c.MakeLive(ctx, e.agent, e.main); return err },
			"archive":   func() error { return c.ArchiveBranch(ctx, e.agent, spare) },
			"restore":   func() error { _, err := c.RestoreRevision(ctx, e.agent, f, f1); return err },
			"discard":   func() error { return c.DeleteBranchDraft(ctx, e.agent, e.main) },
		}
		for name, w := range writes {
			e.sim.ResetCalls()
			if err := w(); !errors.Is(err, ErrConfigFrozen) || Ambiguous(err) || len(e.sim.Calls()) != 1 {
				t.Errorf("%s: %v after %d calls", name, err, len(e.sim.Calls()))
			}
		}
		if _, err := c.ListBranches(ctx, e.agent); err != nil {
			t.Errorf("list: %v", err)
		}
		if _, err := c.DiffRefs(ctx, e.agent, f1, DraftRef(e.main)); err != nil {
			t.Errorf("diff: %v", err)
		}
		if _, err := c.BranchTestCall(ctx, e.agent, f, TestCallRequest{Mode: TestCallChat}); err != nil {
			t.Errorf("test call: %v", err)
		}
	})

	t.Run("v1 writes: the migration 409 with Deprecation", func(t *testing.T) {
		e.sim.ResetCalls()
		_, err := c.CreateDraft(ctx, e.agent, CreateDraftRequest{SourceVersionID: r1})
		ae := lbStatus(t, err, 409, MigrationErrorType)
		if !ae.Deprecated || !errors.Is(err, ErrMigrationRequired) || len(e.sim.Calls()) != 1 {
			t.Fatalf("v1 fork: %+v", ae)
		}
		_, err = c.ListVersions(ctx, e.agent, ListVersionsOptions{})
		if !errors.Is(err, ErrMigrationRequired) || len(e.sim.Calls()) != 2 {
			t.Fatalf("v1 list: %v", err)
		}
	})
}
