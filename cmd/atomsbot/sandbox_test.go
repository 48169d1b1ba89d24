package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/redis/go-redis/v9"
)

// sbGuard bounds waits for things that should already have happened; it is
// a deadlock guard, not a wait for time-based behaviour.
const sbGuard = 20 * time.Second

// sbStart runs a sandbox until the test ends and returns it once it serves.
func sbStart(t *testing.T, o sandboxOptions) *sandboxWorld {
	t.Helper()
	logs := &logSink{}
	o.Log = logs
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *sandboxWorld, 1)
	o.Ready = func(w *sandboxWorld) { ready <- w }
	done := make(chan error, 1)
	go func() { done <- serveSandbox(ctx, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox stopped with %v", err)
			}
		case <-time.After(sbGuard):
			t.Error("the sandbox did not stop")
		}
		if t.Failed() {
			t.Logf("sandbox logs:\n%s", logs.String())
		}
	})
	select {
	case w := <-ready:
		return w
	case err := <-done:
		t.Fatalf("sandbox did not start: %v", err)
	case <-time.After(sbGuard):
		t.Fatal("sandbox did not start")
	}
	return nil
}

// sbBackends runs f with the sandbox's embedded Redis and, when REDIS_URL
// is set, with a real Redis under a key prefix of its own, removed after.
func sbBackends(t *testing.T, f func(t *testing.T, o sandboxOptions)) {
	t.Run("embedded", func(t *testing.T) { f(t, sandboxOptions{}) })
	u := os.Getenv("REDIS_URL")
	if u == "" {
		return
	}
	t.Run("redis", func(t *testing.T) {
		prefix := "atomsbot-sandbox-test-" + randomHex(6)
		t.Cleanup(func() {
			opt, err := redis.ParseURL(u)
			if err != nil {
				return
			}
			rdb := redis.NewClient(opt)
			defer rdb.Close()
			ctx := context.Background()
			iter := rdb.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
			for iter.Next(ctx) {
				rdb.Del(ctx, iter.Val())
			}
		})
		f(t, sandboxOptions{RedisURL: u, KeyPrefix: prefix})
	})
}

func sbPost(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	return out
}

