package sandbox

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// fakeControls records what the page asked of the simulated world.
type fakeControls struct{ calls []string }

func (f *fakeControls) Agents(context.Context) ([]string, error) {
	return []string{"support-concierge", "clinic-scheduler"}, nil
}

func (f *fakeControls) FailNextCheck(_ context.Context, agent string) (string, error) {
	f.calls = append(f.calls, "fail "+agent)
	return "the next check of " + agent + " will fail", nil
}

func (f *fakeControls) ChangeLive(_ context.Context, agent string) (string, error) {
	f.calls = append(f.calls, "live "+agent)
	if agent == "clinic-scheduler" {
		return "", errors.New("clinic-scheduler has no other version")
	}
	return agent + " changed", nil
}

// TestControlEndpoint: a control runs on the agent named and its answer
// says what happened; a failure, an unknown control or no agent is an error
// for the page to show, and a sandbox without controls has none.
func TestControlEndpoint(t *testing.T) {
	fc := &fakeControls{}
	e := newEnv(t, func(o *Options) { o.Controls = fc })
	tests := []struct {
		name       string
		req        controlRequest
		wantStatus int
		want       answer
		wantCall   string
	}{
		{"fail the next check", controlRequest{ControlFailCheck, "support-concierge"}, 200,
			answer{OK: true, Notice: "the next check of support-concierge will fail"}, "fail support-concierge"},
		{"change the live version", controlRequest{ControlChangeLive, "support-concierge"}, 200,
			answer{OK: true, Notice: "support-concierge changed"}, "live support-concierge"},
		{"the world refuses", controlRequest{ControlChangeLive, "clinic-scheduler"}, 200,
			answer{Error: "clinic-scheduler has no other version"}, "live clinic-scheduler"},
		{"unknown control", controlRequest{"drop-tables", "support-concierge"}, 400, answer{Error: "no such control: drop-tables"}, ""},
		{"no agent", controlRequest{ControlFailCheck, ""}, 400, answer{Error: "choose an agent first"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fc.calls = nil
			status, got := e.post("/sandbox/api/control", tc.req)
			if status != tc.wantStatus || got.OK != tc.want.OK || got.Notice != tc.want.Notice || got.Error != tc.want.Error {
				t.Errorf("%d %+v, want %d %+v", status, got, tc.wantStatus, tc.want)
			}
			if want := []string{tc.wantCall}; (tc.wantCall == "" && len(fc.calls) != 0) || (tc.wantCall != "" && (len(fc.calls) != 1 || fc.calls[0] != want[0])) {
				t.Errorf("calls %q, want %q", fc.calls, tc.wantCall)
			}
		})
	}

	var cfg pageConfig
	resp, err := http.Get(e.url + "/sandbox/api/config")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := decodeJSON(resp, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Agents) != 2 || cfg.Agents[0] != "support-concierge" || len(cfg.Commands) != 1 || cfg.Commands[0].Name != "help" {
		t.Errorf("config agents %q, commands %+v", cfg.Agents, cfg.Commands)
	}

	bare := newEnv(t)
	if status, got := bare.post("/sandbox/api/control", controlRequest{ControlFailCheck, "support-concierge"}); status != http.StatusNotFound || got.Error == "" {
		t.Errorf("without controls: %d %+v", status, got)
	}
}
