package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// effects counts what the world saw: calls to Atoms and Slack, keys in Redis.
type effects struct{ atoms, slack, redis int }

func (h *harness) effects() effects {
	return effects{atoms: len(h.sim.Calls()), slack: len(h.state().Calls), redis: h.redisKeys()}
}

// redisKeys counts the keys of this test's prefix.
func (h *harness) redisKeys() int {
	ctx := context.Background()
	n := 0
	iter := h.rdb.Scan(ctx, 0, "{"+h.prefix+"}:*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		h.t.Fatalf("scan: %v", err)
	}
	return n
}

// assertNoEffect fails when anything changed since before.
func (h *harness) assertNoEffect(before effects) {
	h.t.Helper()
	if got := h.effects(); got != before {
		h.t.Errorf("side effects: before %+v, after %+v (slack:%s)", before, got, h.dump())
	}
}

// atomsClient is a client of the simulator for a test's own setup and checks.
func (h *harness) atomsClient() *atoms.Client {
	h.t.Helper()
	c, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, RPS: 100000, Sleep: noSleep})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// atomsClientAs is a client of the simulator acting as a dashboard user
// (the simulator records user as the editor of what it changes).
func (h *harness) atomsClientAs(user string) *atoms.Client {
	h.t.Helper()
	hc := &http.Client{Transport: asUser{user: user, next: http.DefaultTransport}}
	c, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, HTTPClient: hc, RPS: 100000, Sleep: noSleep})
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

// asUser sends every request as a dashboard user of the simulator.
type asUser struct {
	user string
	next http.RoundTripper
}

func (a asUser) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Atomsim-User", a.user)
	return a.next.RoundTrip(r)
}

// raw sends body to path of the first replica as is; sign (may be nil) sets
// the signature headers, so a test can get them wrong.
func (h *harness) raw(path, body string, sign func(*http.Request)) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign != nil {
		sign(req)
	}
	rec := httptest.NewRecorder()
	h.bot.server.ServeHTTP(rec, req)
	h.bot.drain()
	return rec
}

// signAt signs body with secret at t.
func signAt(secret string, t time.Time, body string) func(*http.Request) {
	return func(req *http.Request) {
		ts := strconv.FormatInt(t.Unix(), 10)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", NewVerifier(secret, nil).Sign(ts, []byte(body)))
	}
}

// commandBody is the form Slack posts for `/atoms text` typed by user.
func (h *harness) commandBody(user, text string) string {
	return url.Values{
		"token": {"ignored"}, "team_id": {"T1"}, "team_domain": {"acme"},
		"channel_id": {testChannel}, "channel_name": {"deploys"}, "user_id": {user}, "user_name": {strings.ToLower(user[1:])},
		"command": {"/atoms"}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user})},
		"trigger_id":   {h.slack.IssueTrigger(user)},
	}.Encode()
}

// replyTo is the newest message shown to user only, with its blocks as one
// string (decoded, so escapes like \u003c cannot hide a raw "<").
func (h *harness) replyTo(user string) (text, blocks string) {
	h.t.Helper()
	msgs := h.state().Messages
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if m.User == user && (m.Ephemeral || m.ResponseType == "ephemeral") {
			return m.Text, decodedJSON(h.t, m.Blocks)
		}
	}
	h.t.Fatalf("no reply to %s:%s", user, h.dump())
	return "", ""
}

// decodedJSON re-encodes raw JSON without HTML escaping.
func decodedJSON(t testing.TB, raw []byte) string {
	t.Helper()
	if len(raw) == 0 {
		return ""
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, raw)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// logRecorder keeps every log line, rendered, for checks on what is logged.
type logRecorder struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRecorder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

func (l *logRecorder) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}

func (l *logRecorder) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// metricsRecorder implements Metrics for assertions.
type metricsRecorder struct {
	mu         sync.Mutex
	requests   map[string]int // "route outcome"
	signatures map[string]int
	rejected   int
}

func newMetricsRecorder() *metricsRecorder {
	return &metricsRecorder{requests: map[string]int{}, signatures: map[string]int{}}
}

func (m *metricsRecorder) ObserveRequest(route, outcome string, _ time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[route+" "+outcome]++
}

func (m *metricsRecorder) ObserveSignatureFailure(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signatures[reason]++
}

func (m *metricsRecorder) ObservePool(_ int, rejected bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rejected {
		m.rejected++
	}
}

func (m *metricsRecorder) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.requests[key]
}

func (m *metricsRecorder) signature(reason string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.signatures[reason]
}
