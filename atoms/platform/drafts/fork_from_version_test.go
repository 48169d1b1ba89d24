package drafts

import (
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// A form read from a published version (one that was rejected, say) creates
// nothing; saving it forks a draft from that version, changed or not.
func TestForkFromVersion(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("reopen")
	v2 := e.published(id, v1, "Rejected hello")

	e.sim.ResetCalls()
	form, err := e.a.EditVersion(ctx, id, platform.Version{ID: v2, Ref: "v2"})
	if err != nil {
		t.Fatal(err)
	}
	if w := e.writes(); len(w) != 0 {
		t.Fatalf("reading the form wrote %v", w)
	}
	if form.Draft.ID != "" || form.Values[platform.FieldFirstMessage] != "Rejected hello" || form.Values[platform.FieldPrompt] != "You are the support agent." {
		t.Fatalf("form %+v", form)
	}

	tests := []struct {
		name    string
		changes map[string]string
		first   string
		prompt  string
		writes  int
	}{
		{"saved unchanged: the version as it was", nil, "Rejected hello", "You are the support agent.", 1},
		{"saved with a change: the version plus the change", map[string]string{platform.FieldPrompt: "Be brief."}, "Rejected hello", "Be brief.", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetCalls()
			d, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, NewName: "alice-again", Basis: form.Basis, Changes: tt.changes})
			if err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != tt.writes {
				t.Errorf("writes %v, want %d", w, tt.writes)
			}
			if d.ID == "" || !d.Open || d.BaseID != v2 || d.Name != "alice-again" {
				t.Fatalf("draft %+v", d)
			}
			ag, err := e.c.GetAgent(ctx, id, atoms.GetAgentOptions{DraftID: d.ID})
			if err != nil {
				t.Fatal(err)
			}
			rc := ag.ResolvedConfig
			if rc.FirstMessage != tt.first || rc.Prompt != tt.prompt || len(rc.Tools) != 2 {
				t.Fatalf("draft config %+v", rc)
			}
			if err := e.c.DeleteDraft(ctx, id, d.ID); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("an unknown version is not found", func(t *testing.T) {
		_, err := e.a.EditVersion(ctx, id, platform.Version{ID: "0123456789abcdef01234567"})
		isKind(t, err, platform.ErrNotFound)
	})
}
