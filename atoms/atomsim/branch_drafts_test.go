package atomsim

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestBranchDraftEdits(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	b := e.newBranch(agentID, main.Branch.ID, "edits")
	const greeting = "Hi from the draft"

	row := e.must(200, "PUT", bpath(agentID, b, "/draft"), map[string]any{"firstMessage": greeting}, "X-Atomsim-User: maria")
	d := row.obj(t)
	draftID := str(d["draftId"])
	if d["status"] != "draft" || d["draftRevision"] != 1.0 || d["branch"] != b || draftID == "" || isObjectID(draftID) ||
		d["sourceVersionId"] != main.head() || d["securityCheck"] != nil || d["pendingPublish"] != nil || d["revisionNumber"] != nil {
		t.Fatalf("draft row: %v", d)
	}
	if strings.Contains(string(row.raw), greeting) {
		t.Fatal("the edit was echoed")
	}
	blocks1 := d["blocks"].(map[string]any)

	d2 := e.edit(agentID, b, map[string]any{"singlePromptConfig": map[string]any{"prompt": "P"}, "synthesizer": map[string]any{"speed": 1.3}})
	blocks2 := d2["blocks"].(map[string]any)
	if d2["draftRevision"] != 2.0 || d2["_id"] == d["_id"] || d2["draftId"] != draftID ||
		blocks2["call_handling"] != blocks1["call_handling"] || blocks2["voice"] == blocks1["voice"] ||
		blocks2["workflow_prompt"] == blocks1["workflow_prompt"] {
		t.Fatalf("second edit: %v", d2)
	}

	sum := e.branch(agentID, b)
	if !sum.HasOpenDraft || deref(sum.Branch.OpenDraftID) != draftID || sum.head() != "" {
		t.Fatalf("summary %+v", sum)
	}
	detail := e.must(200, "GET", bpath(agentID, b, "/draft"), nil).obj(t)
	hist := detail["editHistory"].([]any)
	if detail["editCount"] != 2.0 || len(hist) != 2 || detail["latest"].(map[string]any)["_id"] != d2["_id"] {
		t.Fatalf("draft detail: %v", detail)
	}
	first := hist[0].(map[string]any)
	if first["revision"].(map[string]any)["draftRevision"] != 1.0 || first["revision"].(map[string]any)["_id"] != d["_id"] ||
		first["editorName"] != "maria" || !slices.Equal(toStrings(first["changedSections"]), []string{"call_handling"}) {
		t.Fatalf("first edit: %v", first)
	}
	if got := toStrings(hist[1].(map[string]any)["changedSections"]); !slices.Equal(got, []string{"workflow_prompt", "voice"}) {
		t.Fatalf("second edit sections %v", got)
	}

	// The values: through ?draftId= (the openDraftId) and Config.
	ag := e.must(200, "GET", "/agent/"+agentID+"?draftId="+draftID, nil).obj(t)
	rc := ag["_resolvedConfig"].(map[string]any)
	synth := rc["synthesizer"].(map[string]any)
	if rc["firstMessage"] != greeting || rc["prompt"] != "P" || synth["speed"] != 1.3 || synth["voiceConfig"] == nil ||
		ag["_configSource"] != "draft" {
		t.Fatalf("?draftId=: %v", rc)
	}
	if cfg, ok := e.sim.Config(agentID, b+":draft"); !ok || cfg["firstMessage"] != greeting {
		t.Fatalf("Config by ref: %v", cfg)
	}
	// Arrays are replaced whole.
	e.edit(agentID, b, map[string]any{"pronunciationDicts": []any{map[string]any{"word": "a", "pronunciation": "b"}}})
	e.edit(agentID, b, map[string]any{"pronunciationDicts": []any{map[string]any{"word": "c", "pronunciation": "d"}}})
	cfg, _ := e.sim.Config(agentID, draftID)
	if got := cfg["pronunciationDicts"].([]any); len(got) != 1 || got[0].(map[string]any)["word"] != "c" {
		t.Fatalf("array merged: %v", got)
	}
	// playbooks is a branch-model section.
	if r := e.edit(agentID, b, map[string]any{"playbooks": []any{"pb1"}}); r["blocks"].(map[string]any)["playbooks"] == nil {
		t.Fatalf("playbooks block not rotated: %v", r["blocks"])
	}
}

