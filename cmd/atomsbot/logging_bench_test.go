package main

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkLogLine is one "slack request" line, plain JSON handler versus
// the redacting one the process uses.
func BenchmarkLogLine(b *testing.B) {
	plain := slog.New(slog.NewJSONHandler(io.Discard, nil))
	redacting, _ := newLogger(io.Discard, "json", slog.LevelInfo, testSecrets)
	for _, bc := range []struct {
		name string
		log  *slog.Logger
	}{{"plain", plain}, {"redacting", redacting}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.log.Info("slack request", "route", "commands", "outcome", "ok", "ms", 3,
					"request_id", "0a1b2c3d4e5f6789", "retry", "")
			}
		})
	}
}
