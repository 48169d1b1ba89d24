package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// Secrets of the test world. Distinctive, so finding one in a log line is
// never a coincidence.
const (
	testSigningSecret = "sig-secret-5f1c9e0a7b3d"
	testBotToken      = "xoxb-bot-token-93ab71c4e2"
	testAppToken      = "xapp-app-token-0d2e8f61aa"
	testAPIKey        = "sk_live_api_key_7c41e2b9f0"
	testChannel       = "CDEPLOYS"
	alice             = "UALICE"
	bob               = "UBOB"
	demoAgent         = "support-concierge"
)

var testSecrets = []string{testSigningSecret, testBotToken, testAppToken, testAPIKey}

// envNames lists every variable the env struct reads.
func envNames() []string {
	var out []string
	t := reflect.TypeFor[env]()
	for i := range t.NumField() {
		out = append(out, t.Field(i).Tag.Get("envconfig"))
	}
	return out
}

// setEnv makes vars the whole configuration environment: every other
// variable of the table is unset for the test.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, name := range envNames() {
		t.Setenv(name, "") // registers the restore
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

// logSink collects log output from any number of goroutines.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *logSink) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.buf.String()), "\n")
}

// records parses every line as a JSON log record.
func (s *logSink) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range s.lines() {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// redisBackend is a Redis the test runs against, by URL.
type redisBackend = statetest.Backend

// eachRedis runs f against miniredis and, when REDIS_URL is set, a real Redis.
func eachRedis(t *testing.T, f func(t *testing.T, b redisBackend)) { statetest.Each(t, f) }

// world is everything outside atomsbot: a simulated Atoms, a fake Slack and a
// Redis key space, shared by any number of atomsbot processes.
type world struct {
	t        *testing.T
	clock    *atomsim.Clock
	sim      *atomsim.Simulator
	simURL   string
	slack    *slackfake.Server
	slackURL string
	redis    redisBackend
	prefix   string
	agents   map[string]atomsim.AgentInfo

	gateMu sync.Mutex
	gate   func(ctx context.Context) // blocks simulated latency when set
}

func newWorld(t *testing.T, b redisBackend) *world {
	t.Helper()
	w := &world{t: t, clock: atomsim.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)), redis: b,
		prefix: b.Prefix(t), agents: map[string]atomsim.AgentInfo{}}
	w.sim = atomsim.New(atomsim.Options{APIKey: testAPIKey, Now: w.clock.Now, CheckDelay: -1, Seed: 7,
		Sleep: func(ctx context.Context, _ time.Duration) {
			w.gateMu.Lock()
			g := w.gate
			w.gateMu.Unlock()
			if g != nil {
				g(ctx)
			}
		}})
	seeded, err := w.sim.SeedDemo()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range seeded {
		w.agents[a.Name] = a
	}
	simSrv := httptest.NewServer(w.sim)
	t.Cleanup(simSrv.Close)
	w.simURL = simSrv.URL + "/atoms/v1"
	w.slack = slackfake.New(slackfake.Options{Token: testBotToken, Now: w.clock.Now, BotUserID: "UBOT"})
	slackSrv := httptest.NewServer(w.slack)
	t.Cleanup(slackSrv.Close)
	w.slack.SetBaseURL(slackSrv.URL)
	w.slackURL = slackSrv.URL + "/"
	return w
}

