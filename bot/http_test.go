package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

// observe replaces the first replica's HTTP server by one that records its
// logs and metrics.
func (h *harness) observe() (*logRecorder, *metricsRecorder) {
	logs, m := &logRecorder{}, newMetricsRecorder()
	h.bot.server = NewServer(h.bot.handler, ServerOptions{
		Verifier: NewVerifier(testSecret, h.clock.Now), Now: h.clock.Now,
		Logger: logs.logger(), Metrics: m, Ready: h.bot.store.Ping,
	})
	return logs, m
}

// A request that fails verification changes nothing anywhere, whatever it
// would have done: promote publishes, an approval click activates.
func TestSignatureFailuresHaveNoEffect(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		logs, metrics := h.observe()
		now := h.clock.Now()
		promote := h.commandBody(alice, `promote support-concierge "Refund policy update" refund wording`)
		click, _ := json.Marshal(map[string]any{
			"type": "block_actions", "user": map[string]any{"id": bob}, "channel": map[string]any{"id": testChannel},
			"container": map[string]any{"type": "message", "message_ts": "1.2", "channel_id": testChannel},
			"actions":   []map[string]any{{"action_id": render.ActionApprove, "value": "p_1|v_1", "action_ts": "1.3"}},
		})
		interaction := url.Values{"payload": {string(click)}}.Encode()
		challenge := `{"token":"x","challenge":"abc123","type":"url_verification"}`
		tests := []struct {
			name   string
			sign   func(body string) func(*http.Request)
			send   func(body string) string // what is sent instead of the signed body
			reason string
		}{
			{"bad signature", func(string) func(*http.Request) {
				return func(r *http.Request) {
					r.Header.Set("X-Slack-Request-Timestamp", "1793610000")
					r.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
				}
			}, nil, "mismatch"},
			{"stale (replayed after 5 minutes)", func(body string) func(*http.Request) {
				return signAt(testSecret, now.Add(-5*time.Minute-time.Second), body)
			}, nil, "stale"},
			{"future", func(body string) func(*http.Request) {
				return signAt(testSecret, now.Add(5*time.Minute+time.Second), body)
			}, nil, "stale"},
			{"missing headers", func(string) func(*http.Request) { return nil }, nil, "missing"},
			{"missing signature", func(body string) func(*http.Request) {
				return func(r *http.Request) { signAt(testSecret, now, body)(r); r.Header.Del("X-Slack-Signature") }
			}, nil, "missing"},
			{"tampered body", func(body string) func(*http.Request) { return signAt(testSecret, now, body) },
				func(body string) string { return strings.Replace(body, "support", "suppork", 1) + "&x=1" }, "mismatch"},
			{"wrong secret", func(body string) func(*http.Request) { return signAt("not-the-secret", now, body) }, nil, "mismatch"},
			{"malformed timestamp", func(body string) func(*http.Request) {
				return func(r *http.Request) {
					signAt(testSecret, now, body)(r)
					r.Header.Set("X-Slack-Request-Timestamp", "soon")
				}
			}, nil, "stale"},
		}
		for _, tt := range tests {
			for _, route := range []struct{ path, body string }{
				{"/slack/commands", promote}, {"/slack/interactions", interaction}, {"/slack/events", challenge},
			} {
				t.Run(tt.name+route.path, func(t *testing.T) {
					before := h.effects()
					failures := metrics.signature(tt.reason)
					sent := route.body
					if tt.send != nil {
						sent = tt.send(route.body)
					}
					rec := h.raw(route.path, sent, tt.sign(route.body))
					if rec.Code != http.StatusUnauthorized {
						t.Fatalf("status %d, want 401: %s", rec.Code, rec.Body)
					}
					if strings.Contains(rec.Body.String(), "abc123") {
						t.Errorf("the challenge was answered without a valid signature")
					}
					h.assertNoEffect(before)
					if metrics.signature(tt.reason) != failures+1 {
						t.Errorf("signature failure %q not counted: %v", tt.reason, metrics.signatures)
					}
				})
			}
		}
		// Nothing ran, so there is nothing the promote would have done.
		if n := len(h.live(h.agent(demoAgent).ID).Versions); n != 3 {
			t.Errorf("versions = %d after refused promotes", n)
		}
		log := logs.all()
		if !strings.Contains(log, "slack requests refused") {
			t.Errorf("refusals are not logged:\n%s", log)
		}
		for _, secret := range []string{testSecret, testToken, testAPIKey, NewVerifier(testSecret, nil).Sign("1793610000", []byte(promote))} {
			if strings.Contains(log, secret) {
				t.Errorf("the log reveals a secret (%.8s…)", secret)
			}
		}
	})
}

