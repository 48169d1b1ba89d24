package atomsim

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// benchSim is a seeded simulator called in-process (no network), so the
// figures are the simulator's own cost per request.
func benchSim(b *testing.B) (*Simulator, AgentInfo) {
	b.Helper()
	clock := newClock()
	sim := New(Options{Now: clock.Now, Seed: 1, CheckDelay: -1})
	agents, err := sim.SeedDemo()
	if err != nil {
		b.Fatal(err)
	}
	return sim, agents[0]
}

func serve(b *testing.B, sim *Simulator, method, path, body string) {
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	} else {
		rd = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, rd)
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	if rec.Code >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
}

func BenchmarkGetAgent(b *testing.B) {
	sim, a := benchSim(b)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, sim, "GET", "/atoms/v1/agent/"+a.ID, "")
	}
}

func BenchmarkListAgents(b *testing.B) {
	sim, _ := benchSim(b)
	b.ReportAllocs()
	for b.Loop() {
		serve(b, sim, "GET", "/atoms/v1/agent?search=e", "")
	}
}

func BenchmarkPatchDraftConfig(b *testing.B) {
	sim, a := benchSim(b)
	path := "/atoms/v1/agent/" + a.ID + "/drafts/" + a.Drafts[0].DraftID + "/config"
	b.ReportAllocs()
	for b.Loop() {
		serve(b, sim, http.MethodPatch, path, `{"firstMessage":"Hello again","synthesizer":{"speed":1.3}}`)
	}
}

func BenchmarkDraftDiff(b *testing.B) {
	sim, a := benchSim(b)
	path := "/atoms/v1/agent/" + a.ID + "/drafts/" + a.Drafts[0].DraftID + "/diff"
	b.ReportAllocs()
	for b.Loop() {
		serve(b, sim, "GET", path, "")
	}
}
