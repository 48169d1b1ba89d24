// Package adaptertest is what the tests of the platform adapters share: a
// simulator served over HTTP on a test clock, a client of it, and the
// checks every adapter must pass in the same way (errors in the platform's
// kinds without the API key, test calls never repeated).
package adaptertest

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

// CheckDelay is the simulator's security check in adapter tests.
const CheckDelay = 6 * time.Second

// World is a simulator served over HTTP, on a clock the test moves.
type World struct {
	Sim   *atomsim.Simulator
	Clock *atomsim.Clock
	URL   string // the API root, for clients
	Key   string // the API key the simulator requires
}

// NewWorld serves a simulator with opts (the key, the clock, the check
// delay and a seed are set here) until the test ends.
func NewWorld(t *testing.T, opts atomsim.Options, key string, start time.Time) *World {
	t.Helper()
	clock := atomsim.NewClock(start)
	opts.APIKey, opts.Now, opts.CheckDelay = key, clock.Now, CheckDelay
	if opts.Seed == 0 {
		opts.Seed = 5
	}
	opts.Sleep = func(context.Context, time.Duration) {}
	sim := atomsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &World{Sim: sim, Clock: clock, URL: srv.URL + "/atoms/v1", Key: key}
}

// Client is a client of w with key that never waits for real (no rate
// limit, retries without sleeping).
func (w *World) Client(t *testing.T, key string, retries int) *atoms.Client {
	t.Helper()
	c, err := atoms.New(atoms.Options{
		BaseURL: w.URL, APIKey: key, RPS: math.Inf(1), MaxRetries: retries,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Writes lists the calls w answered that change something, "METHOD path".
func (w *World) Writes() []string {
	var out []string
	for _, c := range w.Sim.Calls() {
		if c.Method != "GET" {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

// CallPosts are the requests w answered that place a call.
func (w *World) CallPosts() []atomsim.Call {
	var out []atomsim.Call
	for _, c := range w.Sim.Calls() {
		if c.Method == "POST" && (strings.HasSuffix(c.Path, "/test-call") || c.Path == "/conversation/outbound") {
			out = append(out, c)
		}
	}
	return out
}

// IsKind fails unless err is a *platform.Error of kind that shows neither
// in its text nor in its words for users the API key.
func IsKind(t *testing.T, err, kind error, key string) {
	t.Helper()
	var pe *platform.Error
	if !errors.Is(err, kind) || !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want a *platform.Error of kind %v", err, err, kind)
	}
	if strings.Contains(err.Error(), key) || strings.Contains(platform.Explain(err), key) {
		t.Fatalf("the API key is in %q", err)
	}
}

// Target is a test call to try.
type Target struct {
	Name string
	Req  platform.CallRequest
}

// UnclearCallsNeverRepeat proves, for each target, that a test call whose
// answer is lost — after the call was placed, or before — is reported as
// unclear (it may have rung) and is sent exactly once.
func UnclearCallsNeverRepeat(t *testing.T, w *World, p platform.Caller, targets []Target) {
	faults := []struct {
		name   string
		f      atomsim.Faults
		placed int
	}{
		{"answer lost after the call", atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, 1},
		{"answer lost before the call", atomsim.Faults{ErrorRate: 1, Methods: []string{"POST"}}, 0},
	}
	for _, tg := range targets {
		for _, f := range faults {
			t.Run(tg.Name+"/"+f.name, func(t *testing.T) {
				convs := len(w.Sim.Conversations())
				w.Sim.ResetCalls()
				w.Sim.SetFaults(f.f)
				_, err := p.TestCall(context.Background(), tg.Req)
				w.Sim.SetFaults(atomsim.Faults{})
				IsKind(t, err, platform.ErrUnclear, w.Key)
				if !platform.Ambiguous(err) {
					t.Errorf("%v is not ambiguous", err)
				}
				if n := len(w.CallPosts()); n != 1 {
					t.Errorf("%d call requests, want 1 (never repeated)", n)
				}
				if n := len(w.Sim.Conversations()) - convs; n != f.placed {
					t.Errorf("%d calls placed, want %d", n, f.placed)
				}
			})
		}
	}
}

// LiveIDIsOneRead proves that LiveID names what Live names in a single
// request: what a watch pays per look at an agent.
func LiveIDIsOneRead(t *testing.T, w *World, p platform.Reader, agentID string) {
	t.Helper()
	ctx := context.Background()
	live, err := p.Live(ctx, agentID)
	if err != nil {
		t.Fatalf("Live: %v", err)
	}
	w.Sim.ResetCalls()
	id, err := p.LiveID(ctx, agentID)
	if err != nil || id != live.ID {
		t.Fatalf("LiveID = %q, %v; Live names %q", id, err, live.ID)
	}
	if calls := w.Sim.Calls(); len(calls) != 1 {
		t.Errorf("LiveID made %d requests, want 1", len(calls))
	}
}
