package atoms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestKeyNeverLeaks drives every error path with a server (or transport)
// that echoes the Authorization header back wherever it can, and checks the
// key is in no error string and no log line.
func TestKeyNeverLeaks(t *testing.T) {
	echo := func(r *http.Request) string { return r.Header.Get("Authorization") }
	tests := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, n int)
		rt     func(r *http.Request) (*http.Response, error) // instead of the server
		call   func(context.Context, *Client) error
		opts   func(*Options)
		// dropped: the echo sits only where the client drops it whole
		// (a request id that is not one), so no marker shows.
		dropped bool
	}{
		{
			name: "json error messages, type and request id",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 401, `{"status":false,"errors":["Unauthorized: bad token `+echo(r)+`"],"error_type":"`+echo(r)+`"}`,
					"X-Request-Id", echo(r))
			},
			call: getAgent,
		},
		{
			name: "error objects and message member",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 400, `{"status":false,"errors":[{"message":"`+echo(r)+`"},{"token":"`+echo(r)+`"}],"message":"`+echo(r)+`"}`)
			},
			call: getAgent,
		},
		{
			name: "html body",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 404, "<pre>Cannot GET "+echo(r)+"</pre>", "Content-Type", "text/html")
			},
			call: getAgent,
		},
		{
			name: "non-json success",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 200, "ok "+echo(r), "Content-Type", "text/plain")
			},
			call: getAgent,
		},
		{
			name: "success of the wrong shape",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				ok(w, 200, `{"versions":"`+echo(r)+`","total":"`+echo(r)+`"}`)
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ListVersions(ctx, "a1", ListVersionsOptions{})
				return err
			},
		},
		{
			name: "retries exhausted",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 503, `{"status":false,"errors":["busy `+echo(r)+`"]}`, "Retry-After", "1")
			},
			call: getAgent,
		},
		{
			name: "cancelled while backing off",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 500, `{"status":false,"errors":["boom `+echo(r)+`"]}`)
			},
			call: func(ctx context.Context, c *Client) error {
				ctx, cancel := context.WithCancel(ctx)
				c.sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
				return getAgent(ctx, c)
			},
		},
		{
			name: "transport error quoting the header",
			rt: func(r *http.Request) (*http.Response, error) {
				return nil, fmt.Errorf("proxy refused request with %s", echo(r))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.PublishDraft(ctx, "a1", "d1", PublishRequest{})
				return err
			},
		},
		{
			name: "body read error quoting the header",
			rt: func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: failingBody{errors.New("reset after " + echo(r))}}, nil
			},
			call: getAgent,
		},
		{
			name: "migration",
			answer: func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 409, `{"status":false,"error_type":"versioning_v2_migration_required","errors":["`+echo(r)+`"]}`,
					"X-Request-Id", echo(r))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.CreateDraft(ctx, "a1", CreateDraftRequest{SourceVersionID: "v1"})
				return err
			},
			dropped: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			base := "https://api.example.test/atoms/v1"
			var hc *http.Client
			if tt.rt != nil {
				hc = &http.Client{Transport: roundTripFunc(tt.rt)}
			} else {
				base = newFakeAPI(t, tt.answer).URL()
			}
			c, _ := newTestClient(t, base, func(o *Options) {
				o.HTTPClient = hc
				o.MaxRetries = 2
				o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			err := tt.call(context.Background(), c)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", c), fmt.Sprintf("%+v", *c), logs.String()} {
				if strings.Contains(s, testKey) {
					t.Errorf("key leaked in %q", s)
				}
			}
			if logs.Len() == 0 {
				t.Error("nothing was logged; the log check proves nothing")
			}
			if !strings.Contains(err.Error()+logs.String(), "[REDACTED]") && tt.name != "success of the wrong shape" && !tt.dropped {
				t.Errorf("the echoed key was not redacted but dropped or never sent: %q", err.Error())
			}
		})
	}
}

func getAgent(ctx context.Context, c *Client) error {
	_, err := c.GetAgent(ctx, "a1", GetAgentOptions{})
	return err
}

type failingBody struct{ err error }

func (b failingBody) Read([]byte) (int, error) { return 0, b.err }
func (b failingBody) Close() error             { return nil }
