package atomsim

import (
	"reflect"
	"testing"
)

// diffFixture creates an agent and a draft with a spread of edits, and
// returns the agent id, the source version and the draft id.
func diffFixture(t *testing.T, e *env) (string, string, string) {
	t.Helper()
	agentID := e.createAgent(map[string]any{
		"name": "differ",
		"singlePromptConfig": map[string]any{"prompt": "old prompt", "tools": []any{
			map[string]any{"type": "end_call", "name": "end_call", "description": "End"},
		}},
		"pronunciationDicts": []any{map[string]any{"word": "Atoms", "pronunciation": "at-ums"}},
	})
	v1 := e.activeVersion(agentID)
	draftID := e.fork(agentID)
	path := "/agent/" + agentID + "/drafts/" + draftID + "/config"
	for _, p := range []map[string]any{
		{"singlePromptConfig": map[string]any{"prompt": "new prompt", "tools": []any{
			map[string]any{"type": "end_call", "name": "end_call", "description": "End"},
			map[string]any{"type": "transfer_call", "name": "human", "description": "Human", "transferNumber": "+14155550142"},
		}}},
		{"synthesizer": map[string]any{"sampleRate": 24000, "voiceConfig": map[string]any{"voiceId": "emily"}}},
		{"smartTurnConfig": map[string]any{"isEnabled": true}},
		{"pronunciationDicts": []any{map[string]any{"word": "Atoms", "pronunciation": "a-toms"}}},
		// Default values: no diff entries.
		{"denoisingConfig": map[string]any{"isEnabled": false}, "redactionConfig": map[string]any{"isEnabled": true}},
		{"language": map[string]any{"default": "en", "switching": map[string]any{"isEnabled": false}}},
	} {
		e.must(200, "PATCH", path, p)
	}
	return agentID, v1, draftID
}

func TestDraftDiffLiveShape(t *testing.T) {
	e := newEnv(t, Options{})
	agentID, v1, draftID := diffFixture(t, e)
	type change struct {
		Path     string `json:"path"`
		OldValue any    `json:"oldValue"`
		NewValue any    `json:"newValue"`
	}
	var got struct {
		UnchangedSections []string `json:"unchangedSections"`
		Diffs             []struct {
			Section string   `json:"section"`
			Changes []change `json:"changes"`
		} `json:"diffs"`
	}
	for _, q := range []string{"", "?compareTo=" + v1, "?versionId=" + v1} {
		t.Run("query="+q, func(t *testing.T) {
			r := e.must(200, "GET", "/agent/"+agentID+"/drafts/"+draftID+"/diff"+q, nil)
			r.data(t, &got)
			paths := map[string][]string{}
			for _, d := range got.Diffs {
				for _, c := range d.Changes {
					paths[d.Section] = append(paths[d.Section], c.Path)
				}
			}
			want := map[string][]string{
				"workflow_prompt": {"prompt"},
				"workflow_tools":  {"tools[1]"},
				"voice":           {"pronunciationDicts[0].pronunciation", "synthesizer.voiceConfig.voiceId", "synthesizerSampleRate"},
				"detection":       {"smartTurnConfig.isEnabled"},
			}
			if !reflect.DeepEqual(paths, want) {
				t.Errorf("paths %v\nwant  %v", paths, want)
			}
			wantUnchanged := []string{"workflow_graph", "llm", "language", "call_handling", "analytics", "timeouts", "audio", "privacy", "widget"}
			if !reflect.DeepEqual(got.UnchangedSections, wantUnchanged) {
				t.Errorf("unchanged %v", got.UnchangedSections)
			}
			golden(t, "draft_diff_live.json", r.env.Data)
		})
	}
	for _, d := range got.Diffs {
		for _, c := range d.Changes {
			if c.Path == "synthesizerSampleRate" && (c.OldValue != 16000.0 || c.NewValue != 24000.0) {
				t.Errorf("sample rate change %v", c)
			}
			if c.Path == "tools[1]" && (c.OldValue != nil || c.NewValue.(map[string]any)["name"] != "human") {
				t.Errorf("tool change %v", c)
			}
		}
	}
}

