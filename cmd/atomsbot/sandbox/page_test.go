package sandbox

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// TestHandlerRoutes: the page and its API are served here, everything else
// goes to the bot, and nothing under /sandbox/ reaches it.
func TestHandlerRoutes(t *testing.T) {
	page, err := New(Options{Slack: slackfake.New(slackfake.Options{}), Secret: "s", BotURL: "http://127.0.0.1:1", Channel: DemoChannel(), Users: DemoUsers()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(page.Close)
	var botHits atomic.Int32
	srv := httptest.NewServer(page.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		botHits.Add(1)
		_, _ = io.WriteString(w, "bot:"+r.URL.Path)
	})))
	t.Cleanup(srv.Close)
	tests := []struct {
		method, path string
		wantStatus   int
		wantType     string
		wantBody     string
		wantBot      bool
	}{
		{method: "GET", path: "/", wantStatus: 200, wantType: "text/html", wantBody: "<title>atomsbot sandbox</title>"},
		{method: "GET", path: "/sandbox/static/app.js", wantStatus: 200, wantType: "text/javascript", wantBody: "EventSource"},
		{method: "GET", path: "/sandbox/static/style.css", wantStatus: 200, wantType: "text/css", wantBody: ".modal"},
		{method: "GET", path: "/sandbox/static/mrkdwn.js", wantStatus: 200, wantType: "text/javascript", wantBody: "export function mrkdwn"},
		{method: "GET", path: "/sandbox/static/nope.js", wantStatus: 404},
		{method: "GET", path: "/sandbox/api/config", wantStatus: 200, wantType: "application/json", wantBody: `"requester"`},
		{method: "GET", path: "/sandbox/api/state", wantStatus: 200, wantType: "application/json", wantBody: `"messages":[]`},
		{method: "GET", path: "/sandbox/api/command", wantStatus: 404},
		{method: "GET", path: "/sandbox/elsewhere", wantStatus: 404},
		{method: "POST", path: "/slack/commands", wantStatus: 200, wantBody: "bot:/slack/commands", wantBot: true},
		{method: "GET", path: "/healthz", wantStatus: 200, wantBody: "bot:/healthz", wantBot: true},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			before := botHits.Load()
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.wantType) || !strings.Contains(string(b), tc.wantBody) {
				t.Errorf("%d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
			if hit := botHits.Load() > before; hit != tc.wantBot {
				t.Errorf("reached the bot: %t", hit)
			}
		})
	}
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "connect-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
}

// TestAssetsStayLocal: the page loads nothing from another origin and has no
// inline script (the CSP would block both anyway; this says so early).
func TestAssetsStayLocal(t *testing.T) {
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?(https?:)?//|https?://`)
	inline := regexp.MustCompile(`(?is)<script[^>]*>\s*[^<\s]`)
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(path)
		if err != nil {
			return err
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s refers to another origin: %q", path, m)
		}
		if strings.HasSuffix(path, ".html") && inline.Match(b) {
			t.Errorf("%s has an inline script", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewRequiresParts(t *testing.T) {
	full := Options{Slack: slackfake.New(slackfake.Options{}), Secret: "s", BotURL: "http://x", Channel: DemoChannel(), Users: DemoUsers()}
	tests := []struct {
		name string
		mod  func(*Options)
	}{
		{"no Slack", func(o *Options) { o.Slack = nil }},
		{"no secret", func(o *Options) { o.Secret = "" }},
		{"no bot", func(o *Options) { o.BotURL = "" }},
		{"no channel", func(o *Options) { o.Channel = Channel{} }},
		{"no users", func(o *Options) { o.Users = nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := full
			tc.mod(&o)
			if _, err := New(o); err == nil {
				t.Error("New accepted it")
			}
		})
	}
	if _, err := New(full); err != nil {
		t.Errorf("complete options refused: %v", err)
	}
}
