package platform

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// recorder is a Platform that records which methods ran on it and answers
// with err (for every call) when set.
type recorder struct {
	name string
	mu   sync.Mutex
	log  []string
	err  error
}

func (r *recorder) note(m string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, m)
	return r.err
}

func (r *recorder) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.log...)
}

func (r *recorder) Agents(context.Context, string) ([]Agent, error) { return nil, r.note("Agents") }
func (r *recorder) Agent(context.Context, string) (Agent, error) {
	return Agent{Name: r.name}, r.note("Agent")
}
func (r *recorder) Live(context.Context, string) (Version, error)  { return Version{}, r.note("Live") }
func (r *recorder) LiveID(context.Context, string) (string, error) { return "", r.note("LiveID") }
func (r *recorder) Versions(context.Context, string, VersionQuery) (VersionPage, error) {
	return VersionPage{}, r.note("Versions")
}
func (r *recorder) Version(context.Context, string, VersionRef) (Version, error) {
	return Version{}, r.note("Version")
}
func (r *recorder) Drafts(context.Context, string) ([]Draft, error) { return nil, r.note("Drafts") }
func (r *recorder) DiffDraft(context.Context, string, string) (Diff, error) {
	return Diff{}, r.note("DiffDraft")
}
func (r *recorder) DiffVersions(context.Context, string, string, string) (Diff, error) {
	return Diff{}, r.note("DiffVersions")
}
func (r *recorder) EditForm(context.Context, string, string) (Editable, error) {
	return Editable{}, r.note("EditForm")
}
func (r *recorder) EditVersion(context.Context, string, Version) (Editable, error) {
	return Editable{}, r.note("EditVersion")
}
func (r *recorder) SaveDraft(context.Context, SaveRequest) (Draft, error) {
	return Draft{}, r.note("SaveDraft")
}
func (r *recorder) Stage(_ context.Context, rel Release) (Release, error) {
	return rel, r.note("Stage")
}
func (r *recorder) Publish(_ context.Context, rel Release, _ bool) (Release, error) {
	return rel, r.note("Publish")
}
func (r *recorder) Refresh(_ context.Context, rel Release) (Release, error) {
	return rel, r.note("Refresh")
}
func (r *recorder) DiffRelease(context.Context, Release) (Diff, error) {
	return Diff{}, r.note("DiffRelease")
}
func (r *recorder) PrepareRollback(context.Context, string, Version, string) (Release, error) {
	return Release{}, r.note("PrepareRollback")
}
func (r *recorder) Activate(_ context.Context, rel Release) (Release, error) {
	return rel, r.note("Activate")
}
func (r *recorder) Abandon(context.Context, Release) error { return r.note("Abandon") }
func (r *recorder) Tidy(context.Context, Release) error    { return r.note("Tidy") }
func (r *recorder) TestCall(context.Context, CallRequest) (Call, error) {
	return Call{}, r.note("TestCall")
}

// detector answers with model (or err) and counts its calls.
type detector struct {
	model Model
	err   error
	n     int
}

func (d *detector) Detect(context.Context, string) (Model, error) {
	d.n++
	return d.model, d.err
}

func newAuto(det *detector) (*Auto, *recorder, *recorder, *[]Model) {
	v1, v2 := &recorder{name: "v1"}, &recorder{name: "v2"}
	var chosen []Model
	return NewAuto(v1, v2, det, nil, func(m Model) { chosen = append(chosen, m) }), v1, v2, &chosen
}

func TestAutoDetectsFromTheFirstAgent(t *testing.T) {
	tests := []struct {
		name   string
		det    detector
		v1err  error
		want   string // which adapter answered the call
		model  Model  // the model remembered afterwards
		chosen []Model
	}{
		{"branches with a live branch", detector{model: ModelV2}, nil, "v2", ModelV2, []Model{ModelV2}},
		{"no branch routes", detector{model: ModelV1}, nil, "v1", ModelV1, []Model{ModelV1}},
		{"detector cannot tell, v1 works", detector{err: errors.New("network")}, nil, "v1", "", nil},
		{"detector cannot tell, v1 answers the migration 409", detector{err: errors.New("network")},
			&Error{Kind: ErrWrongModel, Msg: "runs the branch model"}, "v2", ModelV2, []Model{ModelV2}},
		{"detector says v1, v1 answers the migration 409", detector{model: ModelV1},
			&Error{Kind: ErrWrongModel}, "v2", ModelV2, []Model{ModelV1, ModelV2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			det := tt.det
			a, v1, _, chosen := newAuto(&det)
			v1.err = tt.v1err
			got, err := a.Agent(context.Background(), "agent-1")
			if err != nil {
				t.Fatalf("Agent: %v", err)
			}
			if got.Name != tt.want {
				t.Errorf("answered by %s, want %s", got.Name, tt.want)
			}
			if a.Model() != tt.model {
				t.Errorf("model %q, want %q", a.Model(), tt.model)
			}
			if len(*chosen) != len(tt.chosen) || (len(tt.chosen) > 0 && (*chosen)[len(*chosen)-1] != tt.chosen[len(tt.chosen)-1]) {
				t.Errorf("decisions %v, want %v", *chosen, tt.chosen)
			}
		})
	}
}

