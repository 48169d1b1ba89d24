package bot

import (
	"net/url"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// Slack never delivers a slash command twice (it does not retry them), and
// every real invocation has its own trigger_id. A client that reuses one —
// Slack's documented example body has a fixed trigger_id, and test harnesses
// copy it — must still get every command answered: each is a new request,
// not a replay to drop in silence.
func TestCommandsWithReusedTriggerIDAllRun(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		const trigger = "1234567890123.1234567890123.0123456789abcdef0123456789abcdef"
		sharedURL := h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: alice})
		body := func(text, responseURL string) string {
			return url.Values{
				"token": {"ignored"}, "team_id": {"T1"}, "channel_id": {testChannel}, "user_id": {alice},
				"user_name": {"alice"}, "command": {"/atoms"}, "text": {text}, "api_app_id": {"A1"},
				"response_url": {responseURL}, "trigger_id": {trigger},
			}.Encode()
		}
		tests := []struct {
			name        string
			responseURL func() string
		}{
			{"a response_url per command", func() string {
				return h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: alice})
			}},
			{"identical requests", func() string { return sharedURL }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for i := range 2 {
					before := len(h.ephemeralTo(alice))
					rec := h.bot.post("/slack/commands", body("status "+demoAgent, tt.responseURL()))
					if rec.Code != 200 {
						t.Fatalf("command %d: status %d", i+1, rec.Code)
					}
					got := h.ephemeralTo(alice)
					if len(got) != before+1 || !strings.Contains(got[len(got)-1], demoAgent) {
						t.Fatalf("command %d was not answered (replies before %d, after %d):%s", i+1, before, len(got), h.dump())
					}
				}
			})
		}
	})
}

// The edit form is identified by its private_metadata (a random session id)
// and its user. A submission without view.id, or from a client that reuses
// view ids and hashes across forms, is still a submission of that form: it
// is saved and answered with an empty 200, and one form's save never
// swallows another's.
func TestEditSubmissionWithoutViewID(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		for i, msg := range []string{"First form's greeting.", "Second form's greeting."} {
			f := h.openEdit(alice, demoAgent)
			rec := h.submitView(alice, f, map[string]string{"firstMessage": msg}, func(v map[string]any) {
				delete(v, "id")
				v["hash"] = "1700000010.AbCdEf12" // the same for both forms
			})
			if rec.Code != 200 || rec.Body.Len() != 0 {
				t.Fatalf("form %d: ack %d %s (want an empty 200)", i+1, rec.Code, rec.Body)
			}
			// Each form's save started a draft of its own.
			ds := h.live(a.ID).Drafts
			if len(ds) != len(a.Drafts)+i+1 {
				t.Fatalf("form %d: %d drafts, want %d", i+1, len(ds), len(a.Drafts)+i+1)
			}
			if cfg, _ := h.sim.Config(a.ID, ds[len(ds)-1].DraftID); cfg["firstMessage"] != msg {
				t.Errorf("form %d: draft firstMessage = %v, want %q", i+1, cfg["firstMessage"], msg)
			}
		}
		if n := len(h.patches()); n != 2 {
			t.Errorf("%d PATCHes, want one per form", n)
		}
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 2 {
			t.Errorf("%d drafts created, want one per form", n)
		}
	})
}
