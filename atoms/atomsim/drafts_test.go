package atomsim

import (
	"reflect"
	"strings"
	"testing"
)

func TestDraftConfigMerge(t *testing.T) {
	tools := []any{
		map[string]any{"type": "end_call", "name": "end_call", "description": "End"},
		map[string]any{"type": "transfer_call", "name": "human", "description": "Human", "transferNumber": "+14155550142"},
	}
	tests := []struct {
		name     string
		patches  []map[string]any
		check    func(t *testing.T, cfg map[string]any)
		sections []string // changedSections of the last edit
	}{
		{
			name:    "objects are deep-merged",
			patches: []map[string]any{{"synthesizer": map[string]any{"speed": 1.5}}},
			check: func(t *testing.T, cfg map[string]any) {
				syn := cfg["synthesizer"].(map[string]any)
				if syn["speed"] != 1.5 || syn["voiceConfig"].(map[string]any)["voiceId"] != "nyah" || syn["sampleRate"] != 16000.0 {
					t.Errorf("synthesizer %v", syn)
				}
			},
			sections: []string{"voice"},
		},
		{
			name: "arrays are replaced wholesale",
			patches: []map[string]any{
				{"singlePromptConfig": map[string]any{"prompt": "p", "tools": tools}},
				{"singlePromptConfig": map[string]any{"tools": tools[:1]}},
			},
			check: func(t *testing.T, cfg map[string]any) {
				spc := cfg["singlePromptConfig"].(map[string]any)
				if !reflect.DeepEqual(spc["tools"], tools[:1]) {
					t.Errorf("tools %v", spc["tools"])
				}
				if spc["prompt"] != "p" {
					t.Errorf("tools-only patch touched the prompt: %v", spc["prompt"])
				}
			},
			sections: []string{"workflow_tools"},
		},
		{
			name:    "nested arrays are replaced too",
			patches: []map[string]any{{"language": map[string]any{"supported": []any{"en", "hi"}, "switching": map[string]any{}}}},
			check: func(t *testing.T, cfg map[string]any) {
				lang := cfg["language"].(map[string]any)
				if !reflect.DeepEqual(lang["supported"], []any{"en", "hi"}) || lang["default"] != "en" ||
					lang["switching"].(map[string]any)["minWordsForDetection"] != 2.0 {
					t.Errorf("language %v", lang)
				}
			},
			sections: []string{"language"},
		},
		{
			name:    "prompt and first message touch two sections",
			patches: []map[string]any{{"singlePromptConfig": map[string]any{"prompt": "new"}, "firstMessage": "hi", "name": "ignored"}},
			check: func(t *testing.T, cfg map[string]any) {
				if cfg["firstMessage"] != "hi" || cfg["singlePromptConfig"].(map[string]any)["prompt"] != "new" {
					t.Errorf("cfg %v", cfg)
				}
				if _, ok := cfg["name"]; ok {
					t.Error("a non-config field was stored")
				}
			},
			sections: []string{"workflow_prompt", "call_handling"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			agentID := e.createAgent(map[string]any{"name": "merge"})
			draftID := e.fork(agentID)
			path := "/agent/" + agentID + "/drafts/" + draftID
			before := e.must(200, "GET", path, nil).obj(t)["latest"].(map[string]any)
			var last map[string]any
			for _, p := range tt.patches {
				last = e.must(200, "PATCH", path+"/config", p).obj(t)
			}
			if last["draftRevision"] != float64(len(tt.patches)) {
				t.Errorf("draftRevision %v after %d patches", last["draftRevision"], len(tt.patches))
			}
			if last["_id"] == before["_id"] {
				t.Error("the revision record id did not change")
			}
			cfg, ok := e.sim.Config(agentID, draftID)
			if !ok {
				t.Fatal("no config")
			}
			tt.check(t, cfg)
			hist := e.must(200, "GET", path+"?limit=1", nil).obj(t)
			entries := hist["editHistory"].([]any)
			if len(entries) != 1 || hist["editCount"] != float64(len(tt.patches)) {
				t.Fatalf("history %v", hist)
			}
			newest := entries[0].(map[string]any)
			if got := toStrings(newest["changedSections"]); !reflect.DeepEqual(got, tt.sections) {
				t.Errorf("changedSections %v, want %v", got, tt.sections)
			}
			// Only the touched sections get new block ids.
			oldBlocks, newBlocks := before["blocks"].(map[string]any), last["blocks"].(map[string]any)
			for sec, id := range newBlocks {
				touched := false
				for _, p := range tt.patches {
					for _, s := range touchedSections(p) {
						touched = touched || s == sec
					}
				}
				if rotated := id != oldBlocks[sec]; rotated != touched {
					t.Errorf("block %s rotated=%v, touched=%v", sec, rotated, touched)
				}
			}
		})
	}
}

