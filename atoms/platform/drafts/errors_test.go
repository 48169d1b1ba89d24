package drafts

import (
	"errors"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// ops are the adapter's calls on one agent, each as it fails.
func ops(a *Adapter, id, version, draft, basis string) map[string]func() error {
	r := platform.Release{Model: platform.ModelV1, AgentID: id, ID: "pr_e", DraftID: draft, VersionID: version, Base: version}
	return map[string]func() error{
		"Agent":     func() error { _, err := a.Agent(ctx, id); return err },
		"Live":      func() error { _, err := a.Live(ctx, id); return err },
		"Versions":  func() error { _, err := a.Versions(ctx, id, platform.VersionQuery{}); return err },
		"VersionID": func() error { _, err := a.Version(ctx, id, platform.VersionRef{ID: version}); return err },
		"VersionN":  func() error { _, err := a.Version(ctx, id, platform.VersionRef{Number: 1}); return err },
		"Drafts":    func() error { _, err := a.Drafts(ctx, id); return err },
		"DiffDraft": func() error { _, err := a.DiffDraft(ctx, id, draft); return err },
		"EditForm":  func() error { _, err := a.EditForm(ctx, id, draft); return err },
		"SaveDraft": func() error {
			_, err := a.SaveDraft(ctx, platform.SaveRequest{AgentID: id, Basis: basis,
				Changes: map[string]string{platform.FieldFirstMessage: "x"}})
			return err
		},
		"Publish":  func() error { _, err := a.Publish(ctx, r, false); return err },
		"Refresh":  func() error { _, err := a.Refresh(ctx, r); return err },
		"Activate": func() error { _, err := a.Activate(ctx, r); return err },
		"Rollback": func() error {
			_, err := a.PrepareRollback(ctx, id, platform.Version{ID: version}, version)
			return err
		},
	}
}

// TestErrorsArePlatformKinds: whatever Atoms answers, the adapter speaks
// the platform's kinds, never the client's errors, and never shows the key.
func TestErrorsArePlatformKinds(t *testing.T) {
	e := newEnv(t, atomsim.Options{})
	id, v1 := e.agent("errors")
	draft := e.draft(id, v1, "Draft")
	form, err := e.a.EditForm(ctx, id, "")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		setup  func() (*Adapter, func())
		agent  string
		kind   error
		except map[string]error // other kinds for some calls
	}{
		{"unknown agent", func() (*Adapter, func()) { return e.a, func() {} }, "0123456789abcdef01234567", platform.ErrNotFound, nil},
		{"wrong API key", func() (*Adapter, func()) { return New(e.client("sk_test_wrong_" + testKey)), func() {} }, id, platform.ErrUnauthorized, nil},
		{"server errors", func() (*Adapter, func()) {
			e.sim.SetFaults(atomsim.Faults{ErrorRate: 1})
			return e.a, func() { e.sim.SetFaults(atomsim.Faults{}) }
		}, id, platform.ErrUnavailable, map[string]error{"Publish": platform.ErrUnclear, "SaveDraft": platform.ErrUnclear}},
		{"organisation moved to branches", func() (*Adapter, func()) {
			e.sim.SetBranchModel(true)
			return e.a, func() { e.sim.SetBranchModel(false) }
		}, id, platform.ErrWrongModel, map[string]error{
			// The by-id reads are kept during the coexistence window.
			"Agent": nil, "Live": nil, "VersionID": nil, "EditForm": nil, "Refresh": nil, "Rollback": nil, "DiffDraft": nil,
			// Its version is what is live (the live branch's head): done.
			"Activate": nil,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, undo := tt.setup()
			defer undo()
			for name, op := range ops(a, tt.agent, v1, draft, form.Basis) {
				kind, ok := tt.except[name]
				if !ok {
					kind = tt.kind
				}
				err := op()
				if kind == nil {
					continue // answered, or failed as another case proves
				}
				var ae *atoms.APIError
				var ne *atoms.NetworkError
				if errors.As(err, &ae) && !errors.Is(err, kind) || errors.As(err, &ne) && !errors.Is(err, kind) {
					t.Errorf("%s: a raw client error: %v", name, err)
					continue
				}
				var pe *platform.Error
				if !errors.Is(err, kind) || !errors.As(err, &pe) {
					t.Errorf("%s: err = %v (%T), want %v", name, err, err, kind)
					continue
				}
				if strings.Contains(err.Error(), testKey) || strings.Contains(platform.Explain(err), testKey) {
					t.Errorf("%s: the key is in %q", name, err)
				}
			}
		})
	}
}
