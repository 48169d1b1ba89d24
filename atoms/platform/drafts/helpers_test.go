package drafts

import (
	"context"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/adaptertest"
)

// testKey is the API key of the test client; no error may show it.
const testKey = "sk_test_drafts_adapter_SECRET"

const checkDelay = adaptertest.CheckDelay

var ctx = context.Background()

// env is the v1 adapter on a client on a v1 simulator whose time is a
// clock the test moves.
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
	if opts.Seed == 0 {
		opts.Seed = 9
	}
	w := adaptertest.NewWorld(t, opts, testKey, time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
	e := &env{t: t, w: w, sim: w.Sim, clock: w.Clock}
	e.c = e.client(testKey)
	e.a = New(e.c)
	return e
}

func (e *env) client(key string) *atoms.Client { return e.w.Client(e.t, key, 3) }

var (
	toolEnd    = atoms.Tool{Type: "end_call", Name: "end_call", Description: "End the call."}
	toolLookup = atoms.Tool{Type: "api_call", Name: "lookup_order", Description: "Look up an order.",
		Extra: atoms.Extra{"url": []byte(`"https://orders.example/v1/{{id}}"`), "method": []byte(`"GET"`)}}
)

// agent creates an agent with a prompt and two tools; version 1 is active.
func (e *env) agent(name string) (agentID, v1 string) {
	e.t.Helper()
	req := atoms.CreateAgentRequest{Name: name, Language: &atoms.Language{Default: "en"}}
	req.Config.SinglePromptConfig = &atoms.SinglePromptConfig{Prompt: "You are the support agent.", Tools: []atoms.Tool{toolEnd, toolLookup}}
	req.Config.FirstMessage = ptr("Hello from " + name)
	id, err := e.c.CreateAgent(ctx, req)
	if err != nil {
		e.t.Fatalf("CreateAgent: %v", err)
	}
	ag, ok := e.sim.Agent(id)
	if !ok || ag.ActiveVersionID == "" {
		e.t.Fatalf("agent %+v", ag)
	}
	return id, ag.ActiveVersionID
}

// draft forks a draft from version and edits its first message.
func (e *env) draft(agentID, version, first string) string {
	e.t.Helper()
	d, err := e.c.CreateDraft(ctx, agentID, atoms.CreateDraftRequest{SourceVersionID: version, DraftName: "edit " + first})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.c.UpdateDraftConfig(ctx, agentID, d.DraftID, atoms.ConfigPatch{FirstMessage: &first}); err != nil {
		e.t.Fatal(err)
	}
	return d.DraftID
}

// published publishes a draft of first through the API, its check done.
func (e *env) published(agentID, version, first string) string {
	e.t.Helper()
	v, err := e.c.PublishDraft(ctx, agentID, e.draft(agentID, version, first), atoms.PublishRequest{Label: first})
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(checkDelay)
	return v.ID
}

func (e *env) agentInfo(id string) atomsim.AgentInfo {
	e.t.Helper()
	ag, ok := e.sim.Agent(id)
	if !ok {
		e.t.Fatalf("no agent %s", id)
	}
	return ag
}

func (e *env) writes() []string { return e.w.Writes() }

// isKind fails unless err is a *platform.Error of kind without the API key.
func isKind(t *testing.T, err, kind error) {
	t.Helper()
	adaptertest.IsKind(t, err, kind, testKey)
}

func ptr[T any](v T) *T { return &v }
