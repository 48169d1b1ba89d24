package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type leaky struct{ Token string }

func TestRedactor(t *testing.T) {
	cases := []struct {
		name     string
		log      func(l *slog.Logger)
		wantHits int64
	}{
		{"clean line", func(l *slog.Logger) { l.Info("slack request", "route", "commands") }, 0},
		{"secret in the message", func(l *slog.Logger) { l.Info("token " + testBotToken + " refused") }, 1},
		{"secret in a string", func(l *slog.Logger) { l.Info("x", "auth", "Bearer "+testAPIKey) }, 1},
		{"secret in an error", func(l *slog.Logger) {
			l.Error("call", "err", fmt.Errorf("wrap: %w", errors.New("header Authorization: Bearer "+testAPIKey)))
		}, 1},
		{"secret in a struct", func(l *slog.Logger) { l.Info("x", "v", leaky{Token: testAppToken}) }, 1},
		{"secret in a group", func(l *slog.Logger) { l.Info("x", slog.Group("req", "sig", testSigningSecret)) }, 1},
		{"secret in With attrs", func(l *slog.Logger) { l.With("token", testBotToken).Info("x") }, 1},
		{"two secrets, two values", func(l *slog.Logger) { l.Info("x", "a", testBotToken, "b", testAPIKey) }, 2},
		{"numbers untouched", func(l *slog.Logger) { l.Info("x", "n", 42) }, 0},
	}
	for _, format := range []string{"json", "text"} {
		for _, tc := range cases {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				var buf bytes.Buffer
				l, red := newLogger(&buf, format, slog.LevelDebug, testSecrets)
				tc.log(l)
				for _, s := range testSecrets {
					if strings.Contains(buf.String(), s) {
						t.Errorf("secret logged: %s", buf.String())
					}
				}
				if got := red.Hits(); got != tc.wantHits {
					t.Errorf("hits = %d, want %d (%s)", got, tc.wantHits, buf.String())
				}
				if tc.wantHits > 0 && !strings.Contains(buf.String(), redacted) {
					t.Errorf("no %s marker: %s", redacted, buf.String())
				}
			})
		}
	}
}

func TestRedactorIgnoresTinySecrets(t *testing.T) {
	var buf bytes.Buffer
	l, red := newLogger(&buf, "json", slog.LevelInfo, []string{"a", ""})
	l.Info("a line with a in it")
	if red.Hits() != 0 || strings.Contains(buf.String(), redacted) {
		t.Errorf("a one-letter secret blanked the log: %s", buf.String())
	}
}

func TestRequestID(t *testing.T) {
	cases := []struct {
		name, in string
		keep     bool
	}{
		{"none: generated", "", false},
		{"sane: kept", "req-123_abc.def", true},
		{"injection: replaced", "x\n{\"level\":\"ERROR\"}", false},
		{"too long: replaced", strings.Repeat("a", 200), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var seen string
			h := withRequestID(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { seen = r.Header.Get(requestIDHeader) }))
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			if tc.in != "" {
				req.Header.Set(requestIDHeader, tc.in)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if seen == "" || rec.Header().Get(requestIDHeader) != seen {
				t.Fatalf("handler saw %q, answer carried %q", seen, rec.Header().Get(requestIDHeader))
			}
			if (seen == tc.in) != tc.keep {
				t.Errorf("id %q from %q: keep = %v, want %v", seen, tc.in, seen == tc.in, tc.keep)
			}
		})
	}
}
