package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestActionRefusals(t *testing.T) {
	e := newEnv(t)
	ts := postApproval(t, e)
	api := slack.New(testToken, slack.OptionAPIURL(e.apiURL))
	ephTS, err := api.PostEphemeral(channelID, "UALICE", slack.MsgOptionText("only alice", false),
		slack.MsgOptionBlocks(slack.NewActionBlock("a", slack.NewButtonBlockElement("x", "1", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false)))))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		req        actionRequest
		wantStatus int
		wantError  string
	}{
		{"unknown user", actionRequest{User: "UMALLORY", Channel: channelID, TS: ts, Block: 1}, 400, "unknown user"},
		{"no such message", actionRequest{User: "UBOB", Channel: channelID, TS: "1.000001", Block: 1}, 404, "no such message"},
		{"someone else's ephemeral message", actionRequest{User: "UBOB", Channel: channelID, TS: ephTS, Block: 0}, 404, "no such message"},
		{"no such block", actionRequest{User: "UBOB", Channel: channelID, TS: ts, Block: 7}, 400, "no block 7"},
		{"a block without that element", actionRequest{User: "UBOB", Channel: channelID, TS: ts, Block: 1, Element: 3}, 400, "no element 3"},
		{"not an interactive element", actionRequest{User: "UBOB", Channel: channelID, TS: ts, Block: 0, Element: -1}, 400, "no element -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, a := e.post("/sandbox/api/action", tc.req)
			if status != tc.wantStatus || !strings.Contains(a.Error, tc.wantError) {
				t.Errorf("%d %+v", status, a)
			}
		})
	}
	if n := len(e.bot.requests()); n != 0 {
		t.Errorf("%d refused clicks reached the bot", n)
	}
	// Its recipient may click a button in an ephemeral message.
	if _, a := e.post("/sandbox/api/action", actionRequest{User: "UALICE", Channel: channelID, TS: ephTS, Block: 0}); !a.OK {
		t.Fatalf("answer %+v", a)
	}
	p := e.bot.last(t).payload(t)
	if c := p["container"].(map[string]any); c["is_ephemeral"] != true || c["message_ts"] != ephTS {
		t.Errorf("container = %v", c)
	}
}

func TestActionSelect(t *testing.T) {
	e := newEnv(t)
	api := slack.New(testToken, slack.OptionAPIURL(e.apiURL))
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
		slack.NewOptionBlockObject("v3", slack.NewTextBlockObject(slack.PlainTextType, "v3", false, false), nil))
	_, ts, err := api.PostMessage(channelID, slack.MsgOptionText("pick one", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "Roll back to", false, false), nil, slack.NewAccessory(sel))))
	if err != nil {
		t.Fatal(err)
	}
	if status, a := e.post("/sandbox/api/action", actionRequest{User: "UBOB", Channel: channelID, TS: ts, Block: 0, Element: -1, Selected: "v9"}); status != 400 || !strings.Contains(a.Error, "not an option") {
		t.Errorf("a value that is not an option: %d %+v", status, a)
	}
	if _, a := e.post("/sandbox/api/action", actionRequest{User: "UBOB", Channel: channelID, TS: ts, Block: 0, Element: -1, Selected: "v3"}); !a.OK {
		t.Fatalf("answer %+v", a)
	}
	acts := e.bot.last(t).payload(t)["actions"].([]any)
	got := acts[0].(map[string]any)
	if got["type"] != "static_select" || got["action_id"] != "pick" || got["selected_option"].(map[string]any)["value"] != "v3" {
		t.Errorf("action = %v", got)
	}
}