func TestOversizedBodiesAre413(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, metrics := h.observe()
		big := h.commandBody(alice, "agents") + "&pad=" + strings.Repeat("a", maxBody)
		tests := []struct {
			name          string
			body          string
			contentLength int64 // -1: unknown (chunked)
			want          int
		}{
			{"declared over 1 MiB", big, int64(len(big)), http.StatusRequestEntityTooLarge},
			{"chunked over 1 MiB", big, -1, http.StatusRequestEntityTooLarge},
			{"exactly 1 MiB is read", h.commandBody(alice, "agents") + "&pad=" + strings.Repeat("a", maxBody-len(h.commandBody(alice, "agents"))-5), -2, http.StatusOK},
		}
		for _, tt := range tests {
			for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
				t.Run(tt.name+path, func(t *testing.T) {
					if tt.want == http.StatusOK && path != "/slack/commands" {
						t.Skip("one route suffices for the boundary")
					}
					if tt.contentLength == -2 && len(tt.body) != maxBody {
						t.Fatalf("boundary body is %d bytes", len(tt.body))
					}
					before := h.effects()
					rec := h.raw(path, tt.body, func(r *http.Request) {
						signAt(testSecret, h.clock.Now(), tt.body)(r)
						if tt.contentLength == -1 {
							r.ContentLength = -1
							r.Body = bodyReader{strings.NewReader(tt.body)}
						}
					})
					if rec.Code != tt.want {
						t.Fatalf("status %d, want %d", rec.Code, tt.want)
					}
					if tt.want != http.StatusOK {
						h.assertNoEffect(before)
					}
				})
			}
		}
		if metrics.count("commands too_large") != 2 {
			t.Errorf("too_large not counted: %v", metrics.requests)
		}
	})
}

func TestMalformedSignedPayloadsAre400(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, metrics := h.observe()
		payload := func(v string) string { return url.Values{"payload": {v}}.Encode() }
		tests := []struct{ name, path, body string }{
			{"command: empty body", "/slack/commands", ""},
			{"command: JSON", "/slack/commands", `{"command":"/atoms","text":"agents"}`},
			{"command: bad escape", "/slack/commands", "command=%2Fatoms&user_id=U1&channel_id=C1&text=%zz"},
			{"command: semicolons", "/slack/commands", "command=/atoms;user_id=U1;channel_id=C1"},
			{"command: no user", "/slack/commands", "command=%2Fatoms&channel_id=C1&text=agents"},
			{"command: no channel", "/slack/commands", "command=%2Fatoms&user_id=U1&text=agents"},
			{"command: no command", "/slack/commands", "user_id=U1&channel_id=C1&text=agents"},
			{"interaction: no payload", "/slack/interactions", "type=block_actions"},
			{"interaction: empty payload", "/slack/interactions", "payload="},
			{"interaction: not JSON", "/slack/interactions", payload("{not json")},
			{"interaction: JSON array", "/slack/interactions", payload(`[{"type":"block_actions"}]`)},
			{"interaction: trailing data", "/slack/interactions", payload(`{"type":"block_actions","user":{"id":"U1"}} {"type":"x"}`)},
			{"interaction: no type", "/slack/interactions", payload(`{"user":{"id":"U1"}}`)},
			{"interaction: no user", "/slack/interactions", payload(`{"type":"block_actions"}`)},
			{"interaction: wrong field types", "/slack/interactions", payload(`{"type":"block_actions","user":{"id":7}}`)},
			{"interaction: null", "/slack/interactions", payload(`null`)},
			{"interaction: raw JSON body", "/slack/interactions", `{"type":"block_actions","user":{"id":"U1"}}`},
			{"events: not JSON", "/slack/events", "challenge=abc"},
			{"events: no type", "/slack/events", `{"challenge":"abc"}`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := h.effects()
				rec := h.raw(tt.path, tt.body, signAt(testSecret, h.clock.Now(), tt.body))
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
				}
				h.assertNoEffect(before)
			})
		}
		// The payload of a signed request in the query string is ignored:
		// the signature covers the body only (slack-go 0.35 fixed this).
		t.Run("interaction: payload smuggled in the query", func(t *testing.T) {
			before := h.effects()
			req := httptest.NewRequest(http.MethodPost, "/slack/interactions?payload="+url.QueryEscape(`{"type":"block_actions","user":{"id":"U1"}}`), strings.NewReader(""))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			signAt(testSecret, h.clock.Now(), "")(req)
			rec := httptest.NewRecorder()
			h.bot.server.ServeHTTP(rec, req)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", rec.Code)
			}
			h.assertNoEffect(before)
		})
		if metrics.count("commands malformed") != 7 {
			t.Errorf("malformed commands counted %d times: %v", metrics.count("commands malformed"), metrics.requests)
		}
	})
}

