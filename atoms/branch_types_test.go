package atoms

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

// TestBranchObjectsRoundTrip: every branch-model object decodes its recorded
// shape (nulls included), keeps the members it does not model, and encodes
// back without a single null.
func TestBranchObjectsRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		raw   string
		into  func() any
		check func(t *testing.T, v any)
	}{
		{
			name: "Branch of Main", raw: fxBranch(fxMain, "Main", true, fxRev1, ""),
			into: func() any { return new(Branch) },
			check: func(t *testing.T, v any) {
				b := v.(*Branch)
				if b.SourceBranchID != "" || b.SourceRevisionID != "" || b.OpenDraftID != "" || b.HeadRevisionID != fxRev1 || string(b.Extra["__v"]) != "0" {
					t.Errorf("branch = %+v", b)
				}
			},
		},
		{
			name: "BranchSummary without head", raw: fxSummary(fxBranch(fxBot, "b", false, "", ""), false, false, 0, 0),
			into: func() any { return new(BranchSummary) },
			check: func(t *testing.T, v any) {
				s := v.(*BranchSummary)
				if s.HeadRevisionNumber != 0 || s.UpdatedByName != "" || s.CreatedByName != "Asha Rao" || s.Extra["lastActivityAt"] == nil ||
					string(s.Branch.Extra["__v"]) != "0" {
					t.Errorf("summary = %+v", s)
				}
			},
		},
		{
			name: "committed revision", raw: fxRevision(fxRev2, fxBot, 4),
			into: func() any { return new(Version) },
			check: func(t *testing.T, v any) {
				r := v.(*Version)
				if r.Branch != fxBot || r.RevisionNumber != 4 || r.VersionNumber != 0 || r.PendingPublish != nil || r.DraftID != "" ||
					r.SourceDraftID != fxDraftI || !r.ActivatedAt.IsZero() || r.SecurityCheck.Reason != "" || r.Extra["promptScoreStale"] == nil {
					t.Errorf("revision = %+v", r)
				}
				// Readers from before the field existed still find it.
				if got := r.Extra.String("sourceDraftId"); got != fxDraftI {
					t.Errorf("Extra sourceDraftId = %q", got)
				}
			},
		},
		{
			name: "restored revision",
			raw:  `{"_id":"r3","branch":"b","revisionNumber":3,"restoredFromRevisionId":"` + fxRev1 + `","restoredFromLabel":"Launch","futureField":{"x":null}}`,
			into: func() any { return new(Version) },
			check: func(t *testing.T, v any) {
				r := v.(*Version)
				if r.RestoredFromRevisionID != fxRev1 || r.RestoredFromLabel != "Launch" || string(r.Extra["futureField"]) != `{"x":null}` {
					t.Errorf("revision = %+v", r)
				}
			},
		},
		{
			name: "draft row while scanning", raw: fxDraftRow,
			into: func() any { return new(Version) },
			check: func(t *testing.T, v any) {
				r := v.(*Version)
				if r.PendingPublish == nil || r.PendingPublish.StartedBy != fxUser || r.RevisionNumber != 0 || r.Outcome() != CheckNotYet {
					t.Errorf("draft row = %+v", r)
				}
			},
		},
		{
			name: "pendingPublish cancelled",
			raw:  `{"_id":"d","pendingPublish":{"state":"cancelled","startedBy":"u","startedAt":null}}`,
			into: func() any { return new(Version) },
			check: func(t *testing.T, v any) {
				if p := v.(*Version).PendingPublish; p == nil || p.State != "cancelled" || !p.StartedAt.IsZero() {
					t.Errorf("pendingPublish = %+v", p)
				}
			},
		},
		{
			name: "BranchDraft", raw: `{"latest":` + fxDraftRow + `,"editCount":1,"editHistory":[{"revision":` + fxDraftRow + `,"changedSections":null,"editorName":null}]}`,
			into: func() any { return new(BranchDraft) },
			check: func(t *testing.T, v any) {
				d := v.(*BranchDraft)
				if len(d.EditHistory) != 1 || d.EditHistory[0].Revision.ID != fxDraft || d.EditHistory[0].ChangedSections != nil {
					t.Errorf("draft = %+v", d)
				}
			},
		},
		{
			name: "edit with a null revision", raw: `{"revision":null,"changedSections":["voice"]}`,
			into: func() any { return new(BranchDraftEdit) },
			check: func(t *testing.T, v any) {
				if e := v.(*BranchDraftEdit); e.Revision.ID != "" || e.ChangedSections[0] != "voice" {
					t.Errorf("edit = %+v", e)
				}
			},
		},
		{
			name: "PublishResult committed", raw: `{"state":"committed","revision":` + fxRevision(fxRev2, fxBot, 1) + `}`,
			into: func() any { return new(PublishResult) },
		},
		{
			name: "PublishResult scanning with null revision", raw: `{"state":"scanning","revision":null}`,
			into: func() any { return new(PublishResult) },
			check: func(t *testing.T, v any) {
				if r := v.(*PublishResult); r.Revision != nil {
					t.Errorf("result = %+v", r)
				}
			},
		},
		{
			name: "RevisionHistory with null publisher", raw: `{"revision":` + fxRevision(fxRev1, fxMain, 1) + `,"publishedBy":null,"trail":[]}`,
			into: func() any { return new(RevisionHistory) },
			check: func(t *testing.T, v any) {
				if h := v.(*RevisionHistory); h.PublishedBy != "" || h.Revision.ID != fxRev1 {
					t.Errorf("history = %+v", h)
				}
			},
		},
		{
			name: "RevisionList", raw: `{"revisions":[` + fxRevision(fxRev1, fxMain, 1) + `],"total":1}`,
			into: func() any { return new(RevisionList) },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.into()
			if err := json.Unmarshal([]byte(tt.raw), v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if tt.check != nil {
				tt.check(t, v)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			assertNoNullExcept(t, b, "futureField")
			// Decoding the encoding gives the same value.
			w := tt.into()
			if err := json.Unmarshal(b, w); err != nil {
				t.Fatalf("decode again: %v", err)
			}
			b2, _ := json.Marshal(w)
			assertJSONBody(t, b2, string(b))
		})
	}
}