// TestSubmitAck: how the page applies the bot's answer to a submission.
func TestSubmitAck(t *testing.T) {
	valid := map[string]string{"prompt": "Be kind.", "firstMessage": "Hi", "slmModel": "gpt-4o"}
	replaced, _ := json.Marshal(map[string]any{"response_action": "update", "view": map[string]any{
		"type": "modal", "title": map[string]any{"type": "plain_text", "text": "Saved"},
		"blocks": []any{map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "done"}}},
	}})
	tests := []struct {
		name       string
		values     map[string]string
		reply      botReply
		wantAnswer answer
		wantOpen   int // views left on alice's stack
		wantSent   bool
	}{
		{name: "empty 200 closes", values: valid, reply: botReply{status: 200}, wantAnswer: answer{OK: true, Closed: true}, wantSent: true},
		{name: "field errors keep it open", values: valid, reply: botReply{status: 200, ctype: "application/json",
			body: `{"response_action":"errors","errors":{"firstMessage":"First message is 501 characters; at most 500 are allowed."}}`},
			wantAnswer: answer{Errors: map[string]string{"firstMessage": "First message is 501 characters; at most 500 are allowed."}}, wantOpen: 1, wantSent: true},
		{name: "errors for a block that is not an input", values: valid, reply: botReply{status: 200, ctype: "application/json",
			body: `{"response_action":"errors","errors":{"nope":"x"}}`}, wantAnswer: answer{Error: troubleText}, wantOpen: 1, wantSent: true},
		{name: "clear closes every view", values: valid, reply: botReply{status: 200, ctype: "application/json", body: `{"response_action":"clear"}`},
			wantAnswer: answer{OK: true, Closed: true}, wantSent: true},
		{name: "update replaces the view", values: valid, reply: botReply{status: 200, ctype: "application/json", body: string(replaced)},
			wantAnswer: answer{OK: true, Updated: true}, wantOpen: 1, wantSent: true},
		{name: "a body that is not a response_action", values: valid, reply: botReply{status: 200, body: `{"ok":true}`},
			wantAnswer: answer{Error: troubleText}, wantOpen: 1, wantSent: true},
		{name: "a failing bot", values: valid, reply: botReply{status: 500}, wantAnswer: answer{Error: troubleText}, wantOpen: 1, wantSent: true},
		{name: "required field empty: not sent", values: map[string]string{"prompt": "", "slmModel": "gpt-4o"},
			wantAnswer: answer{Errors: map[string]string{"prompt": requiredText}}, wantOpen: 1},
		{name: "required select empty: not sent", values: map[string]string{"prompt": "x"},
			wantAnswer: answer{Errors: map[string]string{"slmModel": requiredText}}, wantOpen: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.bot.answer(tc.reply)
			id := openEditModal(t, e, "UALICE")
			before, _ := e.slack.Snapshot().FindView(id)
			_, a := e.post("/sandbox/api/submit", submitRequest{User: "UALICE", ViewID: id, Values: tc.values})
			if a.OK != tc.wantAnswer.OK || a.Closed != tc.wantAnswer.Closed || a.Updated != tc.wantAnswer.Updated ||
				a.Error != tc.wantAnswer.Error || !sameMap(a.Errors, tc.wantAnswer.Errors) {
				t.Errorf("answer %+v, want %+v", a, tc.wantAnswer)
			}
			if got := len(e.slack.ViewStack("UALICE")); got != tc.wantOpen {
				t.Errorf("%d views open, want %d", got, tc.wantOpen)
			}
			if sent := len(e.bot.requests()) > 0; sent != tc.wantSent {
				t.Errorf("sent to the bot: %t, want %t", sent, tc.wantSent)
			}
			if tc.wantAnswer.Updated {
				after, _ := e.slack.Snapshot().FindView(id)
				if after.Hash == before.Hash || !strings.Contains(string(after.View), "Saved") {
					t.Errorf("view after update = %s", after.View)
				}
			}
		})
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestSubmitRefusals(t *testing.T) {
	e := newEnv(t)
	id := openEditModal(t, e, "UALICE")
	tests := []struct {
		name       string
		req        submitRequest
		wantStatus int
		wantError  string
	}{
		{"another user's modal", submitRequest{User: "UBOB", ViewID: id}, 404, "not open"},
		{"unknown user", submitRequest{User: "UMALLORY", ViewID: id}, 400, "unknown user"},
		{"a value for something that is not an input", submitRequest{User: "UALICE", ViewID: id, Values: map[string]string{"prompt": "x", "slmModel": "gpt-4o", "b0": "x"}}, 400, "not an input"},
		{"a choice that is not an option", submitRequest{User: "UALICE", ViewID: id, Values: map[string]string{"prompt": "x", "slmModel": "gpt-9"}}, 400, "not an option"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, a := e.post("/sandbox/api/submit", tc.req)
			if status != tc.wantStatus || !strings.Contains(a.Error, tc.wantError) {
				t.Errorf("%d %+v", status, a)
			}
		})
	}
	if len(e.bot.requests()) != 0 {
		t.Error("a refused submission reached the bot")
	}
}

func TestCloseView(t *testing.T) {
	tests := []struct {
		name     string
		notify   bool
		wantSent bool
	}{
		{name: "closes quietly", notify: false},
		{name: "tells the bot when asked to", notify: true, wantSent: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			m := editModal()
			m.NotifyOnClose = tc.notify
			api := slack.New(testToken, slack.OptionAPIURL(e.apiURL))
			v, err := api.OpenView(e.slack.IssueTrigger("UALICE"), m)
			if err != nil {
				t.Fatal(err)
			}
			if _, a := e.post("/sandbox/api/close", closeRequest{User: "UALICE", ViewID: v.ID}); !a.Closed {
				t.Fatalf("answer %+v", a)
			}
			if len(e.slack.ViewStack("UALICE")) != 0 {
				t.Error("the view is still open")
			}
			reqs := e.bot.requests()
			if sent := len(reqs) > 0; sent != tc.wantSent {
				t.Fatalf("sent: %t", sent)
			}
			if tc.wantSent {
				p := reqs[0].payload(t)
				if p["type"] != "view_closed" || p["view"].(map[string]any)["id"] != v.ID || reqs[0].verifyErr != nil {
					t.Errorf("payload %v (%v)", p, reqs[0].verifyErr)
				}
			}
		})
	}
}
