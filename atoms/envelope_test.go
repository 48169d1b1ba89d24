package atoms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestErrorMapping feeds GetAgent and ActivateVersion the answers the API is
// documented (or known) to give and checks the typed error each becomes.
func TestErrorMapping(t *testing.T) {
	const htmlNotFound = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Error</title></head>\n" +
		"<body>\n<pre>Cannot GET /atoms/v1/agent/abc/nope</pre>\n</body>\n</html>\n"
	const migration = `{"status": false, "error_type": "versioning_v2_migration_required",
		"errors": ["This endpoint is deprecated under the branch model. Use the /agents/:id/branches APIs — publish, make-live and config edits now happen on branches. If you are calling this via the MCP server, update the MCP tool to its branch-model version as well."]}`

	type want struct {
		status     int
		messages   []string
		typ        string
		body       string // substring of APIError.Body; "" means Body must be empty
		requestID  string
		deprecated bool
		notFound   bool
		pending    bool
		migration  bool
		errSubstr  []string
	}
	tests := []struct {
		name    string
		status  int
		body    string
		headers []string
		want    want
	}{
		{
			name: "json 404 is not found", status: 404,
			body: `{"status":false,"errors":["Agent not found"]}`,
			want: want{status: 404, messages: []string{"Agent not found"}, notFound: true,
				errSubstr: []string{"PATCH /agent/{id}/versions/{versionId}/activate: 404 Agent not found"}},
		},
		{
			name: "400 No agent found is not found", status: 400,
			body: `{"status":false,"errors":["No agent found"]}`,
			want: want{status: 400, messages: []string{"No agent found"}, notFound: true},
		},
		{
			name: "400 invalid id is not not-found", status: 400,
			body: `{"status":false,"errors":["Invalid agent id"]}`,
			want: want{status: 400, messages: []string{"Invalid agent id"}},
		},
		{
			name: "html 404 of an unknown route", status: 404, body: htmlNotFound,
			headers: []string{"Content-Type", "text/html; charset=utf-8"},
			want: want{status: 404, body: "Cannot GET /atoms/v1/agent/abc/nope",
				errSubstr: []string{`404 "Error Cannot GET /atoms/v1/agent/abc/nope"`}},
		},
		{
			name: "2xx with status false", status: 200,
			body: `{"status":false,"errors":["Something went wrong"]}`,
			want: want{status: 200, messages: []string{"Something went wrong"}},
		},
		{
			name: "2xx that is not json", status: 200, body: "OK",
			headers: []string{"Content-Type", "text/plain"},
			want:    want{status: 200, body: "OK"},
		},
		{
			name: "2xx without envelope", status: 200, body: `{"version":{"_id":"v1"}}`,
			want: want{status: 200, messages: []string{"answer has no status envelope"}},
		},
		{
			name: "migration 409", status: 409, body: migration,
			headers: []string{"Deprecation", "true", "X-Request-Id", "req-42"},
			want: want{status: 409, typ: MigrationErrorType, requestID: "req-42", deprecated: true, migration: true,
				messages:  []string{"This endpoint is deprecated under the branch model. Use the /agents/:id/branches APIs — publish, make-live and config edits now happen on branches. If you are calling this via the MCP server, update the MCP tool to its branch-model version as well."},
				errSubstr: []string{"has moved to the branch-based versioning model", "409", "[request req-42]"}},
		},
		{
			name: "other 409 is not migration", status: 409,
			body: `{"status":false,"error_type":"publish_in_progress","errors":["A publish is in progress"]}`,
			want: want{status: 409, typ: "publish_in_progress", messages: []string{"A publish is in progress"},
				errSubstr: []string{"(publish_in_progress)"}},
		},
		{
			name: "activation while the check is pending", status: 400,
			body: `{"status":false,"errors":["Security check pending"]}`,
			want: want{status: 400, messages: []string{"Security check pending"}, pending: true},
		},
		{
			name: "activation refused, worded differently", status: 409,
			body: `{"status":false,"errors":["Cannot activate: the version's security check has not completed"]}`,
			want: want{status: 409, messages: []string{"Cannot activate: the version's security check has not completed"}, pending: true},
		},
		{
			name: "failed check is not pending", status: 400,
			body: `{"status":false,"errors":["Security check failed: prompt injection"]}`,
			want: want{status: 400, messages: []string{"Security check failed: prompt injection"}},
		},
		{
			name: "errors as objects", status: 400,
			body: `{"status":false,"errors":[{"message":"Expected boolean, received null","path":["isPinned"]},{"code":7}]}`,
			want: want{status: 400, messages: []string{"Expected boolean, received null", `{"code":7}`}},
		},
		{
			name: "errors as a string", status: 403,
			body: `{"status":false,"errors":"not available for your organization"}`,
			want: want{status: 403, messages: []string{"not available for your organization"}},
		},
		{
			name: "rate-limit body of the docs", status: 429,
			body: `{"status":false,"error":"Rate limit exceeded","code":"RATE_LIMIT_EXCEEDED","retry_after":60}`,
			want: want{status: 429, messages: []string{"Rate limit exceeded"}},
		},
		{
			name: "prompt-scoring rate-limit body", status: 429,
			body: `{"message":"Rate limit exceeded","rateLimit":{"routeClass":"prompt-scoring","limit":10,"retryAfterSec":60}}`,
			want: want{status: 429, messages: []string{"Rate limit exceeded"}},
		},
		{
			name: "proxy 502 page", status: 502, body: "<html><body><h1>502 Bad Gateway</h1></body></html>",
			headers: []string{"Content-Type", "text/html"},
			want:    want{status: 502, body: "502 Bad Gateway"},
		},
		{
			name: "empty 503", status: 503, body: "",
			want: want{status: 503, body: "(empty body)"},
		},
		{
			name: "json error body that is not an object", status: 500, body: `"boom"`,
			want: want{status: 500, body: `"boom"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, tt.status, tt.body, tt.headers...)
			})
			c, _ := newTestClient(t, f.URL(), func(o *Options) { o.MaxRetries = -1 })
			_, err := c.ActivateVersion(context.Background(), "agent1", "ver1")
			if err == nil {
				t.Fatal("want an error, got nil")
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T) is not an *APIError", err, err)
			}
			w := tt.want
			if ae.Status != w.status || ae.Type != w.typ || ae.RequestID != w.requestID || ae.Deprecated != w.deprecated {
				t.Errorf("status/type/request/deprecated = %d %q %q %v, want %d %q %q %v",
					ae.Status, ae.Type, ae.RequestID, ae.Deprecated, w.status, w.typ, w.requestID, w.deprecated)
			}
			if ae.Method != http.MethodPatch || ae.Path != "/agent/{id}/versions/{versionId}/activate" {
				t.Errorf("method/path = %s %s", ae.Method, ae.Path)
			}
			if strings.Join(ae.Messages, "|") != strings.Join(w.messages, "|") {
				t.Errorf("messages = %q, want %q", ae.Messages, w.messages)
			}
			if (w.body == "") != (ae.Body == "") || !strings.Contains(ae.Body, w.body) {
				t.Errorf("body = %q, want it to contain %q", ae.Body, w.body)
			}
			for _, c := range []struct {
				sentinel error
				want     bool
			}{{ErrNotFound, w.notFound}, {ErrSecurityCheckPending, w.pending}, {ErrMigrationRequired, w.migration}} {
				if got := errors.Is(err, c.sentinel); got != c.want {
					t.Errorf("errors.Is(err, %q) = %v, want %v", c.sentinel, got, c.want)
				}
			}
			for _, s := range w.errSubstr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Error() = %q, want it to contain %q", err.Error(), s)
				}
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// TestMigrationNeverRetried: the 409 is final even for an idempotent call
// with retries enabled, and its message explains the branch model.
func TestMigrationNeverRetried(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 409, `{"status":false,"error_type":"versioning_v2_migration_required","errors":["deprecated"]}`, "Deprecation", "true")
	})
	c, sl := newTestClient(t, f.URL(), nil)
	_, err := c.ListVersions(context.Background(), "agent1", ListVersionsOptions{})
	if !errors.Is(err, ErrMigrationRequired) {
		t.Fatalf("err = %v, want ErrMigrationRequired", err)
	}
	if !strings.HasPrefix(err.Error(), ErrMigrationRequired.Error()) {
		t.Errorf("Error() = %q, want it to start with the sentinel's explanation", err.Error())
	}
	if n := len(f.requests()); n != 1 || len(sl.all()) != 0 {
		t.Errorf("%d requests and %d sleeps, want 1 and 0", n, len(sl.all()))
	}
	if Ambiguous(err) {
		t.Error("Ambiguous(migration 409) = true, want false")
	}
}

// TestDecodeMismatchedSuccess: a 2xx whose data has another shape is a
// decode error, not a panic and not an APIError.
func TestDecodeMismatchedSuccess(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		ok(w, 200, `{"versions":"not a list","total":1}`)
	})
	c, _ := newTestClient(t, f.URL(), nil)
	_, err := c.ListVersions(context.Background(), "agent1", ListVersionsOptions{})
	var typeErr *json.UnmarshalTypeError
	if !errors.As(err, &typeErr) {
		t.Fatalf("err = %v, want a wrapped *json.UnmarshalTypeError", err)
	}
	var ae *APIError
	if errors.As(err, &ae) || Ambiguous(err) {
		t.Errorf("err = %v: want neither an APIError nor ambiguous", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("%d requests, want 1 (a decode error is not retried)", n)
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("é", 300) // 2 bytes each
	tests := []struct {
		name, in, want string
	}{
		{"express 404", "<pre>Cannot GET /atoms/v1/organization</pre>\n", "Cannot GET /atoms/v1/organization"},
		{"whitespace collapsed", "  a \n\t b  ", "a b"},
		{"empty", "", "(empty body)"},
		{"only tags", "<html><body></body></html>", "(empty body)"},
		{"cut on a rune boundary", long, strings.Repeat("é", maxExcerpt/2) + "…"},
	}
	c, _ := newTestClient(t, "https://api.example.test/atoms/v1", nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.excerpt([]byte(tt.in))
			if got != tt.want {
				t.Errorf("excerpt = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("excerpt %q is not valid UTF-8", got)
			}
		})
	}
}
