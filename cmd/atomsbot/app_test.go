package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/state"
)

// wantSeries are the series the issue asks /metrics to expose, each with a
// label fragment that must appear on at least one sample of it.
var wantSeries = []struct{ what, name, labels string }{
	{"Slack requests by route and outcome", "atomsbot_slack_requests_total", `route="commands",outcome="ok"`},
	{"ack latency histogram", "atomsbot_slack_ack_seconds_bucket", `route="interactions"`},
	{"signature failures", "atomsbot_slack_signature_failures_total", `reason="mismatch"`},
	{"worker-pool queue depth", "atomsbot_worker_queue_depth", ""},
	{"worker-pool rejections", "atomsbot_worker_rejections_total", ""},
	{"Atoms calls by endpoint and status", "atomsbot_atoms_calls_total", `status="200"`},
	{"Atoms retries", "atomsbot_atoms_retries_total", `endpoint="`},
	{"rate-limiter wait", "atomsbot_atoms_rate_limiter_wait_seconds_count", ""},
	{"promotions by state", "atomsbot_promotions_total", `state="live"`},
	{"security-check wait time", "atomsbot_security_check_wait_seconds_count", ""},
	{"poller lag", "atomsbot_poller_lag_seconds_count", ""},
	{"Slack API errors", "atomsbot_slack_api_calls_total", `method="chat.postMessage",outcome="ok"`},
	{"Slack API 429s", "atomsbot_slack_api_rate_limited_total", `method="chat.postMessage"`},
}

// scrape returns /metrics as series → value.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// find returns the samples of a metric that carry every comma-separated
// label of frag (Prometheus sorts labels, so each is matched on its own).
func find(samples map[string]float64, name, frag string) map[string]float64 {
	out := map[string]float64{}
	for s, v := range samples {
		if s != name && !strings.HasPrefix(s, name+"{") {
			continue
		}
		ok := true
		for _, l := range strings.Split(frag, ",") {
			ok = ok && strings.Contains(s, l)
		}
		if ok {
			out[s] = v
		}
	}
	return out
}

func TestFullPromotionThroughTheApp(t *testing.T) {
	eachRedis(t, func(t *testing.T, b redisBackend) {
		w := newWorld(t, b)
		logs := &logSink{}
		a, red := w.newApp("replica-a", logs, nil)
		r := w.start(a)

		res := w.signed(r.base, "/slack/commands", w.commandBody(alice, `promote support-concierge "Refund policy update" refund wording`), testSigningSecret)
		if res.StatusCode != 200 {
			t.Fatalf("promote: %d", res.StatusCode)
		}
		if res.Header.Get(requestIDHeader) == "" {
			t.Error("the answer carries no X-Request-Id")
		}
		drain(t, a)
		ts, value := w.approvalRequest()
		if res := w.signed(r.base, "/slack/interactions", w.clickBody(bob, ts, render.ActionApprove, value), testSigningSecret); res.StatusCode != 200 {
			t.Fatalf("approve: %d", res.StatusCode)
		}
		drain(t, a)
		// The check passed at publish (CheckDelay < 0) and the approval pokes
		// the promotion, so the app's own poller activates it without the
		// clock moving: wait for the announcement, not for time.
		wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.slack.WaitFor(wctx, func(st slackfake.State) bool { return st.CountText("is live") > 0 }); err != nil {
			t.Fatalf("never announced: %v", err)
		}
		if got := w.activeVersion(demoAgent); got != 4 {
			t.Fatalf("active version v%d, want v4", got)
		}
		if n := w.slack.Snapshot().CountText("is live"); n != 1 {
			t.Fatalf("%d 'is live' posts, want 1", n)
		}
		// One forged request, so the refusal is counted and logged too.
		if res := w.signed(r.base, "/slack/commands", w.commandBody(alice, "help"), "not-the-secret"); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged request: %d, want 401", res.StatusCode)
		}

		samples := scrape(t, r.base)
		for _, s := range wantSeries {
			if len(find(samples, s.name, s.labels)) == 0 {
				t.Errorf("/metrics lacks %s: %s{%s}", s.what, s.name, s.labels)
			}
		}
		if got := find(samples, "atomsbot_promotions_total", `state="live"`); sum(got) != 1 {
			t.Errorf("promotions live = %v, want 1", got)
		}
		if got := find(samples, "atomsbot_slack_signature_failures_total", `reason="mismatch"`); sum(got) != 1 {
			t.Errorf("signature failures = %v, want 1", got)
		}

		if err := r.stop(); err != nil {
			t.Fatalf("run: %v", err)
		}
		assertLogs(t, logs, red)
	})
}

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

