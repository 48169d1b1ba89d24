package atomsim

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestFaultsAreDeterministic(t *testing.T) {
	run := func(seed int64) []int {
		e := newEnv(t, Options{Faults: Faults{ErrorRate: 0.5, Seed: seed}})
		var statuses []int
		for range 40 {
			r := e.do("GET", "/agent", nil)
			statuses = append(statuses, r.status)
			if r.status == 429 && r.header.Get("Retry-After") != "1" {
				t.Fatalf("429 without Retry-After: 1")
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Fatal("fault without x-request-id")
			}
		}
		return statuses
	}
	a, b, c := run(7), run(7), run(8)
	if !slices.Equal(a, b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	if slices.Equal(a, c) {
		t.Fatalf("different seeds, same faults: %v", a)
	}
	count := map[int]int{}
	for _, s := range a {
		count[s]++
	}
	if count[500] == 0 || count[429] == 0 || count[200] == 0 || len(count) != 3 {
		t.Fatalf("status mix %v", count)
	}
}

func TestFaultsBeforeAndAfterEffect(t *testing.T) {
	tests := []struct {
		name        string
		faults      Faults
		wantVersion bool // the publish took effect
		fault       string
	}{
		{"pre-effect: nothing created", Faults{ErrorRate: 1, Methods: []string{"POST"}}, false, ""},
		{"after-effect: created, answered 500", Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, true, FaultAfterEffect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, Options{})
			agentID := e.createAgent(map[string]any{"name": "faulty"})
			draftID := e.fork(agentID)
			e.sim.SetFaults(tt.faults)
			e.sim.ResetCalls()
			r := e.do("POST", "/agent/"+agentID+"/drafts/"+draftID+"/publish", map[string]any{"label": "x"})
			if r.status != 500 && r.status != 429 {
				t.Fatalf("status %d", r.status)
			}
			info, _ := e.sim.Agent(agentID)
			if got := len(info.Versions) == 2; got != tt.wantVersion {
				t.Fatalf("version created=%v, want %v", got, tt.wantVersion)
			}
			if draftGone := len(info.Drafts) == 0; draftGone != tt.wantVersion {
				t.Fatalf("draft gone=%v", draftGone)
			}
			calls := e.sim.Calls()
			if len(calls) != 1 || calls[0].Status != r.status || (tt.fault != "" && calls[0].Fault != tt.fault) {
				t.Fatalf("calls %+v", calls)
			}
			// GETs are not faulted by a POST-only configuration.
			e.must(200, "GET", "/agent/"+agentID, nil)
		})
	}
}

func TestLatencyUsesInjectedSleep(t *testing.T) {
	var mu sync.Mutex
	var slept []time.Duration
	e := newEnv(t, Options{
		Faults: Faults{Latency: 250 * time.Millisecond, Methods: []string{"GET"}},
		Sleep: func(_ context.Context, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			slept = append(slept, d)
		},
	})
	e.do("GET", "/agent", nil)
	e.do("POST", "/agent", map[string]any{"name": "x"})
	e.do("GET", "/agent", nil)
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(slept, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}) {
		t.Fatalf("slept %v", slept)
	}
}
