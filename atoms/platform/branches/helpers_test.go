package branches

import (
	"context"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/adaptertest"
)

// testKey is the API key of the test client; no error may show it.
const testKey = "sk_test_branches_adapter_SECRET"

// checkDelay is the simulator's scan duration in these tests.
const checkDelay = adaptertest.CheckDelay

// env is an adapter on a client on a branch-model simulator whose time is
// a clock the test moves.
type env struct {
	t     *testing.T
	w     *adaptertest.World
	sim   *atomsim.Simulator
	clock *atomsim.Clock
	c     *atoms.Client
	a     *Adapter
}

func newEnv(t *testing.T, opts atomsim.Options) *env {
	t.Helper()
	opts.BranchModel = true
	w := adaptertest.NewWorld(t, opts, testKey, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	c := w.Client(t, testKey, 8)
	return &env{t: t, w: w, sim: w.Sim, clock: w.Clock, c: c, a: New(c, w.Clock.Now)}
}

var ctx = context.Background()

// Config pieces of the test agent.
var (
	toolEnd    = map[string]any{"type": "end_call", "name": "end_call", "description": "End the call."}
	toolLookup = map[string]any{
		"type": "api_call", "name": "lookup_order", "description": "Look up an order.",
		"url": "https://orders.example/v1/{{id}}", "method": "GET", "timeout": 5000,
	}
	metricResolved = map[string]any{"identifier": "resolved", "dispositionMetricPrompt": "Resolved?", "dispositionMetricType": "BOOLEAN"}
	metricTopic    = map[string]any{"identifier": "topic", "dispositionMetricPrompt": "Topic?", "dispositionMetricType": "STRING"}
)

// agent creates a single_prompt agent through the API: Main live with
// revision 1 holding a prompt, two tools and a disposition metric.
func (e *env) agent(name string) (agentID, mainID, rev1 string) {
	e.t.Helper()
	req := atoms.CreateAgentRequest{Name: name, Language: &atoms.Language{Default: "en"}}
	req.Config.FirstMessage = ptr("Hello from " + name)
	id, err := e.c.CreateAgent(ctx, req)
	if err != nil {
		e.t.Fatalf("CreateAgent: %v", err)
	}
	bs := e.branches(id)
	if len(bs) != 1 || !bs[0].Live {
		e.t.Fatalf("new agent's branches: %+v", bs)
	}
	mainID = bs[0].ID
	rev, err := e.sim.DashboardPublish(id, mainID, map[string]any{
		"singlePromptConfig":      map[string]any{"prompt": "You are the support agent.", "tools": []any{toolEnd, toolLookup}},
		"postCallAnalyticsConfig": map[string]any{"dispositionMetrics": []any{metricResolved}},
	}, "Asha")
	if err != nil {
		e.t.Fatalf("seed revision: %v", err)
	}
	e.clock.Advance(time.Minute) // past any read lag
	return id, mainID, rev
}

// branches is the simulator's own view (no read lag).
func (e *env) branches(agentID string) []atomsim.BranchInfo {
	e.t.Helper()
	bs, ok := e.sim.Branches(agentID)
	if !ok {
		e.t.Fatalf("no agent %s", agentID)
	}
	return bs
}

func (e *env) branch(agentID, id string) atomsim.BranchInfo {
	e.t.Helper()
	for _, b := range e.branches(agentID) {
		if b.ID == id {
			return b
		}
	}
	e.t.Fatalf("no branch %s", id)
	return atomsim.BranchInfo{}
}

func (e *env) branchNamed(agentID, name string) (atomsim.BranchInfo, bool) {
	for _, b := range e.branches(agentID) {
		if b.Name == name {
			return b, true
		}
	}
	return atomsim.BranchInfo{}, false
}

func (e *env) live(agentID string) atomsim.BranchInfo {
	e.t.Helper()
	for _, b := range e.branches(agentID) {
		if b.Live {
			return b
		}
	}
	e.t.Fatal("no live branch")
	return atomsim.BranchInfo{}
}

// fork makes a person's branch from Main with cfg published on it (nil:
// no commit of its own) and returns its id.
func (e *env) fork(agentID, mainID, name string, cfg map[string]any) string {
	e.t.Helper()
	id, err := e.sim.DashboardFork(agentID, mainID, name, "Ravi")
	if err != nil {
		e.t.Fatalf("fork %s: %v", name, err)
	}
	if cfg != nil {
		if _, err := e.sim.DashboardPublish(agentID, id, cfg, "Ravi"); err != nil {
			e.t.Fatalf("publish on %s: %v", name, err)
		}
		e.clock.Advance(time.Minute) // past any read lag
	}
	return id
}

// edit edits a branch's draft as a dashboard user.
func (e *env) edit(agentID, branchID string, cfg map[string]any) int {
	e.t.Helper()
	rev, err := e.sim.DashboardEditDraft(agentID, branchID, cfg, "Mei")
	if err != nil {
		e.t.Fatalf("edit: %v", err)
	}
	return rev
}

// config is a configuration as the simulator holds it.
func (e *env) config(agentID, ref string) map[string]any {
	e.t.Helper()
	cfg, ok := e.sim.Config(agentID, ref)
	if !ok {
		e.t.Fatalf("no config %s", ref)
	}
	return cfg
}

func prompt(cfg map[string]any) string {
	spc, _ := cfg["singlePromptConfig"].(map[string]any)
	s, _ := spc["prompt"].(string)
	return s
}

func toolNames(cfg map[string]any) []string {
	spc, _ := cfg["singlePromptConfig"].(map[string]any)
	tools, _ := spc["tools"].([]any)
	var out []string
	for _, t := range tools {
		m, _ := t.(map[string]any)
		n, _ := m["name"].(string)
		out = append(out, n)
	}
	return out
}

// count counts the calls of method on a path pattern (path.Match syntax).
func (e *env) count(method, pattern string) int { return e.sim.CountCalls(method, pattern) }

// writes lists the calls that change something, as "METHOD path".
func (e *env) writes() []string { return e.w.Writes() }

// isKind fails unless err is a *platform.Error of kind without the API key.
func isKind(t *testing.T, err, kind error) {
	t.Helper()
	adaptertest.IsKind(t, err, kind, testKey)
}

func ptr[T any](v T) *T { return &v }
