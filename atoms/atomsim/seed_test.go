package atomsim

import (
	"strings"
	"testing"
)

func TestSeedDemo(t *testing.T) {
	e := newEnv(t, Options{})
	agents, err := e.sim.SeedDemo()
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) < 3 {
		t.Fatalf("%d demo agents", len(agents))
	}
	names := map[string]bool{}
	olderActive, graph := false, false
	for _, a := range agents {
		t.Run(a.Name, func(t *testing.T) {
			if names[a.Name] || strings.TrimSpace(a.Name) == "" {
				t.Fatalf("name %q not unique", a.Name)
			}
			names[a.Name] = true
			if n := len(a.Versions); n < 2 || n > 4 {
				t.Errorf("%d versions", n)
			}
			publishers := map[string]bool{}
			active := 0
			for _, v := range a.Versions {
				publishers[v.PublishedBy] = true
				if v.CheckStatus != "passed" {
					t.Errorf("v%d check %s", v.Number, v.CheckStatus)
				}
				if v.Active {
					active++
					olderActive = olderActive || v.Number < len(a.Versions)
				}
			}
			if active != 1 {
				t.Errorf("%d active versions", active)
			}
			if len(a.Drafts) != 1 || a.Drafts[0].Revision == 0 {
				t.Fatalf("drafts %+v", a.Drafts)
			}
			// The draft has pending edits: its diff against its source is not empty.
			var diff struct {
				Diffs []any `json:"diffs"`
			}
			e.must(200, "GET", "/agent/"+a.ID+"/drafts/"+a.Drafts[0].DraftID+"/diff", nil).data(t, &diff)
			if len(diff.Diffs) == 0 {
				t.Error("the open draft has no pending change")
			}
			rc := e.must(200, "GET", "/agent/"+a.ID, nil).obj(t)["_resolvedConfig"].(map[string]any)
			if a.WorkflowType == "workflow_graph" {
				graph = true
				if len(str(rc["globalPrompt"])) < 200 || rc["workflowGraph"] == nil {
					t.Errorf("graph agent: %v", rc["workflowGraph"])
				}
				return
			}
			if len(str(rc["prompt"])) < 300 || strings.Count(str(rc["prompt"]), "\n\n") < 2 {
				t.Errorf("prompt is not multi-paragraph")
			}
			types := map[string]bool{}
			for _, tool := range rc["tools"].([]any) {
				tm := tool.(map[string]any)
				types[str(tm["type"])] = true
				if tm["type"] == "transfer_call" && !e164Pattern.MatchString(str(tm["transferNumber"])) {
					t.Errorf("transfer number %v", tm["transferNumber"])
				}
			}
			if !types["end_call"] || !types["transfer_call"] && !types["api_call"] {
				t.Errorf("tool types %v", types)
			}
			if m := rc["postCallAnalyticsConfig"].(map[string]any)["dispositionMetrics"].([]any); len(m) == 0 {
				t.Error("no disposition metrics")
			}
		})
	}
	if !olderActive || !graph {
		t.Errorf("want an agent whose active version is not the newest (%v) and a workflow_graph agent (%v)", olderActive, graph)
	}
	again, err := e.sim.SeedDemo()
	if err != nil || len(again) != len(agents) || len(e.sim.Agents()) != len(agents) {
		t.Fatalf("seeding twice: %d agents, err %v", len(e.sim.Agents()), err)
	}
}
