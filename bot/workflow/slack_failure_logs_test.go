package workflow

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state/statetest"
)

// logRecords keeps the engine's log records at warning level and above.
type logRecords struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecords) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecords) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}
func (l *logRecords) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecords) WithGroup(string) slog.Handler      { return l }

func attr(r slog.Record, key string) string {
	v := ""
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value.String()
			return false
		}
		return true
	})
	return v
}

// A Slack refusal that cannot heal is logged once, with Slack's code, at a
// level that says who must act: a warning when people in Slack can fix it
// (invite the bot), an error when an admin must (the token).
func TestSlackRefusalLoggedOnce(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range []struct {
			code  string
			level slog.Level
		}{{"not_in_channel", slog.LevelWarn}, {"token_revoked", slog.LevelError}} {
			t.Run(tt.code, func(t *testing.T) {
				logs := &logRecords{}
				r := newRig(t, b, func(c *Config) { c.Logger = slog.New(logs) })
				r.slack.removeBot(deploys, tt.code)
				if _, err := r.eng.Promote(r.ctx, r.promoteReq(agentID)); err == nil {
					t.Fatal("Promote succeeded")
				}
				r.ticks(20)
				r.advance(time.Hour)
				logs.mu.Lock()
				defer logs.mu.Unlock()
				if len(logs.recs) != 1 {
					for _, rec := range logs.recs {
						t.Logf("%s %s slack_error=%s err=%s", rec.Level, rec.Message, attr(rec, "slack_error"), attr(rec, "err"))
					}
					t.Fatalf("%d warnings or errors logged, want 1", len(logs.recs))
				}
				if rec := logs.recs[0]; rec.Level != tt.level || attr(rec, "slack_error") != tt.code {
					t.Errorf("logged %s with slack_error=%q, want %s with %s", rec.Level, attr(rec, "slack_error"), tt.level, tt.code)
				}
			})
		}
	})
}