// assertNoNullExcept is assertNoNull for a value whose unknown member skip
// legitimately holds a null inside it.
func assertNoNullExcept(t *testing.T, body []byte, skip string) {
	t.Helper()
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) == nil {
		delete(m, skip)
		body, _ = json.Marshal(m)
	}
	assertNoNull(t, body)
}

func TestDraftEditMarshal(t *testing.T) {
	tests := []struct {
		name string
		edit DraftEdit
		want string
	}{
		{"without expectedRevision", DraftEdit{Config: ConfigPatch{FirstMessage: ptr("Hi")}}, `{"firstMessage":"Hi"}`},
		{"with expectedRevision", DraftEdit{Config: ConfigPatch{FirstMessage: ptr("Hi")}, ExpectedRevision: ptr(7)}, `{"firstMessage":"Hi","expectedRevision":7}`},
		{"expectedRevision 0", DraftEdit{Config: ConfigPatch{SLMModel: ptr("gpt-4.1")}, ExpectedRevision: ptr(0)}, `{"slmModel":"gpt-4.1","expectedRevision":0}`},
		{"a config member of that name never decides", DraftEdit{Config: ConfigPatch{FirstMessage: ptr("Hi"),
			Extra: Extra{"expectedRevision": json.RawMessage(`3`)}}}, `{"firstMessage":"Hi"}`},
		{"null extras dropped", DraftEdit{Config: ConfigPatch{FirstMessage: ptr(""), Extra: Extra{"timezone": json.RawMessage("null"),
			"backgroundSound": json.RawMessage(`"office"`)}}, ExpectedRevision: ptr(2)}, `{"firstMessage":"","backgroundSound":"office","expectedRevision":2}`},
		{"language keeps switching", DraftEdit{Config: ConfigPatch{Language: &Language{Default: "hi"}}}, `{"language":{"default":"hi","switching":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.edit)
			if err != nil {
				t.Fatal(err)
			}
			assertNoNull(t, b)
			assertJSONBody(t, b, tt.want)
		})
	}
	for _, v := range []any{CreateBranchRequest{SourceBranchID: "s", Name: "n"}, TestCallRequest{}, TestCallRequest{Mode: TestCallChat}} {
		b, _ := json.Marshal(v)
		assertNoNull(t, b)
	}
}

// TestBranchRefusedLocally: calls that would be wrong are refused without a request.
func TestBranchRefusedLocally(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"empty branch id", func(ctx context.Context, c *Client) error { _, err := c.GetBranch(ctx, fxAgent, ""); return err }},
		{"empty agent id", func(ctx context.Context, c *Client) error { _, err := c.ListBranches(ctx, ""); return err }},
		{"empty revision id", func(ctx context.Context, c *Client) error {
			_, err := c.RestoreRevision(ctx, fxAgent, fxMain, "")
			return err
		}},
		{"empty config", func(ctx context.Context, c *Client) error {
			_, err := c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{ExpectedRevision: ptr(1)})
			return err
		}},
		{"config of nulls only", func(ctx context.Context, c *Client) error {
			_, err := c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{Config: ConfigPatch{Extra: Extra{"x": json.RawMessage("null")}}})
			return err
		}},
		{"negative expected revision", func(ctx context.Context, c *Client) error {
			_, err := c.PutBranchDraft(ctx, fxAgent, fxBot, DraftEdit{Config: ConfigPatch{FirstMessage: ptr("x")}, ExpectedRevision: ptr(-1)})
			return err
		}},
		{"fork without source", func(ctx context.Context, c *Client) error {
			_, err := c.CreateBranch(ctx, fxAgent, CreateBranchRequest{Name: "n"})
			return err
		}},
		{"fork without name", func(ctx context.Context, c *Client) error {
			_, err := c.CreateBranch(ctx, fxAgent, CreateBranchRequest{SourceBranchID: fxMain, Name: " "})
			return err
		}},
		{"rename to nothing", func(ctx context.Context, c *Client) error {
			_, err := c.RenameBranch(ctx, fxAgent, fxBot, "")
			return err
		}},
		{"revision limit", func(ctx context.Context, c *Client) error {
			_, err := c.ListRevisions(ctx, fxAgent, fxMain, ListRevisionsOptions{Limit: 101})
			return err
		}},
		{"negative skip", func(ctx context.Context, c *Client) error {
			_, err := c.ListRevisions(ctx, fxAgent, fxMain, ListRevisionsOptions{Skip: -1})
			return err
		}},
		{"one diff ref", func(ctx context.Context, c *Client) error { _, err := c.DiffRefs(ctx, fxAgent, fxRev1, ""); return err }},
		{"draft and revision test call", func(ctx context.Context, c *Client) error {
			_, err := c.BranchTestCall(ctx, fxAgent, fxBot, TestCallRequest{IncludeDraft: true, RevisionID: fxRev1})
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
