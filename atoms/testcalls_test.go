package atoms

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

// TestV1TestCallEndpoints: the v1 test calls' path and body, and the
// answer read into a TestCallResult.
func TestV1TestCallEndpoints(t *testing.T) {
	tests := []struct {
		name   string
		answer string
		call   func(context.Context, *Client) (*TestCallResult, error)
		path   string
		body   string
		want   TestCallResult
	}{
		{
			name:   "DraftTestCall, the API's default mode",
			answer: `{"conversationId":"CALL-1","callId":"c1","token":"tok","roomName":"room","host":"wss://rtc.example"}`,
			call: func(ctx context.Context, c *Client) (*TestCallResult, error) {
				return c.DraftTestCall(ctx, "a1", "d1", TestCallRequest{})
			},
			path: "/agent/a1/drafts/d1/test-call", body: `{}`,
			want: TestCallResult{ConversationID: "CALL-1", CallID: "c1", Token: "tok", RoomName: "room", Host: "wss://rtc.example"},
		},
		{
			name:   "DraftTestCall telephony, an id that needs escaping",
			answer: `{"conversationId":"CALL-2","callId":"c2"}`,
			call: func(ctx context.Context, c *Client) (*TestCallResult, error) {
				return c.DraftTestCall(ctx, "a1", "d/1", TestCallRequest{Mode: TestCallTelephony, ToPhone: "+15550100"})
			},
			path: "/agent/a1/drafts/d%2F1/test-call", body: `{"mode":"telephony","toPhone":"+15550100"}`,
			want: TestCallResult{ConversationID: "CALL-2", CallID: "c2"},
		},
		{
			name:   "VersionTestCall chat",
			answer: `{"conversationId":"CALL-3","callId":"c3","token":"t","roomName":"r","host":"h"}`,
			call: func(ctx context.Context, c *Client) (*TestCallResult, error) {
				return c.VersionTestCall(ctx, "a1", "v2", TestCallRequest{Mode: TestCallChat})
			},
			path: "/agent/a1/versions/v2/test-call", body: `{"mode":"chat"}`,
			want: TestCallResult{ConversationID: "CALL-3", CallID: "c3", Token: "t", RoomName: "r", Host: "h"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, tt.answer) })
			c, _ := newTestClient(t, f.URL(), nil)
			got, err := tt.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := f.requests()
			if len(reqs) != 1 || reqs[0].Method != "POST" || reqs[0].Path != tt.path || reqs[0].RawQuery != "" {
				t.Fatalf("sent %+v, want one POST %s", reqs, tt.path)
			}
			assertJSONBody(t, reqs[0].Body, tt.body)
			assertNoNull(t, reqs[0].Body)
			if *got != tt.want {
				t.Errorf("result %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// TestV1TestCallRefusedLocally: the branch model's target members and empty
// ids are refused before anything is sent, so nothing can have rung.
func TestV1TestCallRefusedLocally(t *testing.T) {
	tests := []struct {
		name string
		call func(context.Context, *Client) error
	}{
		{"draft with IncludeDraft", func(ctx context.Context, c *Client) error {
			_, err := c.DraftTestCall(ctx, "a1", "d1", TestCallRequest{IncludeDraft: true})
			return err
		}},
		{"draft with RevisionID", func(ctx context.Context, c *Client) error {
			_, err := c.DraftTestCall(ctx, "a1", "d1", TestCallRequest{RevisionID: "r1"})
			return err
		}},
		{"version with RevisionID", func(ctx context.Context, c *Client) error {
			_, err := c.VersionTestCall(ctx, "a1", "v1", TestCallRequest{RevisionID: "v1"})
			return err
		}},
		{"version with IncludeDraft", func(ctx context.Context, c *Client) error {
			_, err := c.VersionTestCall(ctx, "a1", "v1", TestCallRequest{IncludeDraft: true})
			return err
		}},
		{"empty draft id", func(ctx context.Context, c *Client) error {
			_, err := c.DraftTestCall(ctx, "a1", "", TestCallRequest{})
			return err
		}},
		{"empty agent id", func(ctx context.Context, c *Client) error {
			_, err := c.VersionTestCall(ctx, "", "v1", TestCallRequest{})
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

// TestV1TestCallFailures: a 4xx means no call was placed (not ambiguous),
// a 5xx may hide one (ambiguous); either way the call is sent once and the
// key, echoed back by the server, is not in the error.
func TestV1TestCallFailures(t *testing.T) {
	tests := []struct {
		status    int
		body      string
		notFound  bool
		ambiguous bool
	}{
		{400, `{"status":false,"errors":["Invalid phone number"]}`, false, false},
		{400, `{"status":false,"errors":["Agent is archived and cannot initiate calls"]}`, false, false},
		{404, `{"status":false,"errors":["Draft not found"]}`, true, false},
		{502, `{"status":false,"errors":["Bad gateway"]}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, tt.status, strings.Replace(tt.body, `"]}`, ` `+r.Header.Get("Authorization")+`"]}`, 1))
			})
			c, _ := newTestClient(t, f.URL(), nil)
			_, err := c.DraftTestCall(context.Background(), "a1", "d1", TestCallRequest{Mode: TestCallTelephony})
			var ae *APIError
			if !errors.As(err, &ae) || ae.Status != tt.status || Ambiguous(err) != tt.ambiguous || errors.Is(err, ErrNotFound) != tt.notFound {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "[REDACTED]") {
				t.Errorf("key not redacted: %q", err)
			}
			if n := len(f.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

// TestV1TestCallsAgainstSimulator: the client's v1 test calls on both
// models, and why they are never retried: an answer lost after the call
// was placed still rang the phone.
func TestV1TestCallsAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	clock := atomsim.NewClock(time.Date(2026, 6, 11, 9, 0, 0, 0, time.UTC))
	var rung []atomsim.Conversation
	sim := atomsim.New(atomsim.Options{APIKey: testKey, Now: clock.Now, CheckDelay: -1, Seed: 5,
		OnCall: func(c atomsim.Conversation) { rung = append(rung, c) }})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, sl := newTestClient(t, srv.URL+"/atoms/v1", func(o *Options) { o.MaxRetries = 8 })

	agentID, err := c.CreateAgent(ctx, CreateAgentRequest{Name: "calls"})
	if err != nil {
		t.Fatal(err)
	}
	ag, err := c.GetAgent(ctx, agentID, GetAgentOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.CreateDraft(ctx, agentID, CreateDraftRequest{SourceVersionID: ag.ActiveVersionID})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.DraftTestCall(ctx, agentID, d.DraftID, TestCallRequest{Mode: TestCallWebcall})
	if err != nil || res.Token == "" || len(rung) != 1 || rung[0].VersionID != atomsim.DraftTarget(d.DraftID) || rung[0].ID != res.ConversationID {
		t.Fatalf("draft test call: %+v %v; rung %+v", res, err, rung)
	}
	res, err = c.VersionTestCall(ctx, agentID, ag.ActiveVersionID, TestCallRequest{Mode: TestCallTelephony, ToPhone: "+14155550100"})
	if err != nil || res.Token != "" || len(rung) != 2 || rung[1].VersionID != ag.ActiveVersionID || rung[1].PhoneNumber != "+14155550100" {
		t.Fatalf("version test call: %+v %v; rung %+v", res, err, rung)
	}
	_, err = c.VersionTestCall(ctx, agentID, ag.ActiveVersionID, TestCallRequest{Mode: TestCallTelephony})
	if ae := (*APIError)(nil); !errors.As(err, &ae) || ae.Status != 400 || Ambiguous(err) || len(rung) != 2 {
		t.Fatalf("telephony without a number: %v", err)
	}

	// The answer is lost after the call was placed: one request, ambiguous,
	// and the phone rang once.
	sim.SetFaults(atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}})
	sim.ResetCalls()
	_, err = c.DraftTestCall(ctx, agentID, d.DraftID, TestCallRequest{})
	if !Ambiguous(err) || len(sim.Calls()) != 1 || len(rung) != 3 || len(sl.all()) != 0 {
		t.Fatalf("lost answer: %v after %d requests, %d rung, slept %v", err, len(sim.Calls()), len(rung), sl.all())
	}
	sim.SetFaults(atomsim.Faults{})

	// Under the branch model the kept route takes a revision id.
	sim.SetBranchModel(true)
	res, err = c.VersionTestCall(ctx, agentID, ag.ActiveVersionID, TestCallRequest{Mode: TestCallChat})
	if err != nil || len(rung) != 4 || rung[3].VersionID != ag.ActiveVersionID || rung[3].ID != res.ConversationID {
		t.Fatalf("kept version test call: %+v %v", res, err)
	}

	if err := c.ArchiveAgent(ctx, agentID, true); err != nil {
		t.Fatal(err)
	}
	_, err = c.VersionTestCall(ctx, agentID, ag.ActiveVersionID, TestCallRequest{})
	if ae := (*APIError)(nil); !errors.As(err, &ae) || ae.Status != 400 || !strings.Contains(err.Error(), "archived") || len(rung) != 4 {
		t.Fatalf("archived agent: %v", err)
	}
}
