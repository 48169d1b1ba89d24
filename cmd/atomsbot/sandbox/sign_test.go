package sandbox

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot"
	"github.com/slack-go/slack"
)

// TestSignSlackVector checks the HMAC against the worked example Slack
// publishes on its request-verification page.
func TestSignSlackVector(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	got := sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", []byte(body))
	if want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; got != want {
		t.Fatalf("sign = %s, want %s", got, want)
	}
}

// openEditModal has the fake hold an open modal for user, as after the
// bot's views.open, and returns its id.
func openEditModal(t *testing.T, e *env, user string) string {
	t.Helper()
	api := slack.New(testToken, slack.OptionAPIURL(e.apiURL))
	v, err := api.OpenView(e.slack.IssueTrigger(user), editModal())
	if err != nil {
		t.Fatal(err)
	}
	return v.ID
}

func editModal() slack.ModalViewRequest {
	in := slack.NewPlainTextInputBlockElement(nil, "value")
	in.InitialValue = "Hello!"
	first := slack.NewInputBlock("firstMessage", slack.NewTextBlockObject(slack.PlainTextType, "First message", false, false), nil, in)
	first.Optional = true
	prompt := slack.NewPlainTextInputBlockElement(nil, "value")
	prompt.Multiline = true
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "value",
		slack.NewOptionBlockObject("gpt-4o", slack.NewTextBlockObject(slack.PlainTextType, "gpt-4o", false, false), nil),
		slack.NewOptionBlockObject("electron", slack.NewTextBlockObject(slack.PlainTextType, "electron", false, false), nil))
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: slack.NewTextBlockObject(slack.PlainTextType, "Edit draft", false, false),
		Submit: slack.NewTextBlockObject(slack.PlainTextType, "Save", false, false), CallbackID: "atoms_edit", PrivateMetadata: "es_1",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*support-concierge*", false, false), nil, nil),
			slack.NewInputBlock("prompt", slack.NewTextBlockObject(slack.PlainTextType, "Prompt", false, false), nil, prompt),
			first,
			slack.NewInputBlock("slmModel", slack.NewTextBlockObject(slack.PlainTextType, "Model", false, false), nil, sel),
		}},
	}
}

