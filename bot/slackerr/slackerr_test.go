package slackerr

import (
	"errors"
	"fmt"
	"testing"
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
