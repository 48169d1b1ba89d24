package branches

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

func TestEditForm(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, _ := e.agent("form")
	feature := e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Feature hello"})
	drafted := e.fork(id, mainID, "drafted", nil)
	e.edit(id, drafted, map[string]any{"firstMessage": "Draft one"})
	rev := e.edit(id, drafted, map[string]any{"slmModel": "gpt-4o"})
	scanning := e.fork(id, mainID, "scanning", nil)
	e.edit(id, scanning, map[string]any{"firstMessage": "Scanning"})
	if _, err := e.c.PublishBranchDraft(ctx, id, scanning, ""); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		branch   string
		open     bool
		revision int
		first    string
		model    string
	}{
		{"new draft reads the live head", "", false, 0, "Hello from form", "electron"},
		{"branch with a draft reads the draft", drafted, true, rev, "Draft one", "gpt-4o"},
		{"branch without a draft reads its head", feature, false, 0, "Feature hello", "electron"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.sim.ResetCalls()
			f, err := e.a.EditForm(ctx, id, tt.branch)
			if err != nil {
				t.Fatal(err)
			}
			if w := e.writes(); len(w) != 0 {
				t.Fatalf("EditForm wrote: %v", w)
			}
			v := f.Values
			if f.Draft.ID != tt.branch || f.Draft.Open != tt.open || f.Draft.Revision != tt.revision ||
				v[platform.FieldFirstMessage] != tt.first || v[platform.FieldModel] != tt.model ||
				v[platform.FieldPrompt] != "You are the support agent." || v[platform.FieldVoiceID] != "nyah" {
				t.Fatalf("form %+v", f)
			}
			b := wire.DecodeBasis(f.Basis)
			if b.Open != tt.open || b.Revision != tt.revision || len(b.Tools) != 2 {
				t.Fatalf("basis %+v", b)
			}
		})
	}

	t.Run("a scanning branch is busy", func(t *testing.T) {
		_, err := e.a.EditForm(ctx, id, scanning)
		isKind(t, err, platform.ErrBusy)
	})
	t.Run("an unknown branch is not found", func(t *testing.T) {
		_, err := e.a.EditForm(ctx, id, "0123456789abcdef01234567")
		isKind(t, err, platform.ErrNotFound)
	})
}

// putBodies are the bodies of the draft PUTs since the last reset.
func (e *env) putBodies() []string {
	var out []string
	for _, c := range e.sim.Calls() {
		if c.Method == "PUT" {
			out = append(out, string(c.Body))
		}
	}
	return out
}

func TestSaveDraftNewBranch(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, _ := e.agent("save")
	form, err := e.a.EditForm(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}
	save := func(name string, changes map[string]string) (platform.Draft, error) {
		return e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, NewName: name, Basis: form.Basis, Changes: changes})
	}

	t.Run("creates a branch of that name from the live one", func(t *testing.T) {
		e.sim.ResetCalls()
		d, err := save("greeting", map[string]string{platform.FieldPrompt: "Be brief."})
		if err != nil {
			t.Fatal(err)
		}
		b := e.branch(id, d.ID)
		if d.Name != "greeting" || !d.Open || d.Revision != 1 || d.Live || b.Name != "greeting" || b.SourceBranchID != mainID {
			t.Fatalf("draft %+v, branch %+v", d, b)
		}
		cfg := e.config(id, d.ID+":draft")
		if prompt(cfg) != "Be brief." || !slices.Equal(toolNames(cfg), []string{"end_call", "lookup_order"}) {
			t.Fatalf("draft config: prompt %q tools %v", prompt(cfg), toolNames(cfg))
		}
		if bodies := e.putBodies(); len(bodies) != 1 || strings.Contains(bodies[0], "expectedRevision") {
			t.Fatalf("PUT bodies %v: a new draft has no revision to expect", bodies)
		}
	})
	t.Run("a taken name gets a suffix", func(t *testing.T) {
		d, err := save("Greeting", map[string]string{platform.FieldFirstMessage: "Hi"})
		if err != nil || d.Name != "Greeting-2" {
			t.Fatalf("draft %+v, %v", d, err)
		}
	})
	t.Run("a refused edit archives the branch made for it", func(t *testing.T) {
		for _, model := range []string{"no-such-model", "gpt-5.2"} { // 400, and 403 (gated)
			before := len(e.branches(id))
			_, err := save("refused-"+model, map[string]string{platform.FieldModel: model})
			isKind(t, err, platform.ErrRefused)
			bs := e.branches(id)
			if len(bs) != before+1 || bs[len(bs)-1].Status != "archived" {
				t.Fatalf("branches after a refused edit: %+v", bs[before:])
			}
		}
	})
	t.Run("nothing to save writes nothing", func(t *testing.T) {
		e.sim.ResetCalls()
		_, err := save("empty", map[string]string{})
		isKind(t, err, platform.ErrRefused)
		if len(e.sim.Calls()) != 0 {
			t.Fatalf("calls %v", e.sim.Calls())
		}
	})
	t.Run("a freeze creates nothing", func(t *testing.T) {
		e.sim.SetFrozen(true)
		defer e.sim.SetFrozen(false)
		before := len(e.branches(id))
		_, err := save("frozen", map[string]string{platform.FieldFirstMessage: "Hi"})
		isKind(t, err, platform.ErrFrozen)
		if len(e.branches(id)) != before {
			t.Fatal("a branch was created during the freeze")
		}
	})
}