func TestDraftConfigRejections(t *testing.T) {
	tests := []struct {
		name   string
		body   any
		status int
		text   string
	}{
		{"empty body", map[string]any{}, 400, "No recognized config fields in request body"},
		{"only name", map[string]any{"name": "x"}, 400, "No recognized config fields in request body"},
		{"section name at top level", map[string]any{"call_handling": map[string]any{"firstMessage": "x"}}, 400, "No recognized config fields in request body"},
		{"firstMessage over 500", map[string]any{"firstMessage": strings.Repeat("a", 501)}, 400, "firstMessage"},
		{"globalPrompt over 4000", map[string]any{"globalPrompt": strings.Repeat("é", 4001)}, 400, "globalPrompt"},
		{"null optional", map[string]any{"smartTurnConfig": map[string]any{"isEnabled": nil}}, 400, "received null"},
		{"language without switching", map[string]any{"language": map[string]any{"default": "hi"}}, 400, "Invalid Input: Required"},
		{"tool name with spaces", map[string]any{"singlePromptConfig": map[string]any{"tools": []any{map[string]any{"type": "end_call", "name": "end call", "description": "x"}}}}, 400, "tools[0].name"},
		{"gated model", map[string]any{"slmModel": "gpt-5.2"}, 403, "not available"},
		{"not JSON", "{", 400, "Invalid JSON"},
		{"not an object", []any{1}, 400, "Expected object"},
	}
	e := newEnv(t, Options{})
	agentID := e.createAgent(map[string]any{"name": "reject"})
	draftID := e.fork(agentID)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.must(tt.status, "PATCH", "/agent/"+agentID+"/drafts/"+draftID+"/config", tt.body)
			if !strings.Contains(r.errText(), tt.text) || r.env.Status {
				t.Fatalf("errors %q, want %q", r.errText(), tt.text)
			}
		})
	}
	// Exactly at the limits is fine, and nothing above changed the draft.
	e.must(200, "PATCH", "/agent/"+agentID+"/drafts/"+draftID+"/config", map[string]any{
		"firstMessage": strings.Repeat("a", 500), "globalPrompt": strings.Repeat("é", 4000),
	})
	d, _ := e.sim.Agent(agentID)
	if d.Drafts[0].Revision != 1 {
		t.Fatalf("revision %d after one accepted patch", d.Drafts[0].Revision)
	}
}

func TestDraftManagement(t *testing.T) {
	e := newEnv(t, Options{})
	agentID := e.createAgent(map[string]any{"name": "drafts"})
	v1 := e.activeVersion(agentID)
	base := "/agent/" + agentID + "/drafts"

	a := e.must(201, "POST", base, map[string]any{"sourceVersionId": v1, "draftName": "alpha"}, "X-Atomsim-User: alice").obj(t)
	b := e.must(201, "POST", base, map[string]any{"sourceDraftId": a["draftId"]}).obj(t)
	if b["sourceDraftId"] != a["draftId"] || b["sourceVersionId"] != v1 || b["draftName"] != "Copy of alpha" {
		t.Fatalf("fork from draft: %v", b)
	}
	e.must(200, "PATCH", base+"/"+str(b["draftId"])+"/config", map[string]any{"firstMessage": "x"}, "X-Atomsim-User: bob")

	var list []map[string]any
	e.must(200, "GET", base, nil).data(t, &list)
	if len(list) != 2 || list[0]["lastEditorName"] != "alice" || list[1]["lastEditorName"] != "bob" {
		t.Fatalf("list: %v", list)
	}

	var renamed map[string]string
	e.must(200, "PATCH", base+"/"+str(a["draftId"]), map[string]any{"draftName": "beta"}).data(t, &renamed)
	if renamed["draftName"] != "beta" {
		t.Fatalf("rename: %v", renamed)
	}
	e.must(400, "PATCH", base+"/"+str(a["draftId"]), map[string]any{})

	r := e.must(200, "DELETE", base+"/"+str(a["draftId"]), nil)
	if string(r.env.Data) != "null" {
		t.Fatalf("discard data %s", r.env.Data)
	}
	r = e.must(404, "GET", base+"/"+str(a["draftId"]), nil)
	if r.errText() != "Draft not found" {
		t.Fatalf("discarded draft: %s", r.raw)
	}
	e.must(404, "DELETE", base+"/"+str(a["draftId"]), nil)

	tests := []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"bad version id", map[string]any{"sourceVersionId": "v1"}, 400},
		{"unknown version", map[string]any{"sourceVersionId": "0123456789abcdef01234567"}, 404},
		{"unknown draft", map[string]any{"sourceDraftId": "nope"}, 404},
		{"draft name too long", map[string]any{"sourceVersionId": v1, "draftName": strings.Repeat("n", 101)}, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.must(tt.status, "POST", base, tt.body)
		})
	}
}