// postApproval posts a message with buttons, as the bot's approval request.
func postApproval(t *testing.T, e *env) string {
	t.Helper()
	api := slack.New(testToken, slack.OptionAPIURL(e.apiURL))
	approve := slack.NewButtonBlockElement("atoms_approve", "pr_1|v_1", slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary)
	_, ts, err := api.PostMessage(channelID, slack.MsgOptionText("Approval needed", false), slack.MsgOptionBlocks(
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*Promotion*", false, false), nil, nil),
		slack.NewActionBlock("approval_actions", approve)))
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestForwardedRequestsVerify sends every kind of request the page makes
// and checks, with the bot's own verifier, that each arrives signed for the
// page's clock over the exact body, on the route Slack would use.
func TestForwardedRequestsVerify(t *testing.T) {
	e := newEnv(t)
	ts := postApproval(t, e)
	viewID := openEditModal(t, e, "UALICE")
	tests := []struct {
		name  string
		path  string
		body  any
		route string
		check func(t *testing.T, r botRequest)
	}{
		{
			name: "slash command", path: "/sandbox/api/command", route: "/slack/commands",
			body: commandRequest{User: "UALICE", Text: `/atoms promote support-concierge "Refund policy" v2`},
			check: func(t *testing.T, r botRequest) {
				f := r.form
				want := map[string]string{
					"command": "/atoms", "text": `promote support-concierge "Refund policy" v2`, "user_id": "UALICE", "user_name": "alice",
					"channel_id": channelID, "channel_name": "agent-releases", "team_id": teamID, "api_app_id": appID,
				}
				for k, v := range want {
					if f.Get(k) != v {
						t.Errorf("%s = %q, want %q", k, f.Get(k), v)
					}
				}
				if !strings.HasPrefix(f.Get("response_url"), e.apiURL+"response/") || f.Get("trigger_id") == "" {
					t.Errorf("response_url %q, trigger_id %q", f.Get("response_url"), f.Get("trigger_id"))
				}
				sc, err := bot.ParseSlashCommand([]byte(f.Encode()))
				if err != nil || sc.UserID != "UALICE" {
					t.Errorf("the bot cannot parse it: %v", err)
				}
			},
		},
		{
			name: "button click", path: "/sandbox/api/action", route: "/slack/interactions",
			body: actionRequest{User: "UBOB", Channel: channelID, TS: ts, Block: 1, Element: 0},
			check: func(t *testing.T, r botRequest) {
				ic, err := bot.DecodeInteraction([]byte(r.form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				a := ic.ActionCallback.BlockActions[0]
				if ic.Type != slack.InteractionTypeBlockActions || ic.User.ID != "UBOB" || a.ActionID != "atoms_approve" ||
					a.BlockID != "approval_actions" || a.Value != "pr_1|v_1" || a.ActionTs == "" ||
					ic.Container.MessageTs != ts || ic.Container.ChannelID != channelID || ic.Channel.ID != channelID ||
					ic.TriggerID == "" || !strings.HasPrefix(ic.ResponseURL, e.apiURL+"response/") || ic.Message.Timestamp != ts {
					t.Errorf("interaction = %+v", ic)
				}
			},
		},
		{
			name: "modal submission", path: "/sandbox/api/submit", route: "/slack/interactions",
			body: submitRequest{User: "UALICE", ViewID: viewID, Values: map[string]string{"prompt": "Be kind.", "firstMessage": "", "slmModel": "electron"}},
			check: func(t *testing.T, r botRequest) {
				ic, err := bot.DecodeInteraction([]byte(r.form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				v := ic.View
				if ic.Type != slack.InteractionTypeViewSubmission || ic.User.ID != "UALICE" || v.ID != viewID || v.Hash == "" ||
					v.CallbackID != "atoms_edit" || v.PrivateMetadata != "es_1" || v.RootViewID != viewID {
					t.Errorf("view = %+v", v)
				}
				vals := v.State.Values
				if vals["prompt"]["value"].Value != "Be kind." || vals["firstMessage"]["value"].Value != "" ||
					vals["slmModel"]["value"].SelectedOption.Value != "electron" {
					t.Errorf("state = %+v", vals)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := len(e.bot.requests())
			if status, a := e.post(tc.path, tc.body); status != http.StatusOK || a.Error != "" {
				t.Fatalf("%d %+v", status, a)
			}
			reqs := e.bot.requests()
			if len(reqs) != n+1 {
				t.Fatalf("the bot got %d requests, want 1", len(reqs)-n)
			}
			r := reqs[n]
			if r.verifyErr != nil {
				t.Fatalf("signature refused by the bot's verifier: %v", r.verifyErr)
			}
			if r.route != tc.route || r.header.Get("Content-Type") != "application/x-www-form-urlencoded" ||
				r.header.Get("X-Slack-Request-Timestamp") != strconv.FormatInt(epoch.Unix(), 10) {
				t.Errorf("route %s, headers %v", r.route, r.header)
			}
			tc.check(t, r)
		})
	}
}

// TestForwardedSignatureIsBoundToSecretAndTime: the signature covers the
// exact bytes sent, under this secret, at the page's time: a bot with another
// secret, a clock far off, or a body changed in transit refuses it.
func TestForwardedSignatureIsBoundToSecretAndTime(t *testing.T) {
	e := newEnv(t)
	if _, a := e.post("/sandbox/api/command", commandRequest{User: "UOLIVIA", Text: "help"}); a.Error != "" {
		t.Fatal(a.Error)
	}
	r := e.bot.last(t)
	tests := []struct {
		name    string
		v       *bot.Verifier
		body    []byte
		wantErr error
	}{
		{"as sent", bot.NewVerifier(testSecret, fixedNow), r.body, nil},
		{"another secret", bot.NewVerifier("another-secret", fixedNow), r.body, bot.ErrInvalidSignature},
		{"ten minutes later", bot.NewVerifier(testSecret, func() time.Time { return epoch.Add(10 * time.Minute) }), r.body, bot.ErrStaleTimestamp},
		{"body changed", bot.NewVerifier(testSecret, fixedNow), append([]byte("x"), r.body...), bot.ErrInvalidSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.v.Verify(r.header, tc.body); !errors.Is(err, tc.wantErr) {
				t.Errorf("Verify = %v, want %v", err, tc.wantErr)
			}
		})
	}
	// A bare "help" (without /atoms) is sent as the command's text.
	sc, err := bot.ParseSlashCommand(r.body)
	if err != nil || sc.Text != "help" || sc.UserID != "UOLIVIA" || sc.Command != "/atoms" {
		t.Errorf("slash command = %+v, %v", sc, err)
	}
}