func TestBranchDraftRejections(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	const noFields = "No recognized config fields in request body"
	tests := []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"empty body", nil, 400, noFields},
		{"only unknown fields", map[string]any{"name": "x"}, 400, noFields},
		{"section names", map[string]any{"workflow_prompt": map[string]any{"prompt": "x"}, "call_handling": map[string]any{}}, 400, noFields},
		{"only expectedRevision", map[string]any{"expectedRevision": 0}, 400, noFields},
		{"null value", map[string]any{"firstMessage": nil}, 400, "Invalid Input: firstMessage: Expected value, received null"},
		{"language without switching", map[string]any{"language": map[string]any{"default": "en"}}, 400, "Invalid Input: Required"},
		{"expectedRevision not a number", map[string]any{"firstMessage": "x", "expectedRevision": "1"}, 400, ""},
		{"negative expectedRevision", map[string]any{"firstMessage": "x", "expectedRevision": -1}, 400, ""},
		{"fractional expectedRevision", map[string]any{"firstMessage": "x", "expectedRevision": 0.5}, 400, ""},
		{"not JSON", "{", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, e.do("PUT", bpath(agentID, main, "/draft"), tt.body), tt.status, "", tt.msg)
		})
	}
	if e.mainBranch(agentID).HasOpenDraft {
		t.Fatal("a refused edit opened a draft")
	}
}

func TestDraftConflicts(t *testing.T) {
	for _, rich := range []bool{false, true} {
		name := "lean"
		if rich {
			name = "rich"
		}
		t.Run(name, func(t *testing.T) {
			e, agentID := newV2(t, Options{RichConflicts: rich})
			main := e.mainBranch(agentID).Branch.ID
			put := func(body map[string]any) reply { return e.do("PUT", bpath(agentID, main, "/draft"), body) }
			tools := []any{map[string]any{"type": "end_call", "name": "bye", "description": "End."}}

			// expectedRevision 0 with no draft open is fine; 1 is not a revision it ever had.
			wantErr(t, put(map[string]any{"expectedRevision": 1, "firstMessage": "x"}), 409, "", "base_revision_unavailable")
			e.must(200, "PUT", bpath(agentID, main, "/draft"), map[string]any{"expectedRevision": 0, "firstMessage": "A"}) // rev 1
			e.must(200, "PUT", bpath(agentID, main, "/draft"), map[string]any{
				"expectedRevision": 1, "globalPrompt": "B", "synthesizer": map[string]any{"speed": 1.4},
				"singlePromptConfig": map[string]any{"tools": tools},
			}) // rev 2

			tests := []struct {
				name  string
				body  map[string]any
				paths []string // nil: accepted
			}{
				{"same leaf", map[string]any{"expectedRevision": 1, "globalPrompt": "C"}, []string{"workflow_prompt.globalPrompt"}},
				{"sibling leaf", map[string]any{"expectedRevision": 1, "synthesizer": map[string]any{"voiceConfig": map[string]any{"voiceId": "emily"}}}, nil},
				{"nested same leaf", map[string]any{"expectedRevision": 1, "synthesizer": map[string]any{"speed": 1.1, "consistency": 0.2}}, []string{"voice.synthesizer.speed"}},
				{"array leaf", map[string]any{"expectedRevision": 1, "singlePromptConfig": map[string]any{"tools": []any{}}}, []string{"workflow_tools.tools"}},
				{"prompt beside tools", map[string]any{"expectedRevision": 1, "singlePromptConfig": map[string]any{"prompt": "P"}}, nil},
				{"edit made before the base", map[string]any{"expectedRevision": 2, "firstMessage": "D"}, nil},
				{"several", map[string]any{"expectedRevision": 1, "globalPrompt": "E", "firstMessage": "E", "synthesizer": map[string]any{"speed": 1.0}},
					[]string{"voice.synthesizer.speed", "workflow_prompt.globalPrompt", "call_handling.firstMessage"}},
				{"ahead of the draft", map[string]any{"expectedRevision": 99, "firstMessage": "F"}, []string{"base_revision_unavailable"}},
				{"no expectedRevision: last write wins", map[string]any{"globalPrompt": "G"}, nil},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := put(tt.body)
					if tt.paths == nil {
						if r.status != 200 {
							t.Fatalf("refused: %s", r.raw)
						}
						return
					}
					if r.status != 409 || r.env.ErrorType != "" || !sameSet(r.env.Errors, tt.paths) {
						t.Fatalf("got %d %s, want 409 %v", r.status, r.raw, tt.paths)
					}
					var data struct {
						Conflict *struct {
							ExpectedRevision int           `json:"expectedRevision"`
							LatestRevision   int           `json:"latestRevision"`
							Diffs            []sectionDiff `json:"diffs"`
						} `json:"conflict"`
					}
					if len(r.env.Data) > 0 {
						r.data(t, &data)
					}
					if tt.paths[0] == "base_revision_unavailable" || !rich {
						if data.Conflict != nil {
							t.Fatalf("unexpected data.conflict: %s", r.raw)
						}
						return
					}
					c := data.Conflict
					if c == nil || c.ExpectedRevision != 1 || c.LatestRevision < 2 || len(c.Diffs) == 0 {
						t.Fatalf("rich conflict: %s", r.raw)
					}
					for _, d := range c.Diffs {
						for _, ch := range d.Changes {
							if !slices.ContainsFunc(tt.paths, func(p string) bool { return overlaps(d.Section+"."+ch.Path, p) }) {
								t.Errorf("diff %s.%s is not a conflicting leaf", d.Section, ch.Path)
							}
						}
					}
				})
			}
			if rich {
				// The rich diff says how the leaf moved since the base.
				r := put(map[string]any{"expectedRevision": 0, "firstMessage": "H"})
				var data struct {
					Conflict struct {
						Diffs []sectionDiff `json:"diffs"`
					} `json:"conflict"`
				}
				r.data(t, &data)
				want := []sectionDiff{{Section: "call_handling", Changes: []change{{Path: "firstMessage", Old: "Hello", New: "D"}}}}
				if !reflect.DeepEqual(data.Conflict.Diffs, want) {
					t.Fatalf("rich diffs %+v", data.Conflict.Diffs)
				}
			}
		})
	}
}