func TestAutoRemembersItsChoice(t *testing.T) {
	det := &detector{model: ModelV2}
	a, v1, v2, chosen := newAuto(det)
	ctx := context.Background()
	for range 3 {
		if _, err := a.Drafts(ctx, "agent-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Live(ctx, "agent-2"); err != nil {
			t.Fatal(err)
		}
	}
	if det.n != 1 {
		t.Errorf("detected %d times, want once per process", det.n)
	}
	if len(v1.calls()) != 0 || len(v2.calls()) != 6 {
		t.Errorf("v1 %v, v2 %v", v1.calls(), v2.calls())
	}
	if len(*chosen) != 1 {
		t.Errorf("decisions %v, want one", *chosen)
	}
}

func TestAutoRoutesReleasesByTheirModel(t *testing.T) {
	det := &detector{model: ModelV1}
	a, v1, v2, _ := newAuto(det)
	ctx := context.Background()
	if _, err := a.Live(ctx, "agent-1"); err != nil { // decides v1
		t.Fatal(err)
	}
	v1.log = nil
	// A promotion begun on v1 before the switch is continued by the v1
	// adapter, which answers that it cannot: it is never moved silently.
	v1.err = &Error{Kind: ErrWrongModel, Msg: "begun on v1"}
	_, err := a.Refresh(ctx, Release{Model: ModelV1, AgentID: "agent-1"})
	if !errors.Is(err, ErrWrongModel) {
		t.Errorf("Refresh of a v1 release = %v, want ErrWrongModel", err)
	}
	if got := v1.calls(); len(got) != 1 || got[0] != "Refresh" {
		t.Errorf("v1 calls %v", got)
	}
	if a.Model() != ModelV2 {
		t.Errorf("model %q after a v1 release learnt of the branch model", a.Model())
	}
	// A release without a model (staged before any was recorded) goes to
	// the model in use.
	if _, err := a.Stage(ctx, Release{AgentID: "agent-1"}); err != nil {
		t.Fatal(err)
	}
	if got := v2.calls(); got[len(got)-1] != "Stage" {
		t.Errorf("v2 calls %v", got)
	}
	for _, f := range []func() error{
		func() error { _, err := a.Publish(ctx, Release{Model: ModelV2}, false); return err },
		func() error { _, err := a.Activate(ctx, Release{Model: ModelV2}); return err },
		func() error { _, err := a.DiffRelease(ctx, Release{Model: ModelV2}); return err },
		func() error { return a.Abandon(ctx, Release{Model: ModelV2}) },
		func() error { return a.Tidy(ctx, Release{Model: ModelV2}) },
	} {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v2.calls()); n != 6 {
		t.Errorf("v2 got %d calls: %v", n, v2.calls())
	}
}

func TestCheckOutcome(t *testing.T) {
	tests := []struct {
		status string
		want   Outcome
	}{
		{"passed", CheckPassed}, {"PASSED", CheckPassed}, {"failed", CheckFailed}, {"FAILED", CheckFailed},
		{"errored", CheckFailed}, {"pending", CheckNotYet}, {"queued", CheckNotYet}, {"", CheckNotYet}, {"running", CheckNotYet},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			if got := (Check{Status: tt.status}).Outcome(); got != tt.want {
				t.Errorf("Outcome(%q) = %v, want %v", tt.status, got, tt.want)
			}
		})
	}
}

func TestErrorsInUsersWords(t *testing.T) {
	cause := errors.New("atoms: POST /agent/{id}/branches: 423")
	frozen := &Error{Kind: ErrFrozen, Msg: "Atoms is in a configuration freeze", RequestID: "req-1", Err: cause}
	if !errors.Is(frozen, ErrFrozen) || errors.Is(frozen, ErrBusy) || !Temporary(frozen) || Ambiguous(frozen) {
		t.Errorf("frozen classifies wrongly")
	}
	if Explain(frozen) != "Atoms is in a configuration freeze" || RequestID(frozen) != "req-1" {
		t.Errorf("Explain %q, RequestID %q", Explain(frozen), RequestID(frozen))
	}
	if !errors.Is(frozen, cause) {
		t.Errorf("the cause is not reachable for logs")
	}
	unclear := &Error{Kind: ErrUnclear}
	if !Ambiguous(unclear) || !Temporary(unclear) {
		t.Errorf("unclear classifies wrongly")
	}
	if Temporary(&Error{Kind: ErrRefused}) {
		t.Errorf("a refusal is not temporary")
	}
	ce := &ConflictError{Fields: []string{FieldPrompt}}
	if Explain(ce) != "someone else edited the draft since the form was opened (prompt)" {
		t.Errorf("conflict: %q", Explain(ce))
	}
	if Explain(&MovedError{What: "the live version changed"}) != "the live version changed" {
		t.Errorf("moved")
	}
	if got := (VersionRef{Branch: "feature", Number: 2}).String(); got != "feature/v2" {
		t.Errorf("ref %q", got)
	}
}