func TestEventsURLVerification(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		body := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
		rec := h.raw("/slack/events", body, signAt(testSecret, h.clock.Now(), body))
		if rec.Code != http.StatusOK || rec.Body.String() != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
			t.Fatalf("url_verification = %d %q", rec.Code, rec.Body)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type %q", ct)
		}
		// An event atomsbot does not subscribe to is acknowledged and ignored.
		before := h.effects()
		other := `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention","text":"<@UBOT> promote"}}`
		rec = h.raw("/slack/events", other, signAt(testSecret, h.clock.Now(), other))
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
			t.Fatalf("event_callback = %d %q", rec.Code, rec.Body)
		}
		h.assertNoEffect(before)
	})
}

func TestProbesAndMethods(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		get := func(path string) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			h.bot.server.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			return rec
		}
		if rec := get("/healthz"); rec.Code != http.StatusOK {
			t.Errorf("/healthz = %d", rec.Code)
		}
		if rec := get("/readyz"); rec.Code != http.StatusOK {
			t.Errorf("/readyz = %d", rec.Code)
		}
		if rec := get("/slack/commands"); rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("GET /slack/commands = %d, want 405", rec.Code)
		}
		if rec := get("/slack/nope"); rec.Code != http.StatusNotFound {
			t.Errorf("unknown route = %d", rec.Code)
		}
		// Redis gone: not ready, still alive.
		gone := miniredis.RunT(t)
		rdb := redis.NewClient(&redis.Options{Addr: gone.Addr(), MaxRetries: -1})
		t.Cleanup(func() { _ = rdb.Close() })
		gone.Close()
		h.bot.server = NewServer(h.bot.handler, ServerOptions{Verifier: NewVerifier(testSecret, h.clock.Now),
			Ready: state.New(rdb, h.prefix, h.clock.Now).Ping})
		if rec := get("/readyz"); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("/readyz without Redis = %d", rec.Code)
		}
		if rec := get("/healthz"); rec.Code != http.StatusOK {
			t.Errorf("/healthz without Redis = %d", rec.Code)
		}
	})
}