// store opens the world's Redis state independently of any app (whose
// client is closed when it stops).
func (w *world) store() *state.Store {
	opt, err := redis.ParseURL(w.redis.URL)
	if err != nil {
		w.t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	w.t.Cleanup(func() { rdb.Close() })
	return state.New(rdb, w.prefix, w.clock.Now)
}

// env is the production configuration pointing at this world.
func (w *world) env(extra map[string]string) map[string]string {
	vars := map[string]string{
		"SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_BOT_TOKEN": testBotToken, "SMALLEST_API_KEY": testAPIKey,
		"SLACK_API_URL": w.slackURL, "ATOMS_BASE_URL": w.simURL, "ATOMS_RPS": "1000", "REDIS_URL": w.redis.URL,
		"LISTEN_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return vars
}

// newApp builds an atomsbot process from the environment, as main does.
func (w *world) newApp(owner string, log *logSink, extra map[string]string) (*app, *redactor) {
	w.t.Helper()
	setEnv(w.t, w.env(extra))
	cfg, err := loadConfig()
	if err != nil {
		w.t.Fatalf("config: %v", err)
	}
	var out io.Writer = io.Discard
	if log != nil {
		out = log
	}
	logger, red := newLogger(out, "json", cfg.LogLevel, cfg.Secrets())
	a, err := newApp(cfg, appOptions{Logger: logger, Now: w.clock.Now, KeyPrefix: w.prefix, Owner: owner,
		Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		w.t.Fatalf("newApp: %v", err)
	}
	return a, red
}

// running is an app serving on a real listener.
type running struct {
	a    *app
	base string
	stop func() error // cancel the run's context and wait for it to return
	wait func() error // wait for the run to return by itself
}

func (w *world) start(a *app) *running {
	w.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.run(ctx, ln, nil) }()
	var once sync.Once
	var runErr error
	wait := func() error {
		once.Do(func() {
			select {
			case runErr = <-done:
			case <-time.After(60 * time.Second):
				w.t.Error("app did not stop")
			}
		})
		return runErr
	}
	stop := func() error { cancel(); return wait() }
	w.t.Cleanup(func() { _ = stop() })
	return &running{a: a, base: "http://" + ln.Addr().String(), stop: stop, wait: wait}
}

// sign adds Slack's signature headers for body, made with secret.
func (w *world) sign(req *http.Request, body, secret string) {
	ts := strconv.FormatInt(w.clock.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", bot.NewVerifier(secret, nil).Sign(ts, []byte(body)))
}

// signedTo serves a signed request with h directly (no listener, no poller).
func (w *world) signedTo(h http.Handler, path, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	w.sign(req, body, testSigningSecret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// signed posts a form body signed with secret to a running app.
func (w *world) signed(base, path, body, secret string) *http.Response {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	w.sign(req, body, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (w *world) commandBody(user, text string) string {
	return url.Values{
		"team_id": {"T1"}, "team_domain": {"acme"}, "channel_id": {testChannel}, "channel_name": {"deploys"},
		"user_id": {user}, "user_name": {strings.ToLower(user[1:])}, "command": {"/atoms"}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {w.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user})},
		"trigger_id":   {w.slack.IssueTrigger(user)},
	}.Encode()
}

func (w *world) clickBody(user, ts, actionID, value string) string {
	b, err := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team":      map[string]any{"id": "T1"},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": testChannel},
		"channel":   map[string]any{"id": testChannel}, "trigger_id": w.slack.IssueTrigger(user),
		"response_url": w.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user, MessageTS: ts}),
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "approval_actions", "value": value,
			"action_ts": strconv.FormatInt(w.clock.Now().UnixNano(), 10)}},
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return url.Values{"payload": {string(b)}}.Encode()
}

// approvalRequest returns the approval message's ts and Approve button value.
func (w *world) approvalRequest() (ts, value string) {
	w.t.Helper()
	for _, m := range w.slack.Snapshot().ChannelMessages(testChannel) {
		if m.ThreadTS != "" || !strings.Contains(string(m.Blocks), render.ActionApprove) {
			continue
		}
		var blocks []struct {
			Elements []struct {
				ActionID string `json:"action_id"`
				Value    string `json:"value"`
			} `json:"elements"`
		}
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			w.t.Fatal(err)
		}
		for _, b := range blocks {
			for _, e := range b.Elements {
				if e.ActionID == render.ActionApprove {
					return m.TS, e.Value
				}
			}
		}
	}
	w.t.Fatalf("no approval request in %s", testChannel)
	return "", ""
}

// activeVersion is the simulator's active version number of an agent.
func (w *world) activeVersion(name string) int {
	w.t.Helper()
	a, ok := w.sim.Agent(w.agents[name].ID)
	if !ok {
		w.t.Fatalf("agent %s gone", name)
	}
	for _, v := range a.Versions {
		if v.ID == a.ActiveVersionID {
			return v.Number
		}
	}
	return 0
}

func drain(t *testing.T, a *app) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.pool.Drain(ctx); err != nil {
		t.Fatalf("async work did not finish: %v", err)
	}
}
