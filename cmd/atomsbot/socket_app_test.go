package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestSocketModeApp(t *testing.T) {
	eachRedis(t, func(t *testing.T, b redisBackend) {
		w := newWorld(t, b)
		// apps.connections.open refuses the app token: a fatal error, which
		// must stop the process (Kubernetes then shows the crash loop).
		var sawAppToken bool
		var mu sync.Mutex
		front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/apps.connections.open" {
				mu.Lock()
				sawAppToken = r.Header.Get("Authorization") == "Bearer "+testAppToken
				mu.Unlock()
				rw.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(rw, `{"ok":false,"error":"invalid_auth"}`)
				return
			}
			w.slack.ServeHTTP(rw, r)
		}))
		t.Cleanup(front.Close)
		logs := &logSink{}
		a, red := w.newApp("replica-a", logs, map[string]string{
			"SLACK_APP_TOKEN": testAppToken, "SLACK_SIGNING_SECRET": "", "SLACK_API_URL": front.URL + "/",
		})
		if !a.cfg.SocketMode() || a.socket == nil {
			t.Fatal("SLACK_APP_TOKEN set, but not in Socket Mode")
		}
		// Without a signing secret the HTTP Slack routes must not exist.
		rec := w.signedTo(a.http, "/slack/commands", w.commandBody(alice, "help"))
		if rec.Code != http.StatusNotFound {
			t.Errorf("/slack/commands in Socket Mode = %d, want 404", rec.Code)
		}
		err := w.start(a).wait()
		if err == nil || !strings.Contains(err.Error(), "socket mode") {
			t.Errorf("run = %v, want a socket mode failure", err)
		}
		mu.Lock()
		if !sawAppToken {
			t.Error("apps.connections.open was not called with the app-level token")
		}
		mu.Unlock()
		for _, line := range logs.lines() {
			for _, s := range testSecrets {
				if strings.Contains(line, s) {
					t.Errorf("a log line contains a secret: %s", line)
				}
			}
		}
		if n := red.Hits(); n != 0 {
			t.Errorf("%d log values carried a secret", n)
		}
	})
}
