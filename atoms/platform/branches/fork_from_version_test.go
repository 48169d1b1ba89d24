package branches

import (
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// A form read from a revision (of any branch, an archived one too) creates
// nothing; saving it makes a branch of the user's own from the live branch
// whose draft is that revision, plus the form's changes, in one edit.
func TestForkFromVersion(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, rev1 := e.agent("reopen")
	feature := e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Rejected hello", "slmModel": "gpt-4o"})
	rev := e.branch(id, feature).HeadRevisionID
	archived := e.fork(id, mainID, "gone", map[string]any{"firstMessage": "Archived hello"})
	gone := e.branch(id, archived).HeadRevisionID
	if err := e.c.ArchiveBranch(ctx, id, archived); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		rev     string
		changes map[string]string
		first   string
		model   string
		prompt  string
	}{
		{"a revision of another branch, saved unchanged", rev, nil, "Rejected hello", "gpt-4o", "You are the support agent."},
		{"a revision of an archived branch, with a change", gone, map[string]string{platform.FieldPrompt: "Be brief."}, "Archived hello", "electron", "Be brief."},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetCalls()
			form, err := e.a.EditVersion(ctx, id, platform.Version{ID: tt.rev})
			if err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("reading the form wrote %v", w)
			}
			if form.Values[platform.FieldFirstMessage] != tt.first || form.Values[platform.FieldModel] != tt.model {
				t.Fatalf("form %+v", form.Values)
			}
			name := []string{"alice-a", "alice-b"}[i]
			d, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, NewName: name, Basis: form.Basis, Changes: tt.changes})
			if err != nil {
				t.Fatal(err)
			}
			b, ok := e.branchNamed(id, name)
			if !ok || d.ID != b.ID || !d.Open || b.DraftID == "" || b.SourceBranchID != mainID {
				t.Fatalf("draft %+v on branch %+v", d, b)
			}
			if n := e.count("PUT", "/agent/*/branches/*/draft"); n != 1 {
				t.Errorf("%d draft edits, want one", n)
			}
			cfg := e.config(id, b.ID+":draft")
			if cfg["firstMessage"] != tt.first || cfg["slmModel"] != tt.model || prompt(cfg) != tt.prompt || len(toolNames(cfg)) != 2 {
				t.Fatalf("draft config %v", cfg)
			}
		})
	}

	t.Run("the live version unchanged is nothing to save", func(t *testing.T) {
		form, err := e.a.EditVersion(ctx, id, platform.Version{ID: rev1})
		if err != nil {
			t.Fatal(err)
		}
		e.sim.ResetCalls()
		_, err = e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, NewName: "alice-c", Basis: form.Basis})
		isKind(t, err, platform.ErrRefused)
		if w := e.writes(); len(w) != 0 {
			t.Fatalf("a refused save wrote %v", w)
		}
	})
}
