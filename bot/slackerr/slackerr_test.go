package slackerr

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// Only the kinds nobody can fix by waiting are permanent, and wrapping
// keeps an error's kind visible.
func TestKinds(t *testing.T) {
	tests := []struct {
		kind      Kind
		permanent bool
	}{
		{Temporary, false}, {Unclear, false},
		{NoChannel, true}, {NoMessage, true}, {NoAccess, true}, {Invalid, true},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			err := fmt.Errorf("post approval request: %w", &Error{Method: "chat.postMessage", Code: "x", Kind: tt.kind, Err: errors.New("x")})
			if Permanent(err) != tt.permanent || !Is(err, tt.kind) {
				t.Errorf("Permanent = %v, Is = %v", Permanent(err), Is(err, tt.kind))
			}
			if got := err.Error(); got != "post approval request: slack chat.postMessage: x" {
				t.Errorf("Error() = %q", got)
			}
		})
	}
	if Permanent(errors.New("plain")) || Is(errors.New("plain"), Temporary) {
		t.Error("a plain error counts as a Slack failure")
	}
}

// RetryAfter finds Slack's wait through wrapping, and only where there is
// one.
func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want time.Duration
		ok   bool
	}{
		{"rate limit with a wait", fmt.Errorf("post approval request: %w", &Error{Method: "chat.postMessage", Code: "ratelimited", Kind: Temporary, Err: errors.New("x"), RetryAfter: 30 * time.Second}), 30 * time.Second, true},
		{"temporary without a wait", &Error{Method: "chat.postMessage", Kind: Temporary, Err: errors.New("x")}, 0, false},
		{"plain error", errors.New("plain"), 0, false},
		{"nil", nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := RetryAfter(tt.err); got != tt.want || ok != tt.ok {
				t.Errorf("RetryAfter = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
