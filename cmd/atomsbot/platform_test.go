package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/metrics"
)

// ATOMS_API picks the platform; in auto the model is learnt from the first
// agent looked at, logged once, and exported as a metric label.
func TestAtomsModelChosenAndExported(t *testing.T) {
	tests := []struct {
		name, api   string
		branchModel bool
		want        string // the metric's model label after one look at an agent
	}{
		{"auto on the branch model", "auto", true, "v2"},
		{"auto on v1", "auto", false, "v1"},
		{"forced v1", "v1", false, "v1"},
		{"forced v2", "v2", true, "v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim := atomsim.New(atomsim.Options{BranchModel: tt.branchModel, Seed: 3})
			agents, err := sim.SeedDemo()
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(sim)
			t.Cleanup(srv.Close)
			c, err := atoms.New(atoms.Options{BaseURL: srv.URL, APIKey: "sk_test", RPS: 1e6})
			if err != nil {
				t.Fatal(err)
			}
			m := metrics.New()
			var logged strings.Builder
			log := slog.New(slog.NewTextHandler(&logged, nil))
			p := newPlatform(tt.api, c, nil, log, m.SetAtomsModel)
			for range 2 {
				if _, err := p.Live(context.Background(), agents[0].ID); err != nil {
					t.Fatalf("Live: %v", err)
				}
			}
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			body, _ := io.ReadAll(rec.Body)
			if want := `atomsbot_atoms_versioning_model{model="` + tt.want + `"} 1`; !strings.Contains(string(body), want) {
				t.Errorf("metrics lack %s:\n%s", want, grepLines(string(body), "versioning_model"))
			}
			if n := strings.Count(logged.String(), "Atoms versioning model chosen"); tt.api == "auto" && n != 1 {
				t.Errorf("the choice was logged %d times, want once:\n%s", n, logged.String())
			}
		})
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
