package slackweb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
)

// A rate limit whose Retry-After outlasts the caller's deadline fails the
// call at once, with the wait in a temporary error, after one request; a
// wait that fits the deadline (or no deadline at all) is waited out and the
// call retried.
func TestRateLimitAgainstDeadline(t *testing.T) {
	const retryAfter = 3 * time.Second
	tests := []struct {
		name      string
		deadline  time.Duration // 0: no deadline
		wantErr   bool
		wantCalls int
		wantWaits []time.Duration
	}{
		{"wait outlasts the deadline", time.Second, true, 1, nil},
		{"wait as long as the deadline", retryAfter, true, 1, nil},
		{"wait fits the deadline", time.Minute, false, 2, []time.Duration{retryAfter}},
		{"no deadline", 0, false, 2, []time.Duration{retryAfter}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c, slept := newFake(t)
			fake.RateLimitNext("chat.postMessage", 1, retryAfter)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				t.Cleanup(cancel)
			}
			_, err := c.Post(ctx, "C1", "", render.Note("hello"))
			if calls := len(fake.Calls()); calls != tt.wantCalls {
				t.Errorf("%d requests, want %d", calls, tt.wantCalls)
			}
			if len(*slept) != len(tt.wantWaits) || (len(tt.wantWaits) > 0 && (*slept)[0] != tt.wantWaits[0]) {
				t.Errorf("waits = %v, want %v", *slept, tt.wantWaits)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Post = %v, want it through after the wait", err)
				}
				return
			}
			var se *slackerr.Error
			if !errors.As(err, &se) || se.Kind != slackerr.Temporary || se.Code != "ratelimited" {
				t.Fatalf("Post = %#v, want a temporary ratelimited *slackerr.Error", err)
			}
			if d, ok := slackerr.RetryAfter(err); !ok || d != retryAfter {
				t.Errorf("RetryAfter = %v, %v; want %v", d, ok, retryAfter)
			}
		})
	}
}