func sameSet(got, want []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want)))
}

func TestConflictShapeSetter(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	e.edit(agentID, main, map[string]any{"firstMessage": "A"})
	e.edit(agentID, main, map[string]any{"firstMessage": "B"})
	body := map[string]any{"expectedRevision": 1, "firstMessage": "C"}
	if r := e.must(409, "PUT", bpath(agentID, main, "/draft"), body); strings.Contains(string(r.raw), "conflict") {
		t.Fatalf("lean by default: %s", r.raw)
	}
	e.sim.SetConflictShape(true)
	if r := e.must(409, "PUT", bpath(agentID, main, "/draft"), body); !strings.Contains(string(r.raw), `"conflict"`) {
		t.Fatalf("rich: %s", r.raw)
	}
}

func TestDeleteBranchDraft(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	path := bpath(agentID, main.Branch.ID, "/draft")
	wantErr(t, e.do("DELETE", path, nil), 404, "", "No open draft on this branch")
	e.edit(agentID, main.Branch.ID, map[string]any{"firstMessage": "x"})
	if r := e.must(200, "DELETE", path, nil); string(r.env.Data) != `{"discarded":true}` {
		t.Fatalf("discard: %s", r.raw)
	}
	wantErr(t, e.do("GET", path, nil), 404, "", "No open draft on this branch")
	if got := e.mainBranch(agentID); got.HasOpenDraft || got.head() != main.head() {
		t.Fatalf("after discard: %+v", got)
	}
	// A new draft starts over at revision 1.
	if d := e.edit(agentID, main.Branch.ID, map[string]any{"firstMessage": "y"}); d["draftRevision"] != 1.0 {
		t.Fatalf("reopened draft: %v", d)
	}
}

func TestDraftWhileScanning(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID).Branch.ID
	e.edit(agentID, main, map[string]any{"firstMessage": "x"})
	e.must(202, "POST", bpath(agentID, main, "/draft/publish"), nil)
	for _, method := range []string{"PUT", "DELETE"} {
		t.Run(method, func(t *testing.T) {
			wantErr(t, e.do(method, bpath(agentID, main, "/draft"), map[string]any{"firstMessage": "y"}), 409, errTypeInProgress, "")
		})
	}
}

func TestDraftOnBranchWithoutHead(t *testing.T) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	b := e.newBranch(agentID, main.Branch.ID, "fresh")
	if d := e.edit(agentID, b, map[string]any{"firstMessage": "x"}); d["sourceVersionId"] != main.head() {
		t.Fatalf("draft base %v, want the fork's source %s", d["sourceVersionId"], main.head())
	}
	cfg, _ := e.sim.Config(agentID, b+":draft")
	if cfg["firstMessage"] != "x" || cfg["slmModel"] != "electron" {
		t.Fatalf("draft config %v", cfg)
	}
}
