// Package slackerr says how a Slack Web API call failed in the terms its
// callers act on: try again, find out first, or stop. The Slack adapter
// returns an *Error; the engine branches on it with errors.As without
// knowing the adapter.
package slackerr

import (
	"errors"
	"fmt"
	"time"
)

// Kind is what a failure means for the caller.
type Kind int

const (
	// Temporary: Slack clearly did not carry the call out (rate limited, an
	// outage it reported); a later try may work.
	Temporary Kind = iota
	// Unclear: no clear answer (a timeout, a 5xx, internal_error); the call
	// may have been carried out, so find out before repeating one that
	// cannot be taken back.
	Unclear
	// NoChannel: the bot cannot use the channel (not a member, the channel
	// is archived or gone) until someone changes that in Slack.
	NoChannel
	// NoMessage: the message (or the thread) the call refers to is gone.
	NoMessage
	// NoAccess: the token or its scopes do not allow the call (revoked,
	// deactivated, a scope missing); an admin has to act.
	NoAccess
	// Invalid: Slack refused the request itself (blocks, length,
	// arguments); the same request gets the same answer.
	Invalid
)

func (k Kind) String() string {
	switch k {
	case Temporary:
		return "temporary"
	case Unclear:
		return "unclear"
	case NoChannel:
		return "no-channel"
	case NoMessage:
		return "no-message"
	case NoAccess:
		return "no-access"
	case Invalid:
		return "invalid"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a failed Slack call.
type Error struct {
	Method  string // "chat.postMessage"
	Code    string // Slack's error code ("not_in_channel"); "" without one
	Channel string // the channel the call was about, when there was one
	Kind    Kind
	Err     error
	// RetryAfter is how long Slack asked to wait before calling again when
	// it rate-limited the call and the client did not wait it out; 0 when
	// Slack gave no wait.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return "slack " + e.Method + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether trying again cannot help until something
// changes outside the bot.
func (e *Error) Permanent() bool { return e.Kind >= NoChannel }

// As returns the *Error in err's chain.
func As(err error) (*Error, bool) {
	var se *Error
	ok := errors.As(err, &se)
	return se, ok
}

// Is reports whether err is a Slack failure of kind k.
func Is(err error, k Kind) bool {
	se, ok := As(err)
	return ok && se.Kind == k
}

// RetryAfter returns the wait Slack asked for before the next call, when err
// is a Slack rate limit that carries one.
func RetryAfter(err error) (time.Duration, bool) {
	se, ok := As(err)
	if !ok || se.RetryAfter <= 0 {
		return 0, false
	}
	return se.RetryAfter, true
}

// Permanent reports whether err is a Slack failure that cannot heal by
// itself.
func Permanent(err error) bool {
	se, ok := As(err)
	return ok && se.Permanent()
}
