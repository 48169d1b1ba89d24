package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// TestCommandAck: what the bot acknowledges a slash command with is what
// the person sees, as Slack shows it.
func TestCommandAck(t *testing.T) {
	tests := []struct {
		name      string
		reply     botReply
		wantError string // in the page's answer; "" for none
		wantAck   bool
		wantEph   bool
		wantText  string
	}{
		{name: "empty 200: nothing to show", reply: botReply{status: 200}},
		{name: "ephemeral JSON", reply: botReply{status: 200, ctype: "application/json",
			body: `{"response_type":"ephemeral","text":"usage","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*usage*"}}]}`},
			wantAck: true, wantEph: true, wantText: "usage"},
		{name: "JSON without response_type is ephemeral", reply: botReply{status: 200, ctype: "application/json", body: `{"text":"hi"}`},
			wantAck: true, wantEph: true, wantText: "hi"},
		{name: "in_channel JSON", reply: botReply{status: 200, ctype: "application/json", body: `{"response_type":"in_channel","text":"for all"}`},
			wantAck: true, wantText: "for all"},
		{name: "plain text body", reply: botReply{status: 200, ctype: "text/plain", body: "working on it"},
			wantAck: true, wantEph: true, wantText: "working on it"},
		{name: "blocks Slack refuses", reply: botReply{status: 200, ctype: "application/json", body: `{"text":"x","blocks":[{"type":"bogus"}]}`},
			wantError: "invalid_blocks"},
		{name: "unreadable JSON", reply: botReply{status: 200, ctype: "application/json", body: `{"text":`}, wantError: "cannot read"},
		{name: "401", reply: botReply{status: 401, body: "invalid signature"}, wantError: `failed with the error "http_service_error" (the bot answered HTTP 401)`},
		{name: "500", reply: botReply{status: 500}, wantError: "HTTP 500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.bot.answer(tc.reply)
			status, a := e.post("/sandbox/api/command", commandRequest{User: "UBOB", Text: "/atoms status support-concierge"})
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			if tc.wantError != "" {
				if !strings.Contains(a.Error, tc.wantError) || a.OK {
					t.Fatalf("answer %+v, want error %q", a, tc.wantError)
				}
			} else if !a.OK || a.Error != "" {
				t.Fatalf("answer %+v", a)
			}
			msgs := e.slack.Messages()
			// The typed command is always shown to its author only.
			if len(msgs) == 0 || msgs[0].Method != slackfake.MethodSlashCommand || msgs[0].Text != "/atoms status support-concierge" ||
				msgs[0].Author != "UBOB" || !msgs[0].Ephemeral || msgs[0].User != "UBOB" {
				t.Fatalf("command message = %+v", msgs)
			}
			if !tc.wantAck {
				if len(msgs) != 1 || a.Ack != nil {
					t.Fatalf("unexpected ack: %+v / %+v", a.Ack, msgs)
				}
				return
			}
			if len(msgs) != 2 || a.Ack == nil {
				t.Fatalf("messages %+v, ack %+v", msgs, a.Ack)
			}
			ack := msgs[1]
			if ack.Method != slackfake.MethodAck || ack.Ephemeral != tc.wantEph || ack.Text != tc.wantText || a.Ack.TS != ack.TS || a.Ack.Kind != "ack" {
				t.Errorf("ack = %+v, answered %+v", ack, a.Ack)
			}
			if tc.wantEph && (ack.User != "UBOB" || a.Ack.To != "UBOB") {
				t.Errorf("ephemeral ack to %q / %q", ack.User, a.Ack.To)
			}
		})
	}
}

func TestCommandRefusals(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		wantStatus        int
		wantError         string
	}{
		{"unknown user", "application/json", `{"user":"UMALLORY","text":"/atoms help"}`, 400, "unknown user"},
		{"another command", "application/json", `{"user":"UALICE","text":"/deploy now"}`, 400, "/deploy is not a valid command"},
		{"a prefix is not the command", "application/json", `{"user":"UALICE","text":"/atomsx help"}`, 400, "/atomsx is not a valid command"},
		{"not JSON", "text/plain", `{"user":"UALICE","text":"/atoms help"}`, 415, "application/json"},
		{"unknown field", "application/json", `{"user":"UALICE","text":"/atoms help","as":"admin"}`, 400, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			resp, err := http.Post(e.url+"/sandbox/api/command", tc.ctype, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var a answer
			_ = decodeJSON(resp, &a)
			if resp.StatusCode != tc.wantStatus || !strings.Contains(a.Error, tc.wantError) {
				t.Errorf("%d %+v", resp.StatusCode, a)
			}
			if len(e.bot.requests()) != 0 || len(e.slack.Messages()) != 0 {
				t.Error("a refused request reached the bot or the channel")
			}
		})
	}
}

// TestCommandTimeout: a bot that does not answer in time is reported as
// Slack reports it.
func TestCommandTimeout(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.HTTPClient = &http.Client{Timeout: 20 * time.Millisecond} })
	e.bot.answer(botReply{block: true})
	_, a := e.post("/sandbox/api/command", commandRequest{User: "UALICE", Text: "/atoms agents"})
	if !strings.Contains(a.Error, `/atoms failed with the error "operation_timeout"`) {
		t.Errorf("answer %+v", a)
	}
}
