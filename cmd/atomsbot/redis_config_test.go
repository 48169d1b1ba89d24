package main

import (
	"log/slog"
	"strings"
	"testing"
)

// TestEmbeddedRedisOnlyWhenAskedFor: REDIS_URL=memory starts the embedded
// Redis with a warning that says what is lost; an empty URL starts nothing.
func TestEmbeddedRedisOnlyWhenAskedFor(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		embedded  bool
		err       string
	}{
		{"empty", "", false, "REDIS_URL is required"},
		{"memory", RedisMemory, true, ""},
		{"a server", "redis://127.0.0.1:1/0", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs logSink
			log, _ := newLogger(&logs, "json", slog.LevelInfo, nil)
			rdb, mr, err := openRedis(tc.url, log)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || rdb != nil || mr != nil {
					t.Fatalf("openRedis(%q) = %v, %v, %v; want the error %q and nothing started", tc.url, rdb, mr, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				_ = rdb.Close()
				if mr != nil {
					mr.Close()
				}
			})
			if (mr != nil) != tc.embedded {
				t.Errorf("embedded = %t, want %t", mr != nil, tc.embedded)
			}
			warned := strings.Contains(logs.String(), "EMBEDDED") && strings.Contains(logs.String(), "ONE replica")
			if warned != tc.embedded {
				t.Errorf("warning logged = %t, want %t: %s", warned, tc.embedded, logs.String())
			}
			// A slow Redis must not hold an ack past its own deadline:
			// go-redis honours context deadlines only when told to.
			if !rdb.Options().ContextTimeoutEnabled {
				t.Error("the Redis client ignores context deadlines")
			}
		})
	}
}
