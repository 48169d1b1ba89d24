package atoms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// branchSentinels are every sentinel an API answer can match.
var branchSentinels = []error{
	ErrNotFound, ErrSecurityCheckPending, ErrMigrationRequired, ErrConfigFrozen, ErrPublishInProgress,
	ErrBranchNameExists, ErrSourceHasNoCommit, ErrSourceScanning, ErrNoCommittedRevision,
	ErrBaseRevisionUnavailable, ErrDraftConflict, ErrNoOpenDraft, ErrForbidden,
}

func putDraft(ctx context.Context, c *Client) error {
	_, err := c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{Config: ConfigPatch{GlobalPrompt: ptr("x")}, ExpectedRevision: ptr(3)})
	return err
}

func getBranchDraft(ctx context.Context, c *Client) error {
	_, err := c.GetBranchDraft(ctx, fxAgent, fxBot)
	return err
}

func makeLive(ctx context.Context, c *Client) error {
	_, err := c.MakeLive(ctx, fxAgent, fxBot)
	return err
}

func publish(ctx context.Context, c *Client) error {
	_, err := c.PublishBranchDraft(ctx, fxAgent, fxBot, "l")
	return err
}

func createBranch(ctx context.Context, c *Client) error {
	_, err := c.CreateBranch(ctx, fxAgent, CreateBranchRequest{SourceBranchID: fxMain, Name: "n"})
	return err
}

const richConflict = `{"status":false,"errors":["workflow_prompt.globalPrompt","call_handling.firstMessage"],` +
	`"data":{"conflict":{"expectedRevision":3,"latestRevision":5,"diffs":[` +
	`{"section":"workflow_prompt","changes":[{"path":"globalPrompt","oldValue":"A","newValue":"B"}]},` +
	`{"section":"call_handling","changes":[{"path":"firstMessage","oldValue":"Hi","newValue":null}]}]}}}`

