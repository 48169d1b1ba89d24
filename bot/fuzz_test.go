package bot

import (
	"encoding/json"
	"net/url"
	"testing"
)

// interactionSeeds are realistic payloads (the shapes Slack sends)
// and near misses; the checked-in corpus under testdata/fuzz holds more.
func interactionSeeds() []string {
	form := func(payload string) string { return url.Values{"payload": {payload}}.Encode() }
	return []string{
		form(`{"type":"block_actions","user":{"id":"U0123ABCD","username":"alice","name":"alice","team_id":"T0123ABCD"},"api_app_id":"A0123ABCD","token":"x","container":{"type":"message","message_ts":"1700000000.000100","channel_id":"C0123ABCD","is_ephemeral":false},"trigger_id":"1.2.3","team":{"id":"T0123ABCD","domain":"acme"},"enterprise":null,"is_enterprise_install":false,"channel":{"id":"C0123ABCD","name":"deploys"},"message":{"type":"message","user":"U0BOT0001","ts":"1700000000.000100","bot_id":"B0123ABCD","text":"diff ready","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"x"}},{"type":"actions","elements":[{"type":"button","action_id":"atoms_approve","text":{"type":"plain_text","text":"Approve"},"value":"p|v"}]}]},"state":{"values":{}},"response_url":"https://hooks.slack.com/actions/T/1/A","actions":[{"type":"button","action_id":"atoms_approve","block_id":"approval_actions","text":{"type":"plain_text","text":"Approve","emoji":true},"value":"p_1|v_1","style":"primary","action_ts":"1700000005.123456"}]}`),
		form(`{"type":"view_submission","team":{"id":"T0123ABCD"},"user":{"id":"U0123ABCD"},"trigger_id":"1.2.3","view":{"id":"V0123ABCD","type":"modal","callback_id":"atoms_edit","private_metadata":"es_0123","hash":"1700000010.AbCdEf12","state":{"values":{"prompt":{"value":{"type":"plain_text_input","value":"You are helpful."}},"slmModel":{"value":{"type":"static_select","selected_option":{"text":{"type":"plain_text","text":"gpt-4o"},"value":"gpt-4o"}}}}},"blocks":[{"type":"input","block_id":"prompt","label":{"type":"plain_text","text":"Prompt"},"element":{"type":"plain_text_input","action_id":"value","multiline":true}}]},"response_urls":[],"is_enterprise_install":false,"enterprise":null}`),
		form(`{"type":"view_closed","user":{"id":"U1"},"view":{"id":"V1","callback_id":"atoms_edit","private_metadata":"es_1"},"is_cleared":false}`),
		form(`{"type":"block_actions","user":{"id":"U1"},"state":{"values":{"b":{"a":{"type":"datepicker","selected_date":"2026-11-02"}}}},"actions":[]}`),
		form(`{"type":"dialog_submission","user":{"id":"U1"},"state":"raw state","submission":{"a":"b"}}`),
		form(`{"type":"shortcut","user":{"id":"U1"},"callback_id":"x"}`),
		form(`{"type":"block_actions","user":{"id":"U1"},"message":{"blocks":[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"hi"}]}]},{"type":"unknown_block"}]}}`),
		form(`{"type":"block_actions","user":{"id":"U1"},"actions":[{"type":"multi_static_select","selected_options":[{"value":"a"}]}]}`),
		form(`{"type":"view_submission","user":{"id":"U1"},"view":{"blocks":[{"type":"input","element":{"type":"number_input"}}],"state":{"values":{"x":{"y":{"type":"number_input","value":"12"}}}}}}`),
		form(`{"type":"block_actions","user":{"id":"U1"}} trailing`),
		form(`{"type":"block_actions"}`),
		form(`null`),
		form(`[]`),
		form(`{"type":1}`),
		// Unencoded JSON is a valid form value when it holds no & ; % or +:
		// these let the fuzzer mutate the JSON itself.
		`payload={"type":"view_submission","user":{"id":"U1"},"view":{"id":"V1","callback_id":"atoms_edit","private_metadata":"es_1","state":{"values":{"firstMessage":{"value":{"type":"plain_text_input","value":"hi"}}}}}}`,
		`payload={"type":"block_actions","user":{"id":"U1"},"container":{"type":"message","message_ts":"1.2","channel_id":"C1"},"actions":[{"action_id":"atoms_approve","value":"p|v","action_ts":"1.3"}],"message":{"blocks":[{"type":"header","text":{"type":"plain_text","text":"x"}}]}}`,
		"payload=%7B%22type%22",
		"payload=%zz",
		"a=b;payload=c",
		"",
		"payload=",
		"payload=" + url.QueryEscape(`{"type":"block_actions","user":{"id":"U1"}}`) + "&payload=" + url.QueryEscape(`{"type":"view_submission"}`),
	}
}

// FuzzDecodeInteraction: whatever the body, DecodeInteraction never panics,
// and what it accepts has a type and a user.
func FuzzDecodeInteraction(f *testing.F) {
	for _, s := range interactionSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ic, err := DecodeInteraction(body)
		if err != nil {
			if err != ErrMalformed {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
			return
		}
		if ic.Type == "" || ic.User.ID == "" {
			t.Fatalf("accepted %q without type or user", body)
		}
		// What was accepted came from the first payload field of the body.
		v, perr := url.ParseQuery(string(body))
		if perr == nil {
			var probe struct {
				Type string `json:"type"`
			}
			if json.Unmarshal([]byte(v.Get("payload")), &probe) != nil || probe.Type != string(ic.Type) {
				t.Fatalf("decoded type %q from %q", ic.Type, body)
			}
		}
	})
}

// FuzzParseSlashCommand checks ParseSlashCommand against
// url.ParseQuery: same verdict on well-formed bodies, same values.
func FuzzParseSlashCommand(f *testing.F) {
	f.Add([]byte(vectorBody))
	f.Add([]byte(slashBody(`promote support-concierge "Refund policy update" refund <!channel> & co`)))
	f.Add([]byte("command=%2Fatoms&user_id=U1&channel_id=C1&text=a+b%2Bc&text=second"))
	f.Add([]byte("command=/atoms&user_id=U1&channel_id=C1&&&=&text"))
	f.Add([]byte("command=%2Fatoms;user_id=U1"))
	f.Add([]byte("command=%2&user_id=U1&channel_id=C1"))
	f.Fuzz(func(t *testing.T, body []byte) {
		sc, err := ParseSlashCommand(body)
		v, perr := url.ParseQuery(string(body))
		if perr != nil {
			if err == nil {
				t.Fatalf("accepted %q, which url.ParseQuery refuses (%v)", body, perr)
			}
			return
		}
		want := map[string]string{"command": sc.Command, "user_id": sc.UserID, "channel_id": sc.ChannelID, "text": sc.Text,
			"trigger_id": sc.TriggerID, "response_url": sc.ResponseURL, "team_id": sc.TeamID, "user_name": sc.UserName}
		for k, got := range want {
			if v.Get(k) != got {
				t.Fatalf("%s = %q, url.ParseQuery says %q (body %q)", k, got, v.Get(k), body)
			}
		}
		required := v.Get("command") != "" && v.Get("user_id") != "" && v.Get("channel_id") != ""
		if (err == nil) != required {
			t.Fatalf("err = %v for %q", err, body)
		}
	})
}
