package atoms

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

// branchRetried are the branch-model calls the client retries, each with a
// valid answer.
var branchRetried = []struct {
	name string
	data string
	call func(context.Context, *Client) error
}{
	{"ListBranches", `{"branches":[]}`, func(ctx context.Context, c *Client) error { _, err := c.ListBranches(ctx, fxAgent); return err }},
	{"GetBranch", `{"branch":{"_id":"b"}}`, func(ctx context.Context, c *Client) error { _, err := c.GetBranch(ctx, fxAgent, fxBot); return err }},
	{"RenameBranch", `{"_id":"b","name":"n"}`, func(ctx context.Context, c *Client) error {
		_, err := c.RenameBranch(ctx, fxAgent, fxBot, "n")
		return err
	}},
	{"ArchiveBranch", `{"archived":true}`, func(ctx context.Context, c *Client) error { return c.ArchiveBranch(ctx, fxAgent, fxBot) }},
	{"MakeLive", `{"branch":{"_id":"b"},"isLive":true}`, makeLive},
	{"GetBranchDraft", `{"latest":{"_id":"d"}}`, getBranchDraft},
	{"DeleteBranchDraft", `{"discarded":true}`, func(ctx context.Context, c *Client) error { return c.DeleteBranchDraft(ctx, fxAgent, fxBot) }},
	{"CancelPublish", `{"cancelled":true}`, func(ctx context.Context, c *Client) error { return c.CancelPublish(ctx, fxAgent, fxBot) }},
	{"ListRevisions", `{"revisions":[],"total":0}`, func(ctx context.Context, c *Client) error {
		_, err := c.ListRevisions(ctx, fxAgent, fxMain, ListRevisionsOptions{Limit: 1})
		return err
	}},
	{"GetRevision", `{"revision":{"_id":"r"}}`, func(ctx context.Context, c *Client) error {
		_, err := c.GetRevision(ctx, fxAgent, fxMain, fxRev1)
		return err
	}},
	{"RevisionHistory", `{"revision":{"_id":"r"},"trail":[]}`, func(ctx context.Context, c *Client) error {
		_, err := c.RevisionHistory(ctx, fxAgent, fxMain, fxRev1)
		return err
	}},
	{"DiffRefs", `{"unchangedSections":[],"diffs":[]}`, func(ctx context.Context, c *Client) error {
		_, err := c.DiffRefs(ctx, fxAgent, fxRev1, DraftRef(fxBot))
		return err
	}},
}

// branchNotRetried are the branch-model calls that must never be sent twice.
var branchNotRetried = []struct {
	name string
	call func(context.Context, *Client) error
}{
	{"CreateBranch", createBranch},
	{"PutBranchDraft", putDraft},
	{"PublishBranchDraft", publish},
	{"RestoreRevision", func(ctx context.Context, c *Client) error {
		_, err := c.RestoreRevision(ctx, fxAgent, fxMain, fxRev1)
		return err
	}},
	{"BranchTestCall", func(ctx context.Context, c *Client) error {
		_, err := c.BranchTestCall(ctx, fxAgent, fxBot, TestCallRequest{})
		return err
	}},
}

// TestBranchCallsRetried: 500, then 429 with Retry-After, then success; each
// attempt sends the same request, after the server's delay for the 429.
func TestBranchCallsRetried(t *testing.T) {
	for _, tc := range branchRetried {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				switch n {
				case 0:
					reply(w, 500, `{"status":false,"errors":["Internal server error"]}`)
				case 1:
					reply(w, 429, `{"status":false,"errors":["slow down"]}`, "Retry-After", "2")
				default:
					ok(w, 200, tc.data)
				}
			})
			c, sl := newTestClient(t, f.URL(), nil)
			if err := tc.call(context.Background(), c); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests, want 3", len(reqs))
			}
			for _, r := range reqs[1:] {
				if r.Method != reqs[0].Method || r.Path != reqs[0].Path || r.RawQuery != reqs[0].RawQuery || string(r.Body) != string(reqs[0].Body) {
					t.Errorf("retry %s %s differs from the first %s %s", r.Method, r.Path, reqs[0].Method, reqs[0].Path)
				}
			}
			if s := sl.all(); len(s) != 2 || s[1].Seconds() != 2 {
				t.Errorf("sleeps %v, want a backoff then the 2s of Retry-After", s)
			}
		})
	}
}