// TestBranchErrorMapping: each documented refusal becomes an *APIError that
// matches exactly its sentinels, is neither retried nor Ambiguous, and reads
// short.
func TestBranchErrorMapping(t *testing.T) {
	tests := []struct {
		name     string
		call     func(context.Context, *Client) error
		status   int
		body     string
		headers  []string
		want     []error
		conflict *DraftConflict // wanted DraftConflictOf result
		inText   string
	}{
		{
			name: "lean conflict", call: putDraft, status: 409,
			body: `{"status":false,"errors":["workflow_prompt.prompt","call_handling.firstMessage","voice.synthesizer.voiceConfig.voiceId","workflow_tools.tools[0].name"]}`,
			want: []error{ErrDraftConflict},
			conflict: &DraftConflict{Paths: []string{"workflow_prompt.prompt", "call_handling.firstMessage",
				"voice.synthesizer.voiceConfig.voiceId", "workflow_tools.tools[0].name"}},
			inText: "409 workflow_prompt.prompt; call_handling.firstMessage",
		},
		{
			name: "rich conflict", call: putDraft, status: 409, body: richConflict,
			want: []error{ErrDraftConflict},
			conflict: &DraftConflict{Paths: []string{"workflow_prompt.globalPrompt", "call_handling.firstMessage"},
				ExpectedRevision: 3, LatestRevision: 5, Changes: []SectionDiff{
					{Section: "workflow_prompt", Changes: []Change{{Path: "globalPrompt", Old: []byte(`"A"`), New: []byte(`"B"`)}}},
					{Section: "call_handling", Changes: []Change{{Path: "firstMessage", Old: []byte(`"Hi"`), New: []byte(`null`)}}},
				}},
		},
		{
			name: "rich conflict whose message is prose", call: putDraft, status: 409,
			body: `{"status":false,"errors":["Draft changed since revision 1"],"data":{"conflict":{"expectedRevision":1,"latestRevision":2,` +
				`"diffs":[{"section":"llm","changes":[{"path":"slmModel","oldValue":"a","newValue":"b"}]}]}}}`,
			want: []error{ErrDraftConflict},
			conflict: &DraftConflict{Paths: []string{"llm.slmModel"}, ExpectedRevision: 1, LatestRevision: 2,
				Changes: []SectionDiff{{Section: "llm", Changes: []Change{{Path: "slmModel", Old: []byte(`"a"`), New: []byte(`"b"`)}}}}},
		},
		{
			name: "rich conflict with odd data is still lean", call: putDraft, status: 409,
			body: `{"status":false,"errors":["llm.slmModel"],"data":{"conflict":"yes"}}`,
			want: []error{ErrDraftConflict}, conflict: &DraftConflict{Paths: []string{"llm.slmModel"}},
		},
		{
			name: "base revision unavailable", call: putDraft, status: 409,
			body: `{"status":false,"errors":["base_revision_unavailable"]}`,
			want: []error{ErrBaseRevisionUnavailable},
		},
		{
			name: "a message that is not a path", call: putDraft, status: 409,
			body: `{"status":false,"errors":["workflow_prompt.prompt","Draft is locked"]}`,
		},
		{
			name: "an unknown section", call: putDraft, status: 409,
			body: `{"status":false,"errors":["billing.plan"]}`,
		},
		{
			name: "paths with an error_type", call: putDraft, status: 409,
			body: `{"status":false,"error_type":"publish_in_progress","errors":["workflow_prompt.prompt"]}`,
			want: []error{ErrPublishInProgress},
		},
		{
			name: "paths on a 400", call: putDraft, status: 400,
			body: `{"status":false,"errors":["workflow_prompt.prompt"]}`,
		},
		{
			name: "freeze", call: putDraft, status: 423,
			body: `{"status":false,"error_type":"config_freeze_active","errors":["Agent configuration is frozen for maintenance. Retry after the freeze window."]}`,
			want: []error{ErrConfigFrozen}, inText: "423",
		},
		{
			name: "bare 423", call: makeLive, status: 423, body: `{"status":false,"errors":["Locked"]}`,
			want: []error{ErrConfigFrozen},
		},
		{
			name: "branch name exists", call: createBranch, status: 409,
			body: `{"status":false,"error_type":"branch_name_exists","errors":["A branch named n already exists"]}`,
			want: []error{ErrBranchNameExists}, inText: "(branch_name_exists)",
		},
		{
			name: "source has no commit", call: createBranch, status: 409,
			body: `{"status":false,"error_type":"source_has_no_commit","errors":["Source branch has no committed revision"]}`,
			want: []error{ErrSourceHasNoCommit},
		},
		{
			name: "source scanning", call: createBranch, status: 409,
			body: `{"status":false,"error_type":"source_scanning","errors":["Source branch is scanning"]}`,
			want: []error{ErrSourceScanning},
		},
		{
			name: "publish in progress", call: publish, status: 409,
			body: `{"status":false,"error_type":"publish_in_progress","errors":["A publish is already in progress"]}`,
			want: []error{ErrPublishInProgress},
		},
		{
			name: "no committed revision", call: makeLive, status: 409,
			body: `{"status":false,"error_type":"no_committed_revision","errors":["Branch has no committed revision"]}`,
			want: []error{ErrNoCommittedRevision},
		},
		{
			name: "scan-failed re-publish", call: publish, status: 409,
			body: `{"status":false,"error_type":"security_check_failed","errors":["Security check failed; edit the draft"]}`,
		},
		{
			name: "restore of the head", status: 409,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RestoreRevision(ctx, fxAgent, fxMain, fxRev1)
				return err
			},
			body: `{"status":false,"errors":["Revision is already the head of this branch"]}`,
		},
		{
			name: "make-live of an archived branch", call: makeLive, status: 403,
			body: `{"status":false,"errors":["Cannot make an archived branch live"]}`,
			want: []error{ErrForbidden},
		},
		{
			// The v1 sentinel's loose match also reads this one as "not yet".
			name: "make-live before the scan passed", call: makeLive, status: 403,
			body: `{"status":false,"errors":["Head revision has not passed the security check"]}`,
			want: []error{ErrForbidden, ErrSecurityCheckPending},
		},
		{
			name: "no open draft", call: getBranchDraft, status: 404,
			body: `{"status":false,"errors":["No open draft on this branch"]}`,
			want: []error{ErrNotFound, ErrNoOpenDraft},
		},
		{
			name: "publish without a draft", call: publish, status: 404,
			body: `{"status":false,"errors":["Resource not found"]}`,
			want: []error{ErrNotFound, ErrNoOpenDraft},
		},
		{
			name: "draft route of a missing branch", call: getBranchDraft, status: 404,
			body: `{"status":false,"errors":["Branch not found"]}`,
			want: []error{ErrNotFound},
		},
		{
			name: "missing branch", status: 404,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetBranch(ctx, fxAgent, fxBot); return err },
			body: `{"status":false,"errors":["Branch not found"]}`,
			want: []error{ErrNotFound},
		},
		{
			name: "missing revision", status: 404,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetRevision(ctx, fxAgent, fxMain, fxRev2)
				return err
			},
			body: `{"status":false,"errors":["Revision not found"]}`,
			want: []error{ErrNotFound},
		},
		{
			name: "host without the branch model", status: 404,
			call:    func(ctx context.Context, c *Client) error { _, err := c.ListBranches(ctx, fxAgent); return err },
			body:    "<pre>Cannot GET /atoms/v1/agent/x/branches</pre>",
			headers: []string{"Content-Type", "text/html"},
		},
		{
			name: "migration", status: 409,
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateDraftConfig(ctx, fxAgent, "d1", ConfigPatch{FirstMessage: ptr("x")})
				return err
			},
			body:    `{"status":false,"error_type":"versioning_v2_migration_required","errors":["This endpoint is deprecated under the branch model."]}`,
			headers: []string{"Deprecation", "true"},
			want:    []error{ErrMigrationRequired},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, tt.status, tt.body, tt.headers...) })
			c, sl := newTestClient(t, f.URL(), nil) // retries on: none may happen
			err := tt.call(context.Background(), c)
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status {
				t.Fatalf("err = %v (%T), want an *APIError %d", err, err, tt.status)
			}
			for _, s := range branchSentinels {
				if got, want := errors.Is(err, s), slices.Contains(tt.want, s); got != want {
					t.Errorf("errors.Is(err, %q) = %v, want %v", s, got, want)
				}
			}
			got, isConflict := DraftConflictOf(err)
			if isConflict != (tt.conflict != nil) {
				t.Errorf("DraftConflictOf = %+v, %v; want %+v", got, isConflict, tt.conflict)
			} else if tt.conflict != nil {
				if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", *tt.conflict) {
					t.Errorf("conflict =\n %+v\nwant\n %+v", *got, *tt.conflict)
				}
			}
			if Ambiguous(err) {
				t.Error("Ambiguous = true, want false")
			}
			if n := len(f.requests()); n != 1 || len(sl.all()) != 0 {
				t.Errorf("%d requests, %d sleeps: want 1 and 0", n, len(sl.all()))
			}
			if !strings.Contains(err.Error(), tt.inText) || len(err.Error()) > 400 {
				t.Errorf("Error() = %q: want it short and containing %q", err.Error(), tt.inText)
			}
		})
	}
}

