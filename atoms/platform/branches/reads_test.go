package branches

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

func TestDetect(t *testing.T) {
	t.Run("branch model with a live branch", func(t *testing.T) {
		e := newEnv(t, atomsim.Options{})
		id, _, _ := e.agent("detect")
		e.sim.ResetCalls()
		m, err := e.a.Detect(ctx, id)
		if err != nil || m != platform.ModelV2 {
			t.Fatalf("Detect = %q, %v", m, err)
		}
		if n := len(e.sim.Calls()); n != 1 {
			t.Errorf("Detect made %d calls, want one GET branches", n)
		}
	})
	t.Run("unknown agent tells nothing", func(t *testing.T) {
		e := newEnv(t, atomsim.Options{})
		m, err := e.a.Detect(ctx, "0123456789abcdef01234567")
		if err != nil || m != "" {
			t.Fatalf("Detect = %q, %v", m, err)
		}
	})
	t.Run("v1 host answers the branch route with an HTML 404", func(t *testing.T) {
		sim := atomsim.New(atomsim.Options{APIKey: testKey, Seed: 3})
		srv := httptest.NewServer(sim)
		t.Cleanup(srv.Close)
		c, err := atoms.New(atoms.Options{BaseURL: srv.URL, APIKey: testKey, RPS: math.Inf(1),
			Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
		if err != nil {
			t.Fatal(err)
		}
		id, err := c.CreateAgent(ctx, atoms.CreateAgentRequest{Name: "v1"})
		if err != nil {
			t.Fatal(err)
		}
		a := New(c, nil)
		if m, err := a.Detect(ctx, id); err != nil || m != platform.ModelV1 {
			t.Fatalf("Detect = %q, %v", m, err)
		}
		// Reads on a v1 host say which model it runs, not "not found".
		_, err = a.Live(ctx, id)
		isKind(t, err, platform.ErrWrongModel)
	})
}

// readsFixture is an agent with Main live at v2 and a published feature
// branch (feature/v1), plus branches in every draft state.
type readsFixture struct {
	e                          *env
	id, main, feature          string
	rev1, rev2, featRev        string
	scanning, failed, noDraftB string
}

func newReadsFixture(t *testing.T) readsFixture {
	e := newEnv(t, atomsim.Options{})
	id, mainID, rev2 := e.agent("reads")
	f := readsFixture{e: e, id: id, main: mainID, rev2: rev2}
	revs, _ := e.sim.Revisions(id, mainID)
	f.rev1 = revs[0].ID
	f.feature = e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Feature hello"})
	f.featRev = e.branch(id, f.feature).HeadRevisionID
	e.edit(id, mainID, map[string]any{"firstMessage": "Main draft hello"})

	f.scanning = e.fork(id, mainID, "scanning", nil)
	e.edit(id, f.scanning, map[string]any{"firstMessage": "Scanning hello"})
	if _, err := e.c.PublishBranchDraft(ctx, id, f.scanning, "scan me"); err != nil {
		t.Fatal(err)
	}
	f.failed = e.fork(id, mainID, "failed", nil)
	if err := e.sim.SetScanOutcome(id, f.failed, "fail", "prompt injection"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.DashboardPublish(id, f.failed, map[string]any{"firstMessage": "Bad hello"}, "Mei"); err == nil {
		t.Fatal("the failing scan passed")
	}
	f.noDraftB = e.fork(id, mainID, "quiet", nil)
	return f
}

func TestReads(t *testing.T) {
	f := newReadsFixture(t)
	e, id := f.e, f.id

	t.Run("Agent and Live are the live branch's head", func(t *testing.T) {
		ag, err := e.a.Agent(ctx, id)
		if err != nil || ag.LiveVersionID != f.rev2 || ag.Name != "reads" {
			t.Fatalf("Agent = %+v, %v", ag, err)
		}
		v, err := e.a.Live(ctx, id)
		if err != nil || v.ID != f.rev2 || v.Ref != "v2" || v.Branch != "Main" || !v.Live || v.Check.Outcome() != platform.CheckPassed || v.PublishedBy != "Asha" {
			t.Fatalf("Live = %+v, %v", v, err)
		}
	})

	t.Run("Versions", func(t *testing.T) {
		tests := []struct {
			q      platform.VersionQuery
			branch string
			refs   []string
			total  int
		}{
			{platform.VersionQuery{Limit: 10}, "Main", []string{"v2", "v1"}, 2},
			{platform.VersionQuery{Limit: 1}, "Main", []string{"v2"}, 2},
			{platform.VersionQuery{Branch: "feature", Limit: 10}, "feature", []string{"feature/v1"}, 1},
			{platform.VersionQuery{Branch: "FEATURE"}, "feature", []string{"feature/v1"}, 1},
		}
		for _, tt := range tests {
			t.Run(tt.q.Branch+"/"+tt.branch, func(t *testing.T) {
				page, err := e.a.Versions(ctx, id, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				var refs []string
				for _, v := range page.Versions {
					refs = append(refs, v.Ref)
				}
				if page.Branch != tt.branch || page.Total != tt.total || !slices.Equal(refs, tt.refs) {
					t.Fatalf("page %+v, refs %v", page, refs)
				}
			})
		}
		_, err := e.a.Versions(ctx, id, platform.VersionQuery{Branch: "nope"})
		isKind(t, err, platform.ErrNotFound)
	})

	t.Run("Version", func(t *testing.T) {
		tests := []struct {
			name string
			ref  platform.VersionRef
			id   string
			out  string // Ref of the answer
		}{
			{"id on the live branch", platform.VersionRef{ID: f.rev1}, f.rev1, "v1"},
			{"id on another branch", platform.VersionRef{ID: f.featRev}, f.featRev, "feature/v1"},
			{"vN on the live branch", platform.VersionRef{Number: 2}, f.rev2, "v2"},
			{"branch/vN", platform.VersionRef{Branch: "feature", Number: 1}, f.featRev, "feature/v1"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				v, err := e.a.Version(ctx, id, tt.ref)
				if err != nil || v.ID != tt.id || v.Ref != tt.out {
					t.Fatalf("Version(%s) = %+v, %v", tt.ref, v, err)
				}
			})
		}
		for _, ref := range []platform.VersionRef{{Number: 7}, {Branch: "feature", Number: 2}, {Branch: "nope", Number: 1}, {ID: "0123456789abcdef01234567"}} {
			_, err := e.a.Version(ctx, id, ref)
			isKind(t, err, platform.ErrNotFound)
		}
		_, err := e.a.Version(ctx, id, platform.VersionRef{Number: 7})
		if !strings.Contains(platform.Explain(err), "the newest is v2") {
			t.Errorf("Explain = %q", platform.Explain(err))
		}
	})

	t.Run("Drafts lists every branch with its draft's state", func(t *testing.T) {
		ds, err := e.a.Drafts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]platform.Draft{}
		for _, d := range ds {
			got[d.Name] = d
		}
		if len(ds) != 5 {
			t.Fatalf("drafts %+v", ds)
		}
		if d := got["Main"]; !d.Open || !d.Live || d.Revision != 1 || d.LastEditor != "Mei" || d.Base != "v2" || d.ID != f.main {
			t.Errorf("Main %+v", d)
		}
		if d := got["scanning"]; !d.Open || !d.Scanning || d.Live || d.Check.Status != "queued" {
			t.Errorf("scanning %+v", d)
		}
		if d := got["failed"]; !d.Open || d.Scanning || d.Check.Outcome() != platform.CheckFailed || d.Check.Reason != "prompt injection" {
			t.Errorf("failed %+v", d)
		}
		// No commit of its own: it stands on Main's head, named as such.
		if d := got["quiet"]; d.Open || d.BaseID != f.rev2 || d.Base != "v2" {
			t.Errorf("quiet %+v", d)
		}
		if d := got["feature"]; d.Open || d.BaseID != f.featRev || d.Base != "feature/v1" {
			t.Errorf("feature %+v", d)
		}
	})

	t.Run("DiffDraft compares a branch's draft with the live head", func(t *testing.T) {
		d, err := e.a.DiffDraft(ctx, id, f.main)
		if err != nil {
			t.Fatal(err)
		}
		if got := changes(d); !slices.Equal(got, []string{`call_handling:firstMessage "Hello from reads"→"Main draft hello"`}) {
			t.Fatalf("diff %v", got)
		}
		_, err = e.a.DiffDraft(ctx, id, f.noDraftB)
		isKind(t, err, platform.ErrNotFound)
	})

	t.Run("DiffVersions across branches, a is the base", func(t *testing.T) {
		d, err := e.a.DiffVersions(ctx, id, f.rev2, f.featRev)
		if err != nil {
			t.Fatal(err)
		}
		if got := changes(d); !slices.Equal(got, []string{`call_handling:firstMessage "Hello from reads"→"Feature hello"`}) {
			t.Fatalf("diff %v", got)
		}
		_, err = e.a.DiffVersions(ctx, id, f.rev2, "0123456789abcdef01234567")
		isKind(t, err, platform.ErrNotFound)
	})

	t.Run("a named branch's revision is found on it", func(t *testing.T) {
		e.sim.ResetCalls()
		if _, err := e.a.Version(ctx, id, platform.VersionRef{Branch: "feature", Number: 1}); err != nil {
			t.Fatal(err)
		}
		// One list of branches, one page of one revision at the expected skip.
		if n := len(e.sim.Calls()); n != 2 {
			t.Errorf("%d calls: %v", n, e.sim.Calls())
		}
	})
}

// changes renders a diff as "section:path old→new".
func changes(d platform.Diff) []string {
	var out []string
	for _, s := range d.Sections {
		for _, c := range s.Changes {
			out = append(out, s.Section+":"+c.Path+" "+compact(c.Old)+"→"+compact(c.New))
		}
	}
	return out
}

func compact(raw json.RawMessage) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return string(raw)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestVersionsWhileScanning: a publish still scanning may be listed among a
// branch's revisions as a draft row on top; it is not a version.
func TestVersionsWhileScanning(t *testing.T) {
	e := newEnv(t, atomsim.Options{ListScanningDraft: true})
	id, mainID, rev2 := e.agent("scanning")
	feature := e.fork(id, mainID, "feature", nil)
	for _, b := range []string{mainID, feature} {
		e.edit(id, b, map[string]any{"firstMessage": "Scanning"})
		if _, err := e.c.PublishBranchDraft(ctx, id, b, ""); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		branch string
		refs   []string
	}{
		{"", []string{"v2", "v1"}},
		{"feature", nil},
	}
	for _, tt := range tests {
		page, err := e.a.Versions(ctx, id, platform.VersionQuery{Branch: tt.branch, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, v := range page.Versions {
			refs = append(refs, v.Ref)
		}
		if !slices.Equal(refs, tt.refs) || page.Total != len(tt.refs) {
			t.Errorf("versions of %q: %v, total %d", tt.branch, refs, page.Total)
		}
	}
	if v, err := e.a.Version(ctx, id, platform.VersionRef{Number: 2}); err != nil || v.ID != rev2 {
		t.Fatalf("Version(v2) = %+v, %v", v, err)
	}
}
