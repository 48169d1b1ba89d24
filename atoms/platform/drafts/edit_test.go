package drafts

import (
	"errors"
	"slices"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

func TestEditForm(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("form")
	draft := e.draft(id, v1, "Draft hello")

	tests := []struct {
		name, draft, first string
		revision           int
	}{
		{"new draft reads the active version", "", "Hello from form", 0},
		{"a draft reads itself", draft, "Draft hello", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetCalls()
			f, err := e.a.EditForm(ctx, id, tt.draft)
			if err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("EditForm wrote %v", w)
			}
			if f.Draft.ID != tt.draft || f.Draft.Revision != tt.revision || f.Values[platform.FieldFirstMessage] != tt.first ||
				f.Values[platform.FieldPrompt] != "You are the support agent." {
				t.Fatalf("form %+v", f)
			}
		})
	}
	_, err := e.a.EditForm(ctx, id, "no-such-draft")
	isKind(t, err, platform.ErrNotFound)
}

func TestSaveNewDraft(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("save")
	form, err := e.a.EditForm(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	save := func(changes map[string]string) (platform.Draft, error) {
		return e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, NewName: "shorter", Basis: form.Basis, Changes: changes})
	}

	t.Run("forked from the form's version on save, tools kept", func(t *testing.T) {
		d, err := save(map[string]string{platform.FieldPrompt: "Be brief."})
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "shorter" || d.BaseID != v1 || d.Revision != 1 || !d.Open {
			t.Fatalf("draft %+v", d)
		}
		ag, err := e.c.GetAgent(ctx, id, atoms.GetAgentOptions{DraftID: d.ID})
		if err != nil || ag.ResolvedConfig.Prompt != "Be brief." || len(ag.ResolvedConfig.Tools) != 2 {
			t.Fatalf("draft config %+v, %v", ag.ResolvedConfig, err)
		}
		if err := e.c.DeleteDraft(ctx, id, d.ID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a refused edit discards the draft made for it", func(t *testing.T) {
		_, err := save(map[string]string{platform.FieldModel: "no-such-model"})
		isKind(t, err, platform.ErrRefused)
		if ds := e.agentInfo(id).Drafts; len(ds) != 0 {
			t.Fatalf("drafts left %+v", ds)
		}
	})
	t.Run("an unclear edit keeps the draft", func(t *testing.T) {
		e.sim.SetFaults(atomsim.Faults{AfterEffectRate: 1, Methods: []string{"PATCH"}})
		_, err := save(map[string]string{platform.FieldFirstMessage: "Maybe"})
		e.sim.SetFaults(atomsim.Faults{})
		isKind(t, err, platform.ErrUnclear)
		if ds := e.agentInfo(id).Drafts; len(ds) != 1 || ds[0].Revision != 1 {
			t.Fatalf("drafts %+v", ds)
		}
	})
	t.Run("nothing to save creates nothing", func(t *testing.T) {
		e.sim.ResetCalls()
		_, err := save(nil)
		isKind(t, err, platform.ErrRefused)
		if len(e.sim.Calls()) != 0 {
			t.Fatalf("calls %v", e.sim.Calls())
		}
	})
}

func TestSaveExistingDraft(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("conflict")
	draft := e.draft(id, v1, "Start")
	form, err := e.a.EditForm(ctx, id, draft)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]string{platform.FieldPrompt: "Mine", platform.FieldFirstMessage: "Mine"}

	t.Run("saved when nothing moved", func(t *testing.T) {
		d, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, DraftID: draft, Basis: form.Basis, Changes: changes})
		if err != nil || d.Revision != 2 || d.BaseID != v1 {
			t.Fatalf("SaveDraft = %+v, %v", d, err)
		}
	})
	t.Run("refused when the revision moved", func(t *testing.T) {
		// form was read at revision 1; the save above made it 2.
		_, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, DraftID: draft, Basis: form.Basis, Changes: changes})
		var ce *platform.ConflictError
		if !errors.As(err, &ce) || ce.Gone || ce.From != 1 || ce.To != 2 || ce.Editor != "api" ||
			!slices.Equal(ce.Fields, []string{platform.FieldFirstMessage, platform.FieldPrompt}) {
			t.Fatalf("err = %#v", err)
		}
		if ds := e.agentInfo(id).Drafts; ds[0].Revision != 2 {
			t.Fatal("a refused save changed the draft")
		}
	})
	t.Run("gone once published", func(t *testing.T) {
		f, err := e.a.EditForm(ctx, id, draft)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.PublishDraft(ctx, id, draft, atoms.PublishRequest{}); err != nil {
			t.Fatal(err)
		}
		_, err = e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, DraftID: draft, Basis: f.Basis, Changes: changes})
		var ce *platform.ConflictError
		if !errors.As(err, &ce) || !ce.Gone {
			t.Fatalf("err = %v", err)
		}
	})
}