// TestDraftConflictOfIsACopy: changing a returned conflict does not change
// what the error reports next time.
func TestDraftConflictOfIsACopy(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 409, richConflict) })
	c, _ := newTestClient(t, f.URL(), nil)
	err := putDraft(context.Background(), c)
	a, _ := DraftConflictOf(err)
	a.Paths[0], a.Changes[0].Section = "x", "y"
	b, _ := DraftConflictOf(fmt.Errorf("wrapped: %w", err))
	if b == nil || b.Paths[0] != "workflow_prompt.globalPrompt" || b.Changes[0].Section != "workflow_prompt" {
		t.Errorf("second look = %+v", b)
	}
	if _, ok := DraftConflictOf(errors.New("409 workflow_prompt.prompt")); ok {
		t.Error("a non-API error is a conflict")
	}
}

// TestLongConflictTextIsCut: a conflict over many fields still makes a short error.
func TestLongConflictTextIsCut(t *testing.T) {
	var paths []string
	for i := range 40 {
		paths = append(paths, fmt.Sprintf(`"workflow_tools.tools[%d].description"`, i))
	}
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 409, `{"status":false,"errors":[`+strings.Join(paths, ",")+`]}`)
	})
	c, _ := newTestClient(t, f.URL(), nil)
	err := putDraft(context.Background(), c)
	if !strings.Contains(err.Error(), "(35 more)") || len(err.Error()) > 300 {
		t.Errorf("Error() = %q", err.Error())
	}
	if dc, ok := DraftConflictOf(err); !ok || len(dc.Paths) != 40 {
		t.Errorf("conflict = %+v, %v: want all 40 paths", dc, ok)
	}
}

