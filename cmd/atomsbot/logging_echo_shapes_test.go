package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/internal/redact"
)

// secretPiece is the first piece of 8 bytes or more of a test secret in s,
// as it is or decoded, "" when there is none.
func secretPiece(s string) string {
	for _, s := range []string{s, redact.Decode(s)} {
		for _, sec := range testSecrets {
			for i := 0; i+redact.MinPiece <= len(sec); i++ {
				if p := sec[i : i+redact.MinPiece]; strings.Contains(s, p) {
					return p
				}
			}
		}
	}
	return ""
}

// TestLogRedactsEchoShapes: an upstream text that echoes a secret (the
// Atoms key, a Slack token, the signing secret) escaped, encoded or cut
// leaves no piece of it in the log line.
func TestLogRedactsEchoShapes(t *testing.T) {
	shapes := []struct {
		name string
		of   func(secret string) string
	}{
		{"json escaped", func(s string) string { return `\u00` + fmt.Sprintf("%02x", s[0]) + s[1:] }},
		{"json escaped twice", func(s string) string { return `\\u00` + fmt.Sprintf("%02x", s[0]) + s[1:] }},
		{"percent encoded", func(s string) string { return fmt.Sprintf("%%%02X", s[0]) + s[1:] }},
		{"html entity", func(s string) string { return fmt.Sprintf("&#%d;", s[0]) + s[1:] }},
		{"prefix cut", func(s string) string { return "…" + s[:10] }},
		{"suffix cut", func(s string) string { return s[len(s)-10:] + "…" }},
	}
	for _, format := range []string{"json", "text"} {
		for _, secret := range testSecrets {
			for _, sh := range shapes {
				t.Run(format+"/"+secret[:4]+"/"+sh.name, func(t *testing.T) {
					var buf bytes.Buffer
					l, red := newLogger(&buf, format, slog.LevelDebug, testSecrets)
					echo := sh.of(secret)
					l.Warn("slack api error", "body", `{"ok":false,"error":"invalid_auth","token":"`+echo+`"}`,
						"err", fmt.Errorf("chat.postMessage: %w", errors.New("upstream said "+echo)))
					if p := secretPiece(buf.String()); p != "" {
						t.Errorf("log holds %q: %s", p, buf.String())
					}
					if red.Hits() != 2 {
						t.Errorf("hits = %d, want 2", red.Hits())
					}
				})
			}
		}
	}
}