// TestBranchCallsNotRetried: a fork, draft edit, publish, restore or test
// call is sent once whatever goes wrong, and the failure is ambiguous.
func TestBranchCallsNotRetried(t *testing.T) {
	failures := []struct {
		name   string
		answer func(t *testing.T, w http.ResponseWriter)
	}{
		{"500", func(t *testing.T, w http.ResponseWriter) { reply(w, 500, `{"status":false,"errors":["boom"]}`) }},
		{"429", func(t *testing.T, w http.ResponseWriter) {
			reply(w, 429, `{"status":false,"errors":["slow down"]}`, "Retry-After", "1")
		}},
		{"dropped connection", func(t *testing.T, w http.ResponseWriter) { dropConnection(t, w) }},
	}
	for _, tc := range branchNotRetried {
		for _, fl := range failures {
			t.Run(tc.name+"/"+fl.name, func(t *testing.T) {
				f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { fl.answer(t, w) })
				c, sl := newTestClient(t, f.URL(), nil)
				err := tc.call(context.Background(), c)
				if err == nil || !Ambiguous(err) {
					t.Errorf("err = %v, want an ambiguous error", err)
				}
				if n := len(f.requests()); n != 1 || len(sl.all()) != 0 {
					t.Errorf("%d requests, %d sleeps: want 1 and 0", n, len(sl.all()))
				}
			})
		}
	}
}

// TestBranchRefusalsNotRetried: the semantic 409s and the freeze end even a
// retried call at once.
func TestBranchRefusalsNotRetried(t *testing.T) {
	bodies := []struct {
		status int
		body   string
	}{
		{409, `{"status":false,"error_type":"no_committed_revision","errors":["no commit"]}`},
		{409, `{"status":false,"error_type":"publish_in_progress","errors":["busy"]}`},
		{423, `{"status":false,"error_type":"config_freeze_active","errors":["frozen"]}`},
		{403, `{"status":false,"errors":["archived"]}`},
	}
	for _, b := range bodies {
		for _, tc := range branchRetried {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, b.status, b.body) })
			c, _ := newTestClient(t, f.URL(), nil)
			err := tc.call(context.Background(), c)
			if err == nil || Ambiguous(err) || len(f.requests()) != 1 {
				t.Errorf("%s %d: err %v, %d requests: want one unambiguous failure", tc.name, b.status, err, len(f.requests()))
			}
		}
	}
}

// TestBranchDoneOnRetry: archive and draft discard retried after a lost
// answer count a not-found as done, but only on a retry.
func TestBranchDoneOnRetry(t *testing.T) {
	archive := func(ctx context.Context, c *Client) error { return c.ArchiveBranch(ctx, fxAgent, fxBot) }
	discard := func(ctx context.Context, c *Client) error { return c.DeleteBranchDraft(ctx, fxAgent, fxBot) }
	lost := func(w http.ResponseWriter) { reply(w, 502, "bad gateway") }
	notFound := func(msg string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { reply(w, 404, `{"status":false,"errors":["`+msg+`"]}`) }
	}
	tests := []struct {
		name    string
		answers []func(http.ResponseWriter)
		call    func(context.Context, *Client) error
		want    error // nil: success
	}{
		{"archive: 502 then not found", []func(http.ResponseWriter){lost, notFound("Branch not found")}, archive, nil},
		{"archive: not found at once", []func(http.ResponseWriter){notFound("Branch not found")}, archive, ErrNotFound},
		{"archive: 502 then forbidden", []func(http.ResponseWriter){lost, func(w http.ResponseWriter) {
			reply(w, 403, `{"status":false,"errors":["Cannot archive the live branch"]}`)
		}}, archive, ErrForbidden},
		{"discard: 502 then no draft", []func(http.ResponseWriter){lost, notFound("No open draft on this branch")}, discard, nil},
		{"discard: no draft at once", []func(http.ResponseWriter){notFound("No open draft on this branch")}, discard, ErrNoOpenDraft},
		{"discard: 502 then scanning", []func(http.ResponseWriter){lost, func(w http.ResponseWriter) {
			reply(w, 409, `{"status":false,"error_type":"publish_in_progress","errors":["busy"]}`)
		}}, discard, ErrPublishInProgress},
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
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if n := len(f.requests()); n != len(tt.answers) {
				t.Errorf("%d requests, want %d", n, len(tt.answers))
			}
		})
	}
}
