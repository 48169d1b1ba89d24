package atoms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestNoNullForZeroValues: requests built from zero-valued optional parts
// carry no null and no empty placeholders for unset fields.
func TestNoNullForZeroValues(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"create agent", CreateAgentRequest{Name: "n"}, `{"name":"n"}`},
		{"create agent with empty language", CreateAgentRequest{Name: "n", Language: &Language{}}, `{"name":"n","language":{"switching":{}}}`},
		{"language switching kept", ConfigPatch{Language: &Language{Switching: &LanguageSwitching{IsEnabled: ptr(true)}}}, `{"language":{"switching":{"isEnabled":true}}}`},
		{"synthesizer without voice", ConfigPatch{Synthesizer: &Synthesizer{Speed: ptr(1.2)}}, `{"synthesizer":{"speed":1.2}}`},
		{"tool without enabled", ConfigPatch{SinglePromptConfig: &SinglePromptConfig{Prompt: "p", Tools: []Tool{{Type: "end_call", Name: "e", Description: "d"}}}},
			`{"singlePromptConfig":{"prompt":"p","tools":[{"type":"end_call","name":"e","description":"d"}]}}`},
		{"extra null dropped", ConfigPatch{FirstMessage: ptr(""), Extra: Extra{"timezone": json.RawMessage("null")}}, `{"firstMessage":""}`},
		{"draft", CreateDraftRequest{SourceDraftID: "d1"}, `{"sourceDraftId":"d1"}`},
		{"publish", PublishRequest{}, `{}`},
		{"metadata", VersionMetadata{Description: ptr("")}, `{"description":""}`},
		{"outbound", OutboundCallRequest{AgentID: "a", PhoneNumber: "+1"}, `{"agentId":"a","phoneNumber":"+1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			assertNoNull(t, b)
			assertJSONBody(t, b, tt.want)
		})
	}
}

// TestRefusedLocally: calls that would be wrong are refused without a request.
func TestRefusedLocally(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"empty agent id", func(ctx context.Context, c *Client) error {
			_, err := c.GetAgent(ctx, "", GetAgentOptions{})
			return err
		}},
		{"empty draft id", func(ctx context.Context, c *Client) error {
			_, err := c.PublishDraft(ctx, "a1", "", PublishRequest{})
			return err
		}},
		{"empty version id", func(ctx context.Context, c *Client) error { _, err := c.ActivateVersion(ctx, "a1", ""); return err }},
		{"draft and version", func(ctx context.Context, c *Client) error {
			_, err := c.GetAgent(ctx, "a1", GetAgentOptions{DraftID: "d", VersionID: "v"})
			return err
		}},
		{"empty config patch", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateDraftConfig(ctx, "a1", "d1", ConfigPatch{Extra: Extra{"x": json.RawMessage("null")}})
			return err
		}},
		{"empty metadata", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateVersion(ctx, "a1", "v1", VersionMetadata{})
			return err
		}},
		{"empty agent name", func(ctx context.Context, c *Client) error {
			_, err := c.CreateAgent(ctx, CreateAgentRequest{Name: " "})
			return err
		}},
		{"empty draft name", func(ctx context.Context, c *Client) error { return c.RenameDraft(ctx, "a1", "d1", "") }},
		{"one version to diff", func(ctx context.Context, c *Client) error { _, err := c.DiffVersions(ctx, "a1", "v1", ""); return err }},
		{"history limit", func(ctx context.Context, c *Client) error { _, err := c.GetDraft(ctx, "a1", "d1", 101); return err }},
		{"version limit", func(ctx context.Context, c *Client) error {
			_, err := c.ListVersions(ctx, "a1", ListVersionsOptions{Limit: 500})
			return err
		}},
		{"negative page", func(ctx context.Context, c *Client) error {
			_, err := c.ListAgents(ctx, ListAgentsOptions{Page: -1})
			return err
		}},
		{"outbound without phone", func(ctx context.Context, c *Client) error {
			_, err := c.StartOutboundCall(ctx, OutboundCallRequest{AgentID: "a1"})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{}`) })
			c, _ := newTestClient(t, f.URL(), nil)
			err := tt.call(context.Background(), c)
			if !errors.Is(err, ErrInvalidArgument) || Ambiguous(err) {
				t.Errorf("err = %v, want ErrInvalidArgument", err)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("%d requests, want 0", n)
			}
		})
	}
}

func TestCreateAgentAnswerWithoutID(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 201, `{"name":"x"}`) })
	c, _ := newTestClient(t, f.URL(), nil)
	if _, err := c.CreateAgent(context.Background(), CreateAgentRequest{Name: "x"}); err == nil || !strings.Contains(err.Error(), "no id") {
		t.Errorf("err = %v, want a missing-id error", err)
	}
}

func TestOutboundTestHeader(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{"conversationId":"CALL-1"}`) })
	c, _ := newTestClient(t, f.URL(), nil)
	for _, test := range []bool{true, false} {
		if _, err := c.StartOutboundCall(context.Background(), OutboundCallRequest{AgentID: "a", PhoneNumber: "+1", Test: test}); err != nil {
			t.Fatal(err)
		}
	}
	reqs := f.requests()
	if got := reqs[0].Header.Get("X-Test-Call"); got != "true" {
		t.Errorf("test call header = %q, want true", got)
	}
	if got := reqs[1].Header.Values("X-Test-Call"); len(got) != 0 {
		t.Errorf("real call has x-test-call %q", got)
	}
	if bytes.Contains(reqs[0].Body, []byte("test")) {
		t.Errorf("Test leaked into the body: %s", reqs[0].Body)
	}
}

func TestPathEscaping(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{"latest":{}}`) })
	c, _ := newTestClient(t, f.URL(), nil)
	if _, err := c.GetDraft(context.Background(), "a1", "draft/with space?", 0); err != nil {
		t.Fatal(err)
	}
	if got := f.requests()[0].Path; got != "/agent/a1/drafts/draft%2Fwith%20space%3F" {
		t.Errorf("path = %q", got)
	}
}
