package atoms

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// idempotentCalls are the calls that are retried, each with a valid answer.
var idempotentCalls = []struct {
	name string
	data string
	call func(context.Context, *Client) error
}{
	{"GetAgent", `{"_id":"a1","name":"n"}`, func(ctx context.Context, c *Client) error {
		_, err := c.GetAgent(ctx, "a1", GetAgentOptions{})
		return err
	}},
	{"ListAgents", `{"agents":[],"totalCount":0}`, func(ctx context.Context, c *Client) error {
		_, err := c.ListAgents(ctx, ListAgentsOptions{})
		return err
	}},
	{"ListDrafts", `[]`, func(ctx context.Context, c *Client) error {
		_, err := c.ListDrafts(ctx, "a1")
		return err
	}},
	{"GetDraft", `{"latest":{"_id":"r1","draftId":"d1"}}`, func(ctx context.Context, c *Client) error {
		_, err := c.GetDraft(ctx, "a1", "d1", 0)
		return err
	}},
	{"DiffDraft", `{"unchangedSections":[],"diffs":[]}`, func(ctx context.Context, c *Client) error {
		_, err := c.DiffDraft(ctx, "a1", "d1", "")
		return err
	}},
	{"ListVersions", `{"versions":[],"total":0}`, func(ctx context.Context, c *Client) error {
		_, err := c.ListVersions(ctx, "a1", ListVersionsOptions{})
		return err
	}},
	{"GetVersion", `{"version":{"_id":"v1"}}`, func(ctx context.Context, c *Client) error {
		_, err := c.GetVersion(ctx, "a1", "v1")
		return err
	}},
	{"DiffVersions", `{"unchangedSections":[],"diffs":[]}`, func(ctx context.Context, c *Client) error {
		_, err := c.DiffVersions(ctx, "a1", "v1", "v2")
		return err
	}},
	{"ActivateVersion", `{"_id":"v1","isActive":true}`, func(ctx context.Context, c *Client) error {
		_, err := c.ActivateVersion(ctx, "a1", "v1")
		return err
	}},
	{"UpdateVersion", `{"_id":"v1","label":"x"}`, func(ctx context.Context, c *Client) error {
		_, err := c.UpdateVersion(ctx, "a1", "v1", VersionMetadata{Label: ptr("x")})
		return err
	}},
	{"RenameDraft", `{"draftName":"x"}`, func(ctx context.Context, c *Client) error {
		return c.RenameDraft(ctx, "a1", "d1", "x")
	}},
	{"ArchiveAgent", `{"message":"Agent archived"}`, func(ctx context.Context, c *Client) error {
		return c.ArchiveAgent(ctx, "a1", true)
	}},
	{"DeleteDraft", `null`, func(ctx context.Context, c *Client) error {
		return c.DeleteDraft(ctx, "a1", "d1")
	}},
}

// nonIdempotentCalls must never be sent twice by the client.
var nonIdempotentCalls = []struct {
	name string
	call func(context.Context, *Client) error
}{
	{"CreateAgent", func(ctx context.Context, c *Client) error {
		_, err := c.CreateAgent(ctx, CreateAgentRequest{Name: "n"})
		return err
	}},
	{"CreateDraft", func(ctx context.Context, c *Client) error {
		_, err := c.CreateDraft(ctx, "a1", CreateDraftRequest{SourceVersionID: "v1"})
		return err
	}},
	{"PublishDraft", func(ctx context.Context, c *Client) error {
		_, err := c.PublishDraft(ctx, "a1", "d1", PublishRequest{Label: "l"})
		return err
	}},
	{"UpdateDraftConfig", func(ctx context.Context, c *Client) error {
		_, err := c.UpdateDraftConfig(ctx, "a1", "d1", ConfigPatch{FirstMessage: ptr("hi")})
		return err
	}},
	{"StartOutboundCall", func(ctx context.Context, c *Client) error {
		_, err := c.StartOutboundCall(ctx, OutboundCallRequest{AgentID: "a1", PhoneNumber: "+15550100"})
		return err
	}},
	{"DraftTestCall", func(ctx context.Context, c *Client) error {
		_, err := c.DraftTestCall(ctx, "a1", "d1", TestCallRequest{Mode: TestCallTelephony, ToPhone: "+15550100"})
		return err
	}},
	{"VersionTestCall", func(ctx context.Context, c *Client) error {
		_, err := c.VersionTestCall(ctx, "a1", "v1", TestCallRequest{})
		return err
	}},
}

// TestIdempotentCallsRetried: 500, 503, network drop, then success; each
// attempt sends the same request.
func TestIdempotentCallsRetried(t *testing.T) {
	for _, tc := range idempotentCalls {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				switch n {
				case 0:
					reply(w, 500, `{"status":false,"errors":["Internal server error"]}`)
				case 1:
					reply(w, 503, `<html>unavailable</html>`, "Content-Type", "text/html")
				case 2:
					dropConnection(t, w)
				default:
					ok(w, 200, tc.data)
				}
			})
			obs := &recObserver{}
			c, sl := newTestClient(t, f.URL(), func(o *Options) {
				o.Observer = obs
				// Without keep-alive the transport cannot replay the dropped
				// GET on its own, so the drop reaches the client.
				o.HTTPClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			})
			if err := tc.call(context.Background(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 4 {
				t.Fatalf("%d requests, want 4", len(reqs))
			}
			for _, r := range reqs[1:] {
				if r.Method != reqs[0].Method || r.Path != reqs[0].Path || r.RawQuery != reqs[0].RawQuery || string(r.Body) != string(reqs[0].Body) {
					t.Errorf("retry %s %s?%s %s differs from first %s %s?%s %s",
						r.Method, r.Path, r.RawQuery, r.Body, reqs[0].Method, reqs[0].Path, reqs[0].RawQuery, reqs[0].Body)
				}
			}
			if len(sl.all()) != 3 || len(obs.retries) != 3 {
				t.Errorf("sleeps %v, retries %v: want 3 each", sl.all(), obs.retries)
			}
			statuses := make([]string, len(obs.calls))
			for i, s := range obs.calls {
				statuses[i] = s[strings.LastIndexByte(s, ' ')+1:]
			}
			if !slices.Equal(statuses, []string{"500", "503", "0", "200"}) {
				t.Errorf("observed statuses %v, want [500 503 0 200]", statuses)
			}
		})
	}
}

