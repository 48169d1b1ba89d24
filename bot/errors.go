package bot

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// What users are told of a failure that is not theirs to fix: what happened
// in their words, whether anything changed, and a ref. The detail (Redis
// address, dial error, Atoms' body, wrapped chain) goes only to the log,
// under the same ref, where an admin finds it.

// refAlphabet avoids look-alikes, so a ref read aloud or retyped matches.
const refAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// newRef is a short id for one failure: quoted in the message, logged with
// the detail. Unique enough to find one line among a day's logs.
func newRef() string {
	var b [6]byte
	for i := range b {
		b[i] = refAlphabet[rand.IntN(len(refAlphabet))]
	}
	return string(b[:])
}

// quoteRef is the ref as messages show it.
func quoteRef(ref string) string { return "(ref `" + ref + "`)" }

// storeProbeTimeout bounds the Redis ping that tells a database outage
// from another unexpected error.
const storeProbeTimeout = 500 * time.Millisecond

// storeDown reports whether atomsbot's Redis does not answer now. Only
// asked after an error that is not the platform's, so it costs nothing on
// the way of a working request.
func (h *Handler) storeDown(ctx context.Context) bool {
	if h.store == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeProbeTimeout)
	defer cancel()
	return h.store.Ping(ctx) != nil
}

// unexpected explains a failure of what (a command or a click, e.g.
// "promote", "approve") whose cause is not the user's: Atoms unavailable
// or unclear, the database unreachable, or a bug. scrub, when given,
// removes personal data (a phone number) from the logged detail.
func (h *Handler) unexpected(ctx context.Context, what string, err error, scrub ...func(string) string) render.Message {
	ref := newRef()
	detail := err.Error()
	for _, f := range scrub {
		detail = f(detail)
	}
	name := "`" + render.Escape(what) + "`"
	var msg, cause string
	switch {
	case errors.Is(err, platform.ErrUnclear):
		cause = "atoms-unclear"
		msg = ":warning: " + name + ": " + render.Escape(platform.Explain(err)) +
			", so it may or may not have taken effect. Check before repeating it" + requestRef(err) + " " + quoteRef(ref) + "."
	case errors.Is(err, platform.ErrUnavailable):
		cause = "atoms-unavailable"
		msg = ":warning: " + name + " failed: " + render.Escape(platform.Explain(err)) +
			"; nothing was changed. Try again in a minute" + requestRef(err) + " " + quoteRef(ref) + "."
	case isPlatform(err):
		// A known refusal: its words are the platform's, already free of
		// internals, and the Atoms request id is the reference.
		h.log.Warn(what+" failed", "err", detail)
		return render.Note(":warning: " + name + " failed: " + render.Escape(platform.Explain(err)) + requestRef(err))
	case !errors.Is(err, state.ErrNotFound) && h.storeDown(ctx):
		cause = "database-unreachable"
		msg = ":warning: atomsbot cannot reach its database, so " + name + " did not run; nothing was changed. Try again in a minute " + quoteRef(ref) + "."
	default:
		cause = "unexpected"
		msg = ":warning: " + name + " failed because of an unexpected error inside atomsbot. Try again; if it keeps failing, an admin can look it up in the logs " + quoteRef(ref) + "."
	}
	h.log.Error(what+" failed", "ref", ref, "cause", cause, "err", detail)
	return render.Note(msg)
}

// isPlatform reports whether err carries the platform's own words for users.
func isPlatform(err error) bool {
	var pe *platform.Error
	var ce *platform.ConflictError
	var me *platform.MovedError
	return errors.As(err, &pe) || errors.As(err, &ce) || errors.As(err, &me)
}

// storeFailure is the text of a form field error when Redis failed while a
// modal was submitted: nothing was saved, and the ref finds the detail.
func (h *Handler) storeFailure(what string, err error) string {
	ref := newRef()
	h.log.Error(what+" failed", "ref", ref, "cause", "database-unreachable", "err", err.Error())
	return "atomsbot cannot reach its database; nothing was saved. Try again in a minute (ref " + ref + ")."
}

// lostSession answers a form submission whose edit session could not be
// read after the ack: gone (expired, saved) closes the form quietly; the
// database failing keeps it open with the reason, so the edit is not lost
// without a word.
func (h *Handler) lostSession(ctx context.Context, err error, values map[string]string, out *refusal) {
	if errors.Is(err, state.ErrNotFound) {
		h.log.Info("edit submission without session", "err", err)
		out.done()
		return
	}
	msg := h.storeFailure("edit", err)
	if !out.refuse(ctx, map[string]string{firstInput(values): msg}) {
		// The ack answered already and the session (with the channel) is
		// out of reach: the log line is all there is.
		h.log.Warn("edit submission lost: the form had closed", "err", err)
	}
}

// unreadablePromotion answers a Call me click whose promotion could not be
// read: gone, or the database failing (which is not "gone").
func (h *Handler) unreadablePromotion(ctx context.Context, err error) string {
	if errors.Is(err, state.ErrNotFound) {
		return ":warning: That promotion no longer exists; nothing to call."
	}
	return h.unexpected(ctx, "call", err).Text
}
