package bot

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// refusalLogEvery is how often at most a refused request is logged.
const refusalLogEvery = time.Second

// refusalLog logs requests refused before they were verified (bad or stale
// signature, body too large) sampled: at most one line a second, carrying
// how many were refused since the previous line. A client flooding the
// endpoints with junk then costs a counter increment per request, not a log
// line; the metric counts every one.
type refusalLog struct {
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	last    time.Time // when the previous line was written
	pending int       // refused since then, not yet in a line
}

func newRefusalLog(log *slog.Logger, now func() time.Time) *refusalLog {
	return &refusalLog{log: log, now: now}
}

// refused counts one refusal and logs it with the count since the previous
// line when a second has passed since that line.
func (l *refusalLog) refused(ctx context.Context, route, reason, remote string) {
	l.mu.Lock()
	l.pending++
	now := l.now()
	if d := now.Sub(l.last); !l.last.IsZero() && d >= 0 && d < refusalLogEvery {
		l.mu.Unlock()
		return
	}
	n := l.pending
	l.pending, l.last = 0, now
	l.mu.Unlock()
	// The reason names the failed check; neither the secret nor the
	// expected signature is ever logged.
	l.log.LogAttrs(ctx, slog.LevelWarn, "slack requests refused", slog.Int("refused", n),
		slog.String("route", route), slog.String("reason", reason), slog.String("remote", remote))
}

// requestLevel is the level of a Slack request's log line by its outcome,
// the same for the HTTP and the Socket Mode transports: routine answers at
// Debug, a payload atomsbot cannot use at Info.
func requestLevel(outcome string) slog.Level {
	switch outcome {
	case "ok", "ignored", "ok_web_api":
		return slog.LevelDebug
	case "ack_error":
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