// assertLogs checks the whole run's log: every line JSON, no secret, one line
// per Slack request with its id, and the promotion's transitions with ids.
func assertLogs(t *testing.T, logs *logSink, red *redactor) {
	t.Helper()
	for _, line := range logs.lines() {
		for _, s := range testSecrets {
			if strings.Contains(line, s) {
				t.Errorf("a log line contains a secret: %s", line)
			}
		}
	}
	if n := red.Hits(); n != 0 {
		t.Errorf("%d log values carried a secret (redacted, but some component tried to log one)", n)
	}
	var requests, refused, transitions, atomsCalls int
	states := map[string]bool{}
	for _, rec := range logs.records(t) {
		switch rec["msg"] {
		case "slack request":
			requests++
			if rec["request_id"] == "" || rec["route"] == "" || rec["outcome"] == "" {
				t.Errorf("slack request line without ids: %v", rec)
			}
		case "slack requests refused": // sampled: one line carries the count
			refused++
			if rec["refused"] != float64(1) || rec["route"] == "" {
				t.Errorf("refusal line: %v", rec)
			}
		case "promotion transition":
			transitions++
			if rec["promotion"] == "" || rec["agent"] == "" {
				t.Errorf("transition line without ids: %v", rec)
			}
			states[rec["state"].(string)] = true
		case "atoms call":
			atomsCalls++
		}
	}
	if requests != 2 || refused != 1 {
		t.Errorf("%d 'slack request' lines and %d refusal lines, want 2 (promote, approve) and 1 (forged)", requests, refused)
	}
	for _, s := range []state.PromotionState{state.Published, state.Activating, state.Live} {
		if !states[string(s)] {
			t.Errorf("no transition line to %s (saw %v)", s, states)
		}
	}
	if atomsCalls == 0 {
		t.Error("no Atoms call was logged at debug level: the redaction check saw nothing of the client")
	}
}

func TestProbes(t *testing.T) {
	eachRedis(t, func(t *testing.T, b redisBackend) {
		if b.Mini == nil {
			t.Skip("stopping Redis needs miniredis")
		}
		w := newWorld(t, b)
		a, _ := w.newApp("replica-a", nil, nil)
		t.Cleanup(a.close)
		// Served directly: a running poller would hammer the dead Redis and
		// trip go-redis's dial circuit breaker, which heals on its own timer.
		get := func(path string) int {
			rec := httptest.NewRecorder()
			a.http.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			return rec.Code
		}
		steps := []struct {
			name           string
			do             func()
			healthz, ready int
		}{
			{"redis up", func() {}, 200, 200},
			{"redis down", b.Mini.Close, 200, 503},
			{"redis back", func() {
				if err := b.Mini.Restart(); err != nil {
					t.Fatal(err)
				}
			}, 200, 200},
			{"draining", func() { a.draining.Store(true) }, 200, 503},
		}
		for _, s := range steps {
			s.do()
			if got := get("/healthz"); got != s.healthz {
				t.Errorf("%s: /healthz = %d, want %d", s.name, got, s.healthz)
			}
			if got := get("/readyz"); got != s.ready {
				t.Errorf("%s: /readyz = %d, want %d", s.name, got, s.ready)
			}
		}
	})
}

func TestWaitRedisRetriesWithBackoff(t *testing.T) {
	eachRedis(t, func(t *testing.T, b redisBackend) {
		if b.Mini == nil {
			t.Skip("failing Redis on demand needs miniredis")
		}
		w := newWorld(t, b)
		a, _ := w.newApp("replica-a", nil, nil)
		t.Cleanup(a.close)
		// Every command fails until the 9th wait: the process is up, Redis is not.
		b.Mini.SetError("ERR injected: Redis unavailable")
		var waits []time.Duration
		a.sleep = func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			rec := httptest.NewRecorder()
			a.http.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("/readyz = %d while Redis fails, want 503", rec.Code)
			}
			if len(waits) == 9 {
				b.Mini.SetError("")
			}
			return nil
		}
		if err := a.waitRedis(context.Background()); err != nil {
			t.Fatalf("waitRedis: %v", err)
		}
		want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
			1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second, 10 * time.Second}
		if len(waits) != len(want) {
			t.Fatalf("waited %v, want %v", waits, want)
		}
		for i := range want {
			if waits[i] != want[i] {
				t.Errorf("wait %d = %s, want %s", i, waits[i], want[i])
			}
		}
		if err := a.ready(context.Background()); err != nil {
			t.Errorf("not ready after Redis recovered: %v", err)
		}

		// Cancelled while Redis fails: waitRedis gives up with ctx's error.
		b.Mini.SetError("ERR injected: Redis unavailable")
		ctx, cancel := context.WithCancel(context.Background())
		a.sleep = func(context.Context, time.Duration) error { cancel(); return ctx.Err() }
		if err := a.waitRedis(ctx); err == nil {
			t.Error("waitRedis returned nil with Redis failing and ctx cancelled")
		}
	})
}