func TestIsConflictPath(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"workflow_prompt.prompt", true},
		{"call_handling.firstMessage", true},
		{"voice.synthesizer.voiceConfig.voiceId", true},
		{"llm.slmModel", true},
		{"workflow_tools.tools", true},
		{"workflow_tools.tools[0].llmParameters[2].name", true},
		{"analytics.postCallAnalyticsConfig.dispositionMetrics[0][1]", true},
		{"call_handling.defaultVariables.customer_name", true},
		{"playbooks.playbooks", true},
		{"base_revision_unavailable", false},
		{"workflow_prompt", false},
		{"workflow_prompt.", false},
		{"workflow_prompt.Prompt", false},
		{"workflow_prompt.global_prompt", false},
		{"workflow_prompt.prompt changed", false},
		{"workflow_prompt..prompt", false},
		{"workflow_tools.tools[]", false},
		{"workflow_tools.tools[x]", false},
		{"workflow_tools.tools[0", false},
		{"workflow_tools.[0]", false},
		{"Voice.speed", false},
		{"billing.plan", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := isConflictPath(tt.in); got != tt.want {
			t.Errorf("isConflictPath(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestBranchKeyNeverLeaks: a server echoing the Authorization header into a
// conflict, a typed 409 or a freeze does not put the key in the error.
func TestBranchKeyNeverLeaks(t *testing.T) {
	bodies := []string{
		`{"status":false,"errors":["workflow_prompt.prompt","%s"],"data":{"conflict":{"expectedRevision":1,"latestRevision":2,"diffs":[{"section":"%s","changes":[]}]}}}`,
		`{"status":false,"error_type":"%s","errors":["%s"]}`,
	}
	for i, b := range bodies {
		for _, status := range []int{409, 423} {
			t.Run(fmt.Sprint(i, status), func(t *testing.T) {
				f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
					key := r.Header.Get("Authorization")
					reply(w, status, fmt.Sprintf(b, key, key), "X-Request-Id", key)
				})
				c, _ := newTestClient(t, f.URL(), nil)
				err := putDraft(context.Background(), c)
				if err == nil || strings.Contains(err.Error(), testKey) || strings.Contains(fmt.Sprintf("%+v", err), testKey) {
					t.Errorf("err = %v", err)
				}
				if dc, ok := DraftConflictOf(err); ok && strings.Contains(strings.Join(dc.Paths, " "), testKey) {
					t.Errorf("key in conflict paths %q", dc.Paths)
				}
			})
		}
	}
}

// multiErr is an error type that cannot be compared or hashed.
type multiErr []error

func (multiErr) Error() string { return "multi" }

// TestIsWithAnUncomparableTarget: APIError.Is does not panic on a target
// that cannot be a map key.
func TestIsWithAnUncomparableTarget(t *testing.T) {
	e := &APIError{Status: 409, Type: "publish_in_progress"}
	if e.Is(multiErr{ErrPublishInProgress}) {
		t.Error("matched an unrelated target")
	}
}