func TestSaveDraftExistingBranch(t *testing.T) {
	tests := []struct {
		name    string
		rich    bool
		theirs  map[string]any    // a dashboard edit after the form was read
		ours    map[string]string // the form's changes
		fields  []string          // conflicting fields; nil: saved
		fromRev bool              // the conflict names both revisions
	}{
		{"other field: both kept", false, map[string]any{"slmModel": "gpt-4o"}, map[string]string{platform.FieldFirstMessage: "Mine"}, nil, false},
		{"same field, lean", false, map[string]any{"firstMessage": "Theirs"}, map[string]string{platform.FieldFirstMessage: "Mine"}, []string{platform.FieldFirstMessage}, false},
		{"same field, rich", true, map[string]any{"firstMessage": "Theirs"}, map[string]string{platform.FieldFirstMessage: "Mine"}, []string{platform.FieldFirstMessage}, true},
		{"their tools against our prompt", false,
			map[string]any{"singlePromptConfig": map[string]any{"prompt": "You are the support agent.", "tools": []any{toolEnd}}},
			map[string]string{platform.FieldPrompt: "New prompt"}, []string{platform.FieldPrompt}, false},
		{"voice, rich", true, map[string]any{"synthesizer": map[string]any{"voiceConfig": map[string]any{"voiceId": "emily"}}},
			map[string]string{platform.FieldVoiceID: "ryan", platform.FieldFirstMessage: "Mine"}, []string{platform.FieldVoiceID}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, atomsim.Options{RichConflicts: tt.rich})
			id, mainID, _ := e.agent("conflicts")
			b := e.fork(id, mainID, "work", nil)
			start := e.edit(id, b, map[string]any{"firstMessage": "Start"})
			form, err := e.a.EditForm(ctx, id, b)
			if err != nil {
				t.Fatal(err)
			}
			latest := e.edit(id, b, tt.theirs)
			e.sim.ResetCalls()
			d, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, DraftID: b, Basis: form.Basis, Changes: tt.ours})
			if bodies := e.putBodies(); len(bodies) != 1 || !strings.Contains(bodies[0], `"expectedRevision":1`) {
				t.Fatalf("PUT bodies %v: the draft open at reading must be expected", bodies)
			}
			if tt.fields == nil {
				if err != nil || d.ID != b || d.Revision != latest+1 || d.Name != "work" {
					t.Fatalf("SaveDraft = %+v, %v", d, err)
				}
				return
			}
			var ce *platform.ConflictError
			if !errors.As(err, &ce) || ce.Gone || !slices.Equal(ce.Fields, tt.fields) || ce.From != start {
				t.Fatalf("SaveDraft err = %#v", err)
			}
			if tt.fromRev != (ce.To == latest) {
				t.Errorf("conflict revisions %d→%d", ce.From, ce.To)
			}
			if e.branch(id, b).DraftRevision != latest {
				t.Fatal("a refused save changed the draft")
			}
		})
	}
}

func TestSaveDraftRefusals(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, _ := e.agent("refusals")
	formOn := func(name string) (string, platform.Editable) {
		b := e.fork(id, mainID, name, nil)
		e.edit(id, b, map[string]any{"firstMessage": "one"})
		e.edit(id, b, map[string]any{"firstMessage": "two"})
		f, err := e.a.EditForm(ctx, id, b)
		if err != nil {
			t.Fatal(err)
		}
		return b, f
	}
	save := func(b string, f platform.Editable) error {
		_, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, DraftID: b, Basis: f.Basis,
			Changes: map[string]string{platform.FieldFirstMessage: "three"}})
		return err
	}

	t.Run("draft published since: gone", func(t *testing.T) {
		b, f := formOn("published")
		if _, err := e.sim.DashboardPublish(id, b, nil, "Mei"); err != nil {
			t.Fatal(err)
		}
		var ce *platform.ConflictError
		if err := save(b, f); !errors.As(err, &ce) || !ce.Gone {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("archived branch: refused", func(t *testing.T) {
		b, f := formOn("archived")
		if err := e.sim.DashboardArchive(id, b, "Mei"); err != nil {
			t.Fatal(err)
		}
		isKind(t, save(b, f), platform.ErrRefused)
	})
	t.Run("scanning branch: busy", func(t *testing.T) {
		b, f := formOn("scanning")
		if _, err := e.c.PublishBranchDraft(ctx, id, b, ""); err != nil {
			t.Fatal(err)
		}
		isKind(t, save(b, f), platform.ErrBusy)
	})
	t.Run("frozen", func(t *testing.T) {
		b, f := formOn("frozen")
		e.sim.SetFrozen(true)
		defer e.sim.SetFrozen(false)
		isKind(t, save(b, f), platform.ErrFrozen)
	})
}

// TestSaveDraftBranchWithoutDraft: a form read from a branch's head (no
// draft open) saves without an expected revision, opening the draft there.
func TestSaveDraftBranchWithoutDraft(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, mainID, _ := e.agent("nodraft")
	b := e.fork(id, mainID, "feature", map[string]any{"firstMessage": "Feature hello"})
	form, err := e.a.EditForm(ctx, id, b)
	if err != nil || form.Draft.Open {
		t.Fatalf("EditForm = %+v, %v", form, err)
	}
	e.sim.ResetCalls()
	d, err := e.a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, DraftID: b, Basis: form.Basis,
		Changes: map[string]string{platform.FieldPrompt: "Feature prompt"}})
	if err != nil || d.Revision != 1 || d.Name != "feature" {
		t.Fatalf("SaveDraft = %+v, %v", d, err)
	}
	if bodies := e.putBodies(); len(bodies) != 1 || strings.Contains(bodies[0], "expectedRevision") {
		t.Fatalf("PUT bodies %v", bodies)
	}
	cfg := e.config(id, b+":draft")
	if cfg["firstMessage"] != "Feature hello" || prompt(cfg) != "Feature prompt" || len(toolNames(cfg)) != 2 {
		t.Fatalf("draft config %v", cfg)
	}
}