// dropConnection closes the connection without an answer.
func dropConnection(t *testing.T, w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		t.Error("response writer cannot hijack")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// TestNonIdempotentNotRetried: fork, publish, create, config edit,
// outbound and test calls are sent once whatever goes wrong, and the failure is
// reported as ambiguous.
func TestNonIdempotentNotRetried(t *testing.T) {
	failures := []struct {
		name   string
		answer func(t *testing.T, w http.ResponseWriter)
	}{
		{"500", func(t *testing.T, w http.ResponseWriter) {
			reply(w, 500, `{"status":false,"errors":["Internal server error"]}`)
		}},
		{"429 with Retry-After", func(t *testing.T, w http.ResponseWriter) {
			reply(w, 429, `{"status":false,"errors":["slow down"]}`, "Retry-After", "1")
		}},
		{"dropped connection", func(t *testing.T, w http.ResponseWriter) { dropConnection(t, w) }},
	}
	for _, tc := range nonIdempotentCalls {
		for _, fl := range failures {
			t.Run(tc.name+"/"+fl.name, func(t *testing.T) {
				f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { fl.answer(t, w) })
				c, sl := newTestClient(t, f.URL(), nil)
				err := tc.call(context.Background(), c)
				if err == nil {
					t.Fatal("want an error")
				}
				if !Ambiguous(err) {
					t.Errorf("Ambiguous(%v) = false, want true", err)
				}
				if n := len(f.requests()); n != 1 {
					t.Errorf("%d requests, want exactly 1", n)
				}
				if s := sl.all(); len(s) != 0 {
					t.Errorf("slept %v, want no backoff", s)
				}
			})
		}
	}
}

func TestClientErrorsNotRetried(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, status, `{"status":false,"errors":["no"]}`)
			})
			c, _ := newTestClient(t, f.URL(), nil)
			_, err := c.GetAgent(context.Background(), "a1", GetAgentOptions{})
			if err == nil || Ambiguous(err) {
				t.Errorf("err = %v, want a non-ambiguous error", err)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// TestDoneOnRetry: archive and delete retried after a lost answer treat
// "already done" as success, but only on a retry.
func TestDoneOnRetry(t *testing.T) {
	tests := []struct {
		name    string
		answers []func(http.ResponseWriter)
		call    func(context.Context, *Client) error
		wantErr bool
	}{
		{
			name: "archive: 502 then already archived",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 502, "bad gateway") },
				func(w http.ResponseWriter) { reply(w, 409, `{"status":false,"errors":["Agent is already archived"]}`) },
			},
			call: func(ctx context.Context, c *Client) error { return c.ArchiveAgent(ctx, "a1", true) },
		},
		{
			name: "archive: already archived on the first attempt",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 409, `{"status":false,"errors":["Agent is already archived"]}`) },
			},
			call:    func(ctx context.Context, c *Client) error { return c.ArchiveAgent(ctx, "a1", true) },
			wantErr: true,
		},
		{
			name: "unarchive: 502 then already active",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 502, "bad gateway") },
				func(w http.ResponseWriter) { reply(w, 409, `{"status":false,"errors":["Agent is already active"]}`) },
			},
			call: func(ctx context.Context, c *Client) error { return c.ArchiveAgent(ctx, "a1", false) },
		},
		{
			name: "archive: 502 then already active is wrong",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 502, "bad gateway") },
				func(w http.ResponseWriter) { reply(w, 409, `{"status":false,"errors":["Agent is already active"]}`) },
			},
			call:    func(ctx context.Context, c *Client) error { return c.ArchiveAgent(ctx, "a1", true) },
			wantErr: true,
		},
		{
			name: "archive: 502 then campaign conflict",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 502, "bad gateway") },
				func(w http.ResponseWriter) {
					reply(w, 409, `{"status":false,"errors":["Agent is linked to an active campaign"]}`)
				},
			},
			call:    func(ctx context.Context, c *Client) error { return c.ArchiveAgent(ctx, "a1", true) },
			wantErr: true,
		},
		{
			name: "delete draft: 504 then not found",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 504, "") },
				func(w http.ResponseWriter) { reply(w, 404, `{"status":false,"errors":["Draft not found"]}`) },
			},
			call: func(ctx context.Context, c *Client) error { return c.DeleteDraft(ctx, "a1", "d1") },
		},
		{
			name: "delete draft: not found on the first attempt",
			answers: []func(http.ResponseWriter){
				func(w http.ResponseWriter) { reply(w, 404, `{"status":false,"errors":["Draft not found"]}`) },
			},
			call:    func(ctx context.Context, c *Client) error { return c.DeleteDraft(ctx, "a1", "d1") },
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n < len(tt.answers) {
					tt.answers[n](w)
					return
				}
				t.Errorf("unexpected request %d", n)
				reply(w, 500, "")
			})
			c, _ := newTestClient(t, f.URL(), nil)
			err := tt.call(context.Background(), c)
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if n := len(f.requests()); n != len(tt.answers) {
				t.Errorf("%d requests, want %d", n, len(tt.answers))
			}
		})
	}
}
