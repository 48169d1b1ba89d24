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

// TestSeedDemoBranchModel: the same agents, configs and history as v1, in
// the branch model's shape.
func TestSeedDemoBranchModel(t *testing.T) {
	v1 := newEnv(t, Options{})
	v1Agents, err := v1.sim.SeedDemo()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, Options{BranchModel: true})
	agents, err := e.sim.SeedDemo()
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != len(v1Agents) {
		t.Fatalf("%d agents, v1 has %d", len(agents), len(v1Agents))
	}
	for i, a := range agents {
		want := v1Agents[i]
		t.Run(a.Name, func(t *testing.T) {
			if a.Name != want.Name || len(a.Versions) != len(want.Versions) || len(a.Drafts) != 0 {
				t.Fatalf("agent %+v", a)
			}
			// Main is live; its revisions are the versions; its head is v1's active version.
			activeV1, _ := v1.sim.Config(want.ID, want.ActiveVersionID)
			bs := e.branches(a.ID)
			main := bs[0]
			head, _ := e.sim.Config(a.ID, main.head())
			if !main.IsLive || main.Branch.Name != "Main" || main.RevisionsCount != len(want.Versions) ||
				countChanges(diffConfigs(sectionNames(), activeV1, head)) != 0 || e.activeOf(a.ID) != main.head() {
				t.Fatalf("Main %+v", main)
			}
			for j, v := range a.Versions {
				if v.RevisionNumber != j+1 || v.Number != j+1 || v.Label != want.Versions[j].Label || v.CheckStatus != "passed" {
					t.Fatalf("revision %d: %+v", j+1, v)
				}
			}
			// The v1 draft is a feature branch of the same name, forked from
			// Main's head, with the same edits open.
			if len(bs) != 2 || bs[1].Branch.Name != want.Drafts[0].Name || deref(bs[1].Branch.SourceRevisionID) != main.head() ||
				!bs[1].HasOpenDraft || bs[1].head() != "" {
				t.Fatalf("feature branch %+v", bs)
			}
			detail := e.must(200, "GET", bpath(a.ID, bs[1].Branch.ID, "/draft"), nil).obj(t)
			if detail["editCount"] != float64(want.Drafts[0].Revision) {
				t.Fatalf("feature draft: %v edits, v1 draft has %d", detail["editCount"], want.Drafts[0].Revision)
			}
			var diff liveDiff
			e.must(200, "GET", "/agent/"+a.ID+"/diff?a="+main.head()+"&b="+bs[1].Branch.ID+":draft", nil).data(t, &diff)
			if len(diff.Diffs) == 0 {
				t.Error("the feature draft has no pending change")
			}
			if (a.Name == "support-concierge") != main.HasOpenDraft {
				t.Errorf("open draft on Main: %v", main.HasOpenDraft)
			}
		})
	}
	if again, err := e.sim.SeedDemo(); err != nil || len(again) != len(agents) || len(e.sim.Agents()) != len(agents) {
		t.Fatalf("seeding twice: %v", err)
	}
}
