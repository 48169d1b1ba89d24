package drafts

import (
	"context"
	"errors"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// testKey is the API key of the test client; no error may show it.
const testKey = "sk_test_drafts_adapter_SECRET"

const checkDelay = 6 * time.Second

var ctx = context.Background()

// env is the v1 adapter on a client on a v1 simulator whose time is a
// clock the test moves.
type env struct {
	t     *testing.T
	sim   *atomsim.Simulator
	clock *atomsim.Clock
	c     *atoms.Client
	a     *Adapter
	url   string
}

func newEnv(t *testing.T, opts atomsim.Options) *env {
	t.Helper()
	clock := atomsim.NewClock(time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
	opts.APIKey, opts.Now, opts.CheckDelay = testKey, clock.Now, checkDelay
	if opts.Seed == 0 {
		opts.Seed = 9
	}
	opts.Sleep = func(context.Context, time.Duration) {}
	sim := atomsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: sim, clock: clock, url: srv.URL + "/atoms/v1"}
	e.c = e.client(testKey)
	e.a = New(e.c)
	return e
}

func (e *env) client(key string) *atoms.Client {
	e.t.Helper()
	c, err := atoms.New(atoms.Options{
		BaseURL: e.url, APIKey: key, RPS: math.Inf(1), MaxRetries: 3,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

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

func (e *env) writes() []string {
	var out []string
	for _, c := range e.sim.Calls() {
		if c.Method != "GET" {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

// isKind fails unless err is a *platform.Error of kind without the API key.
func isKind(t *testing.T, err, kind error) {
	t.Helper()
	var pe *platform.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want a *platform.Error of kind %v", err, err, kind)
	}
	if strings.Contains(err.Error(), testKey) || strings.Contains(platform.Explain(err), testKey) {
		t.Fatalf("the API key is in %q", err)
	}
}

func ptr[T any](v T) *T { return &v }