// TestSandboxServesPageAndBot starts the whole sandbox and checks what a
// browser and Slack would reach: the page, its API, the bot's own routes,
// and a slash command typed in the page answered by the real bot.
func TestSandboxServesPageAndBot(t *testing.T) {
	sbBackends(t, func(t *testing.T, o sandboxOptions) {
		o.CheckDelay = -1
		w := sbStart(t, o)
		if !strings.HasPrefix(w.URL, "http://127.0.0.1:") || !strings.HasSuffix(w.URL, "/") {
			t.Fatalf("URL = %q", w.URL)
		}
		tests := []struct {
			path, wantType, wantBody string
			wantStatus               int
		}{
			{path: "", wantStatus: 200, wantType: "text/html", wantBody: `src="/sandbox/static/app.js"`},
			{path: "sandbox/static/app.js", wantStatus: 200, wantType: "text/javascript", wantBody: "EventSource"},
			{path: "sandbox/api/config", wantStatus: 200, wantType: "application/json", wantBody: `"/atoms promote \u003cagent\u003e \u003cdraft\u003e [label…]"`},
			{path: "healthz", wantStatus: 200, wantBody: "ok"},
			{path: "readyz", wantStatus: 200, wantBody: "ready"},
			{path: "metrics", wantStatus: 200, wantBody: "# HELP"},
		}
		for _, tc := range tests {
			t.Run("GET /"+tc.path, func(t *testing.T) {
				resp, err := http.Get(w.URL + tc.path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != tc.wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(b), tc.wantBody) {
					t.Errorf("%d %q: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
				}
			})
		}
		// Unsigned requests to the bot are refused as ever.
		resp, err := http.Post(w.URL+"slack/commands", "application/x-www-form-urlencoded", strings.NewReader("command=%2Fatoms&text=help"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unsigned command: %d, want 401", resp.StatusCode)
		}

		ack := sbPost(t, w.URL+"sandbox/api/command", `{"user":"UALICE","text":"/atoms help"}`)
		if ack["ok"] != true || !strings.Contains(toJSON(t, ack["ack"]), "drafts, diffs, approvals") {
			t.Fatalf("help = %v", ack)
		}
		if got := sbPost(t, w.URL+"sandbox/api/command", `{"user":"UBOB","text":"/atoms agents"}`); got["ok"] != true {
			t.Fatalf("agents = %v", got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), sbGuard)
		defer cancel()
		err = w.Slack.WaitFor(ctx, func(st slackfake.State) bool {
			for _, m := range st.Messages {
				if m.User == "UBOB" && strings.Contains(string(m.Blocks), "support-concierge") {
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("no agent list for bob: %v", err)
		}
	})
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRunSandboxPrintsURLAndStops runs `atomsbot -sandbox -addr …` as main
// does, with an event stream open (as a browser tab would hold one), and
// checks that the URL is printed and cancelling stops it cleanly.
func TestRunSandboxPrintsURLAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	go func() {
		c := run(ctx, []string{"-sandbox", "-addr", "127.0.0.1:0"}, outW, io.Discard)
		outW.Close()
		code <- c
	}()
	url := regexp.MustCompile(`open (http://127\.0\.0\.1:\d+/)`)
	lines := bufio.NewScanner(outR)
	var base string
	for base == "" && lines.Scan() {
		if m := url.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatal("no URL printed")
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	stream, err := http.Get(base + "sandbox/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	first, err := bufio.NewReader(stream.Body).ReadString('\n')
	if err != nil || !strings.Contains(first, `"type":"reset"`) {
		t.Fatalf("first event %q, %v", first, err)
	}
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d", c)
		}
	case <-time.After(sbGuard):
		t.Fatal("the sandbox did not stop with an event stream open")
	}
}

func TestPageURL(t *testing.T) {
	tests := []struct{ addr, wantURL, wantDial string }{
		{"[::]:3000", "http://localhost:3000/", "127.0.0.1:3000"},
		{"0.0.0.0:3000", "http://localhost:3000/", "127.0.0.1:3000"},
		{"127.0.0.1:4000", "http://127.0.0.1:4000/", "127.0.0.1:4000"},
		{"[::1]:4000", "http://[::1]:4000/", "[::1]:4000"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			a := fakeAddr(tc.addr)
			if got := pageURL(a); got != tc.wantURL {
				t.Errorf("pageURL = %q, want %q", got, tc.wantURL)
			}
			if got := dialAddr(a); got != tc.wantDial {
				t.Errorf("dialAddr = %q, want %q", got, tc.wantDial)
			}
		})
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

// TestRunSandboxOnBusyPort: with the address taken, the sandbox says so in
// one line (nothing else on stderr) and how to pick another (make run ADDR=…), and exits 1.
func TestRunSandboxOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	var stderr strings.Builder
	code := run(context.Background(), []string{"-sandbox", "-addr", ln.Addr().String()}, io.Discard, &stderr)
	got := stderr.String()
	want := fmt.Sprintf("make run ADDR=127.0.0.1:%d", p+1)
	if code != 1 || strings.Count(got, "\n") != 1 || !strings.Contains(got, ln.Addr().String()+" is already in use") || !strings.Contains(got, want) {
		t.Errorf("exit %d, stderr:\n%s\nwant one line saying %s is in use and %q", code, got, ln.Addr(), want)
	}
}

// TestMakeRunPassesAddr: `make run ADDR=…` serves the sandbox there.
func TestMakeRunPassesAddr(t *testing.T) {
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("no make")
	}
	out, err := exec.Command(mk, "-n", "-C", filepath.Join("..", ".."), "run", "ADDR=localhost:4321").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "-sandbox -addr 'localhost:4321'") {
		t.Errorf("make run ADDR=localhost:4321 runs:\n%s", out)
	}
}