func TestDraftDiffSpecShape(t *testing.T) {
	e := newEnv(t, Options{SpecDiffShape: true})
	agentID, _, draftID := diffFixture(t, e)
	r := e.must(200, "GET", "/agent/"+agentID+"/drafts/"+draftID+"/diff", nil)
	var got struct {
		Sections map[string]struct {
			Before  map[string]any `json:"before"`
			After   map[string]any `json:"after"`
			Changed bool           `json:"changed"`
		} `json:"sections"`
		HasChanges bool `json:"hasChanges"`
	}
	r.data(t, &got)
	if !got.HasChanges || len(got.Sections) != 13 {
		t.Fatalf("hasChanges %v, %d sections", got.HasChanges, len(got.Sections))
	}
	for sec, want := range map[string]bool{"workflow_prompt": true, "voice": true, "detection": true, "privacy": false, "audio": false, "language": false} {
		if got.Sections[sec].Changed != want {
			t.Errorf("%s changed=%v", sec, got.Sections[sec].Changed)
		}
	}
	if got.Sections["workflow_prompt"].Before["prompt"] != "old prompt" || got.Sections["workflow_prompt"].After["prompt"] != "new prompt" {
		t.Errorf("workflow_prompt %v", got.Sections["workflow_prompt"])
	}
	golden(t, "draft_diff_spec.json", r.env.Data)

	// The switch works at run time too, and an unchanged draft has no changes.
	e.sim.SetSpecDiffShape(false)
	fresh := e.fork(agentID)
	var live struct {
		Diffs []any `json:"diffs"`
	}
	e.must(200, "GET", "/agent/"+agentID+"/drafts/"+fresh+"/diff", nil).data(t, &live)
	if live.Diffs == nil || len(live.Diffs) != 0 {
		t.Errorf("fresh draft diff %v", live.Diffs)
	}
}

func TestVersionsDiff(t *testing.T) {
	e := newEnv(t, Options{CheckDelay: -1})
	agentID, v1, draftID := diffFixture(t, e)
	latest := e.must(200, "GET", "/agent/"+agentID+"/drafts/"+draftID, nil).obj(t)["latest"].(map[string]any)
	// Before publishing, the draft's latest revision record stands in.
	var pre struct {
		Diffs []any `json:"diffs"`
	}
	e.must(200, "GET", "/agent/"+agentID+"/versions/diff?versionA="+v1+"&versionB="+str(latest["_id"]), nil).data(t, &pre)
	if len(pre.Diffs) != 4 {
		t.Fatalf("draft-record diff: %v", pre.Diffs)
	}
	v2 := str(e.must(201, "POST", "/agent/"+agentID+"/drafts/"+draftID+"/publish", nil).obj(t)["_id"])

	tests := []struct {
		name, query string
		status      int
		sections    int
	}{
		{"versionA/versionB", "versionA=" + v1 + "&versionB=" + v2, 200, 4},
		{"baseId/compareId", "baseId=" + v1 + "&compareId=" + v2, 200, 4},
		{"same version", "versionA=" + v2 + "&versionB=" + v2, 200, 0},
		{"missing side", "versionA=" + v1, 400, 0},
		{"bad id", "versionA=" + v1 + "&versionB=zz", 400, 0},
		{"unknown id", "versionA=" + v1 + "&versionB=0123456789abcdef01234567", 404, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.must(tt.status, "GET", "/agent/"+agentID+"/versions/diff?"+tt.query, nil)
			if tt.status != 200 {
				return
			}
			var d struct {
				Diffs []any `json:"diffs"`
			}
			r.data(t, &d)
			if len(d.Diffs) != tt.sections {
				t.Errorf("%d changed sections, want %d", len(d.Diffs), tt.sections)
			}
		})
	}
}
