package slackweb

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// The transport logs only its waits on rate limits, at debug level;
// failures go back to the caller, which logs each once where it knows what
// the failure means.
func TestTransportLogsRateLimitWaitsAtDebug(t *testing.T) {
	fake := slackfake.New(slackfake.Options{Token: token})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	var buf bytes.Buffer
	c := New(Options{Token: token, APIURL: srv.URL, Sleep: func(context.Context, time.Duration) error { return nil },
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	fake.RateLimitNext("chat.postMessage", 2, time.Second)
	if _, err := c.Post(context.Background(), "C1", "", render.Note("x")); err != nil {
		t.Fatal(err)
	}
	fake.RemoveBot("C1")
	if _, err := c.Post(context.Background(), "C1", "", render.Note("x")); err == nil {
		t.Fatal("post in a channel the bot left succeeded")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want the two waits:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if !strings.Contains(l, "level=DEBUG") || !strings.Contains(l, "method=chat.postMessage") || strings.Contains(l, token) {
			t.Errorf("log line %q", l)
		}
	}
}
