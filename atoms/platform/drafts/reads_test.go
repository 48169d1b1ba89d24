package drafts

import (
	"slices"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

func TestReads(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("reads")
	v2 := e.published(id, v1, "Second")
	v3 := e.published(id, v2, "Third") // published, never activated
	draft := e.draft(id, v2, "Draft greeting")

	t.Run("Agent and Live are the active version", func(t *testing.T) {
		ag, err := e.a.Agent(ctx, id)
		if err != nil || ag.LiveVersionID != v1 || ag.Name != "reads" {
			t.Fatalf("Agent = %+v, %v", ag, err)
		}
		v, err := e.a.Live(ctx, id)
		if err != nil || v.ID != v1 || v.Ref != "v1" || !v.Live || v.Branch != "" {
			t.Fatalf("Live = %+v, %v", v, err)
		}
	})
	t.Run("Versions newest first", func(t *testing.T) {
		page, err := e.a.Versions(ctx, id, platform.VersionQuery{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var refs []string
		for _, v := range page.Versions {
			refs = append(refs, v.Ref)
		}
		if !slices.Equal(refs, []string{"v3", "v2", "v1"}) || page.Total != 3 || page.Branch != "" {
			t.Fatalf("page %+v", page)
		}
		if page.Versions[0].Check.Outcome() != platform.CheckPassed || page.Versions[0].Live || !page.Versions[2].Live {
			t.Fatalf("versions %+v", page.Versions)
		}
		_, err = e.a.Versions(ctx, id, platform.VersionQuery{Branch: "feature"})
		isKind(t, err, platform.ErrNotFound)
	})
	t.Run("Version by id and by number", func(t *testing.T) {
		for _, ref := range []platform.VersionRef{{ID: v3}, {Number: 3}} {
			v, err := e.a.Version(ctx, id, ref)
			if err != nil || v.ID != v3 || v.Number != 3 || v.Label != "Third" {
				t.Fatalf("Version(%s) = %+v, %v", ref, v, err)
			}
		}
		for _, ref := range []platform.VersionRef{{Number: 9}, {Branch: "feature", Number: 1}, {ID: "0123456789abcdef01234567"}} {
			_, err := e.a.Version(ctx, id, ref)
			isKind(t, err, platform.ErrNotFound)
		}
		_, err := e.a.Version(ctx, id, platform.VersionRef{Number: 9})
		if !strings.Contains(platform.Explain(err), "the newest is v3") {
			t.Errorf("Explain = %q", platform.Explain(err))
		}
	})
	t.Run("Drafts with the version each was forked from", func(t *testing.T) {
		ds, err := e.a.Drafts(ctx, id)
		if err != nil || len(ds) != 1 {
			t.Fatalf("Drafts = %+v, %v", ds, err)
		}
		if d := ds[0]; d.ID != draft || !d.Open || d.Revision != 1 || d.BaseID != v2 || d.Base != "v2" || d.Name != "edit Draft greeting" {
			t.Fatalf("draft %+v", d)
		}
	})
	t.Run("DiffDraft against the active version", func(t *testing.T) {
		d, err := e.a.DiffDraft(ctx, id, draft)
		if err != nil || d.Empty() {
			t.Fatalf("DiffDraft = %+v, %v", d, err)
		}
		c := d.Sections[0].Changes[0]
		if c.Path != "firstMessage" || string(c.Old) != `"Hello from reads"` || string(c.New) != `"Draft greeting"` {
			t.Fatalf("change %s %s→%s", c.Path, c.Old, c.New)
		}
	})
	t.Run("DiffVersions, a is the base", func(t *testing.T) {
		d, err := e.a.DiffVersions(ctx, id, v2, v3)
		if err != nil || d.Empty() || string(d.Sections[0].Changes[0].New) != `"Third"` {
			t.Fatalf("DiffVersions = %+v, %v", d, err)
		}
	})
}
