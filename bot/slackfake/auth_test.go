package slackfake

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestTokenChecks(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		token string
		code  string
	}{
		{name: "right token", token: testToken},
		{name: "wrong token", token: "xoxb-someone-else", code: "invalid_auth"},
		{name: "no token", token: "", code: "not_authed"},
	}
	calls := []struct {
		method string
		call   func(api *slack.Client) error
	}{
		{"chat.postMessage (form token)", func(api *slack.Client) error {
			_, _, err := api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
			return err
		}},
		{"views.open (bearer)", func(api *slack.Client) error {
			_, err := api.OpenViewContext(ctx(t), "trig", modal("Edit", section("x")))
			return err
		}},
		{"chat.getPermalink (GET, bearer)", func(api *slack.Client) error {
			_, err := api.GetPermalinkContext(ctx(t), &slack.PermalinkParameters{Channel: "C1", Ts: "1.1"})
			if err != nil && err.Error() == "message_not_found" {
				return nil // authenticated, then refused for the ts
			}
			return err
		}},
		{"auth.test", func(api *slack.Client) error {
			_, err := api.AuthTestContext(ctx(t))
			return err
		}},
	}
	for _, tc := range tests {
		for _, c := range calls {
			t.Run(tc.name+"/"+c.method, func(t *testing.T) {
				err := c.call(e.client(tc.token))
				if tc.code == "" {
					if err != nil {
						t.Fatal(err)
					}
					return
				}
				slackErr(t, err, tc.code)
			})
		}
	}
	for _, c := range e.fake.Calls() {
		if c.Form.Has("token") || strings.Contains(string(c.JSON), testToken) {
			t.Fatalf("a recorded call holds the token: %+v", c)
		}
	}
}

func TestAuthTest(t *testing.T) {
	e := newEnv(t)
	got, err := e.api.AuthTestContext(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != "U0BOT" || got.TeamID == "" || got.BotID == "" {
		t.Errorf("auth.test = %+v", got)
	}
}

func TestUnknownMethodAndBadBodies(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, ctype, body, code string
	}{
		{name: "unknown method", method: "chat.nope", ctype: "application/x-www-form-urlencoded", body: "token=" + testToken, code: "unknown_method"},
		{name: "broken JSON", method: "views.open", ctype: "application/json", body: "{", code: "invalid_json"},
		{name: "JSON chat.postMessage", method: "chat.postMessage", ctype: "application/json", body: `{"channel":"C1","text":"json","blocks":[{"type":"divider"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(ctx(t), http.MethodPost, e.url+"/"+tc.method, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+testToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = resp.Body.Close() })
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			decodeJSON(t, resp, &body)
			if body.Error != tc.code || body.OK != (tc.code == "") {
				t.Errorf("answer %+v, want %q", body, tc.code)
			}
		})
	}
	if cm := e.fake.ChannelMessages("C1"); len(cm) != 1 || cm[0].Text != "json" || string(cm[0].Blocks) != `[{"type":"divider"}]` {
		t.Errorf("JSON post recorded as %+v", cm)
	}
}