func TestParseSlashCommandMatchesSlackGo(t *testing.T) {
	body := vectorBody + "&is_enterprise_install=true&api_app_id=A1&text=ignored-second&enterprise_name=Acme+%26+Co"
	sc, err := ParseSlashCommand([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Token": "xyzz0WbapA4vBCDEFasx0q6G", "TeamID": "T1DC2JH3J", "TeamDomain": "testteamnow", "ChannelID": "G8PSS9T3V",
		"ChannelName": "foobar", "UserID": "U2CERLKJA", "UserName": "roadrunner", "Command": "/webhook-collect", "Text": "",
		"ResponseURL": "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
		"TriggerID":   "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c", "APIAppID": "A1", "EnterpriseName": "Acme & Co",
	}
	got, _ := json.Marshal(sc)
	var fields map[string]any
	_ = json.Unmarshal(got, &fields)
	for k, v := range map[string]string{"Token": sc.Token, "TeamID": sc.TeamID, "TeamDomain": sc.TeamDomain, "ChannelID": sc.ChannelID,
		"ChannelName": sc.ChannelName, "UserID": sc.UserID, "UserName": sc.UserName, "Command": sc.Command, "Text": sc.Text,
		"ResponseURL": sc.ResponseURL, "TriggerID": sc.TriggerID, "APIAppID": sc.APIAppID, "EnterpriseName": sc.EnterpriseName} {
		if v != want[k] {
			t.Errorf("%s = %q, want %q", k, v, want[k])
		}
	}
	if !sc.IsEnterpriseInstall {
		t.Error("is_enterprise_install not read")
	}
	// An empty text (the first occurrence) wins over a later one, as with url.Values.Get.
	if sc.Text != "" {
		t.Errorf("Text = %q", sc.Text)
	}
	// "+" is a space, %XX is decoded, multi-byte text survives.
	sc, err = ParseSlashCommand([]byte("command=%2Fatoms&user_id=U1&channel_id=C1&text=promote+web+%E2%80%9Cbig+one%E2%80%9D+%3C%21channel%3E"))
	if err != nil || sc.Text != "promote web “big one” <!channel>" {
		t.Errorf("text = %q, %v", sc.Text, err)
	}
}

// TestAckRawMatchesBody: an answer marshalled ahead is exactly what
// marshalling its Body gives (Socket Mode marshals Body itself, and both
// transports must say the same).
func TestAckRawMatchesBody(t *testing.T) {
	h := NewHandler(nil, nil, nil, nil, NewPool(0, 0, time.Minute), Config{})
	sc := slack.SlashCommand{Command: "/atoms", UserID: "U1", ChannelID: "C1"}
	acks := map[string]Ack{"busy": h.busy(), "intro with help": h.withHelp(render.Note("a <b> & \"c\" \u2028"))}
	for _, text := range []string{"", "help", "help diff", "frob", "<!channel>", "status support-concierge"} {
		sc.Text = text
		acks["/atoms "+text] = h.Command(context.Background(), sc)
	}
	for name, a := range acks {
		t.Run(name, func(t *testing.T) {
			if a.raw == nil {
				t.Fatal("not marshalled ahead")
			}
			body, err := json.Marshal(a.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.raw, body) {
				t.Errorf("raw  %s\nbody %s", a.raw, body)
			}
			if !strings.Contains(string(a.raw), `"response_type":"ephemeral"`) || !strings.Contains(string(a.raw), "busy") && !strings.Contains(string(a.raw), "/atoms diff") {
				t.Errorf("not the usage or busy answer: %s", a.raw)
			}
		})
	}
}

func TestWriteAck(t *testing.T) {
	tests := []struct {
		name string
		ack  Ack
		want string
		ct   string
	}{
		{"empty", Ack{}, "", ""},
		{"raw", Ack{Body: json.RawMessage(`{"a":1}`)}, `{"a":1}`, "application/json"},
		{"value", Ack{Body: map[string]string{"response_action": "clear"}}, `{"response_action":"clear"}`, "application/json"},
		{"unmarshalable", Ack{Body: func() {}}, "", ""},
		{"pre-marshalled", Ack{Body: slack.Msg{Text: "slow"}, raw: json.RawMessage(`{"text":"fast"}`)}, `{"text":"fast"}`, "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeAck(rec, tt.ack)
			if rec.Code != http.StatusOK || rec.Body.String() != tt.want || rec.Header().Get("Content-Type") != tt.ct {
				t.Fatalf("got %d %q %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
			}
		})
	}
}
