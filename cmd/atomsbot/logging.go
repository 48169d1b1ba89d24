package main

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"

	"github.com/atomsbot/atomsbot/internal/redact"
)

// redacted replaces a secret wherever it would be logged.
const redacted = redact.Marker

// minSecretLen keeps a degenerate one-letter "secret" from blanking every
// log line; real tokens and keys are far longer.
const minSecretLen = 6

// redactor scrubs known secret values (the API key, the Slack tokens and
// signing secret, URL passwords) from every attribute and message of a log
// record. The components never log secrets on purpose; this is the net
// under them (an error string that quotes a header, an upstream body that
// echoes a token JSON-escaped or percent-encoded, an excerpt cut half-way
// through a key).
type redactor struct {
	red  *redact.Redactor
	hits atomic.Int64 // values that needed scrubbing: tests assert 0
}

func newRedactor(secrets []string) *redactor {
	var kept []string
	for _, s := range secrets {
		if len(s) >= minSecretLen {
			kept = append(kept, s)
		}
	}
	return &redactor{red: redact.New(kept...)}
}

// Hits is how many logged values contained a secret.
func (r *redactor) Hits() int64 { return r.hits.Load() }

// replaceAttr is a slog.HandlerOptions.ReplaceAttr: slog passes it every
// attribute, resolved, including the message.
func (r *redactor) replaceAttr(_ []string, a slog.Attr) slog.Attr {
	if r.red.Empty() {
		return a
	}
	var s string
	switch a.Value.Kind() {
	case slog.KindString:
		s = a.Value.String()
	case slog.KindAny:
		switch v := a.Value.Any().(type) {
		case slog.Level: // the built-in level attribute, on every line
			return a
		case error:
			s = v.Error()
		default:
			s = fmt.Sprintf("%+v", v)
		}
	default:
		return a // numbers, times, durations, bools
	}
	if !r.red.Contains(s) {
		return a
	}
	r.hits.Add(1)
	return slog.String(a.Key, r.red.String(s))
}

// newLogger returns the process logger: JSON lines (text for people at a
// terminal, as in the sandbox) at level, with secrets redacted.
func newLogger(w io.Writer, format string, level slog.Leveler, secrets []string) (*slog.Logger, *redactor) {
	r := newRedactor(secrets)
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: r.replaceAttr}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(h), r
}
