package wire

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

func TestTranslate(t *testing.T) {
	api := func(status int, typ string, msgs ...string) error {
		return &atoms.APIError{Method: "POST", Path: "/agent/{id}/x", Status: status, Type: typ, Messages: msgs, RequestID: "req-1"}
	}
	netErr := &atoms.NetworkError{Method: "POST", Path: "/agent/{id}/x", Err: context.DeadlineExceeded}
	tests := []struct {
		name        string
		err         error
		read, write error
	}{
		{"migration 409", api(409, atoms.MigrationErrorType, "moved"), platform.ErrWrongModel, platform.ErrWrongModel},
		{"freeze", api(423, "config_freeze_active", "frozen"), platform.ErrFrozen, platform.ErrFrozen},
		{"publish in progress", api(409, "publish_in_progress"), platform.ErrBusy, platform.ErrBusy},
		{"source scanning", api(409, "source_scanning"), platform.ErrBusy, platform.ErrBusy},
		{"JSON 404", api(404, "", "Branch not found"), platform.ErrNotFound, platform.ErrNotFound},
		{"400 no agent found", api(400, "", "No agent found"), platform.ErrNotFound, platform.ErrNotFound},
		{"401", api(401, "", "Unauthorized: bad key"), platform.ErrUnauthorized, platform.ErrUnauthorized},
		{"403", api(403, "", "archived"), platform.ErrRefused, platform.ErrRefused},
		{"400", api(400, "", "Invalid Input"), platform.ErrRefused, platform.ErrRefused},
		{"other 409", api(409, "branch_name_exists"), platform.ErrRefused, platform.ErrRefused},
		{"500", api(500, "", "boom"), platform.ErrUnavailable, platform.ErrUnclear},
		{"429", api(429, "", "slow down"), platform.ErrUnavailable, platform.ErrUnclear},
		{"network", netErr, platform.ErrUnavailable, platform.ErrUnclear},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				f    func(error) error
				kind error
			}{{Read, tt.read}, {Write, tt.write}} {
				got := c.f(tt.err)
				var pe *platform.Error
				if !errors.As(got, &pe) || !errors.Is(got, c.kind) || pe.Msg == "" || !errors.Is(got, tt.err) {
					t.Fatalf("%v → %#v, want kind %v", tt.err, got, c.kind)
				}
				if ae := (*atoms.APIError)(nil); errors.As(tt.err, &ae) && pe.RequestID != "req-1" {
					t.Errorf("request id %q", pe.RequestID)
				}
			}
		})
	}
	if Read(nil) != nil || Write(nil) != nil {
		t.Fatal("nil is not an error")
	}
	// Already in the platform's words: kept as it is.
	ce := &platform.ConflictError{Gone: true}
	if got := Write(ce); got != error(ce) {
		t.Fatalf("a conflict was rewrapped: %v", got)
	}
}

func TestValuesAndPatch(t *testing.T) {
	rc := &atoms.ResolvedConfig{Prompt: "single", GlobalPrompt: "global", FirstMessage: "Hi", ModelName: "electron",
		Synthesizer: &atoms.Synthesizer{VoiceConfig: &atoms.VoiceConfig{VoiceID: "nyah"}}}
	if v := Values(rc, atoms.SinglePrompt); v[platform.FieldPrompt] != "single" || v[platform.FieldModel] != "electron" || v[platform.FieldVoiceID] != "nyah" {
		t.Fatalf("single_prompt values %v", v)
	}
	if v := Values(rc, atoms.WorkflowGraph); v[platform.FieldPrompt] != "global" {
		t.Fatalf("workflow_graph values %v", v)
	}
	if v := Values(nil, ""); len(v) != 4 || v[platform.FieldPrompt] != "" {
		t.Fatalf("values of nothing %v", v)
	}

	tools := []atoms.Tool{{Type: "end_call", Name: "end_call"}}
	tests := []struct {
		name    string
		changes map[string]string
		wf      string
		tools   []atoms.Tool
		want    string
	}{
		{"prompt carries the tools", map[string]string{platform.FieldPrompt: "p"}, atoms.SinglePrompt, tools,
			`{"singlePromptConfig":{"prompt":"p","tools":[{"type":"end_call","name":"end_call","description":""}]}}`},
		{"no tools: an empty list, never none", map[string]string{platform.FieldPrompt: "p"}, atoms.SinglePrompt, nil,
			`{"singlePromptConfig":{"prompt":"p","tools":[]}}`},
		{"graph prompt is the global prompt", map[string]string{platform.FieldPrompt: "p"}, atoms.WorkflowGraph, tools, `{"globalPrompt":"p"}`},
		{"the other fields", map[string]string{platform.FieldFirstMessage: "Hi", platform.FieldVoiceID: "ryan", platform.FieldModel: "gpt-4o"}, atoms.SinglePrompt, nil,
			`{"firstMessage":"Hi","slmModel":"gpt-4o","synthesizer":{"voiceConfig":{"voiceId":"ryan"}}}`},
		{"unknown fields are left out", map[string]string{"colour": "red"}, atoms.SinglePrompt, nil, `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(Patch(tt.changes, tt.wf, tt.tools))
			if err != nil {
				t.Fatal(err)
			}
			if canon(string(got)) != canon(tt.want) {
				t.Fatalf("patch %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	if c := Check(nil); c.Status != "" || c.Outcome() != platform.CheckNotYet {
		t.Fatalf("nil check %+v", c)
	}
	if c := Check(&atoms.SecurityCheck{Status: "FAILED", Reason: "r"}); c.Outcome() != platform.CheckFailed || c.Reason != "r" {
		t.Fatalf("check %+v", c)
	}
}

// canon re-encodes JSON with sorted keys.
func canon(s string) string {
	var v any
	_ = json.Unmarshal([]byte(s), &v)
	b, _ := json.Marshal(v)
	return string(b)
}
