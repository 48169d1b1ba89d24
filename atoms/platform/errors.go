package platform

import (
	"errors"
	"strings"
)

// Kinds of failure callers branch on. Test with errors.Is; an *Error carries
// one of them.
var (
	// ErrNotFound: the agent, draft or version does not exist (any more).
	ErrNotFound = errors.New("not found")
	// ErrCheckPending: activation refused because the security check has
	// not passed yet; wait, it is not a failure.
	ErrCheckPending = errors.New("security check pending")
	// ErrWrongModel: the organisation runs the other versioning model than
	// the one the call (or the promotion) was made for.
	ErrWrongModel = errors.New("wrong versioning model")
	// ErrUnauthorized: Atoms refused atomsbot's API key.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrBusy: a publish is being scanned where the call would act; retry
	// after it.
	ErrBusy = errors.New("busy")
	// ErrFrozen: Atoms is in a configuration freeze; writes are refused
	// until it ends, nothing changed.
	ErrFrozen = errors.New("configuration freeze")
	// ErrRefused: Atoms refused for a clear reason; repeating will not help.
	ErrRefused = errors.New("refused")
	// ErrUnavailable: no usable answer (network, 5xx, 429); nothing is
	// known to have changed. Reads may simply be repeated.
	ErrUnavailable = errors.New("unavailable")
	// ErrUnclear: a call that changes something got no clear answer; it
	// may or may not have acted. Find out before repeating it.
	ErrUnclear = errors.New("unclear answer")
)

// Error is a failure in the product's words. Msg is for users (no secrets,
// no internals); Err is the cause, for logs.
type Error struct {
	Kind      error // one of the Err* kinds above
	Msg       string
	RequestID string // the platform's request id, for a support ticket
	Err       error
}

func (e *Error) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = e.Kind.Error()
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Is matches the error's kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap gives the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf is an *Error of kind with a message for users.
func Errorf(kind error, msg string) *Error { return &Error{Kind: kind, Msg: msg} }

// ConflictError refuses a draft save: since the form was read, someone else
// changed fields this save would overwrite. Nothing was saved.
type ConflictError struct {
	// Fields are the form's fields in conflict (Field*); empty when the
	// platform does not say which.
	Fields []string
	// Editor is who edited last, when known.
	Editor string
	// From and To are the draft revisions seen at reading and now (0 when
	// unknown).
	From, To int
	// Gone: the draft the form was read from no longer exists as it was
	// (published or discarded and reopened).
	Gone bool
}

func (e *ConflictError) Error() string {
	if e.Gone {
		return "the draft this form was opened on was published or discarded since"
	}
	s := "someone else edited the draft since the form was opened"
	if len(e.Fields) > 0 {
		s += " (" + strings.Join(e.Fields, ", ") + ")"
	}
	return s
}

// MovedError refuses an activation because something changed since the
// approvers looked: the live version, or the release itself. Nothing went
// live.
type MovedError struct {
	What string // in words for users
}

func (e *MovedError) Error() string { return e.What }

// Ambiguous reports whether err leaves open whether a change happened.
func Ambiguous(err error) bool { return errors.Is(err, ErrUnclear) }

// Temporary reports whether err may go away by itself: a repeat later can
// succeed without anyone doing anything.
func Temporary(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrUnclear) ||
		errors.Is(err, ErrBusy) || errors.Is(err, ErrFrozen)
}

// Unexplained is what Explain says of an error that is not the platform's:
// its text may hold addresses, type names or upstream bodies, which are for
// the log only.
const Unexplained = "an unexpected error inside atomsbot"

// Explain is err in words for users: the message of an *Error, a conflict or
// a move, else Unexplained — never the error's own text.
func Explain(err error) string {
	var pe *Error
	var ce *ConflictError
	var me *MovedError
	switch {
	case errors.As(err, &ce):
		return ce.Error()
	case errors.As(err, &me):
		return me.Error()
	case errors.As(err, &pe):
		if pe.Msg != "" {
			return pe.Msg
		}
		return pe.Kind.Error()
	}
	return Unexplained
}

// RequestID is the platform's request id carried by err ("" if none).
func RequestID(err error) string {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.RequestID
	}
	return ""
}
