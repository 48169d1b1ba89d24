package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// sessionReadTimeout bounds the Redis read on the ack path (the default of
// Config.AckReadTimeout).
const sessionReadTimeout = time.Second

// forgetTimeout bounds dropping a refused submission's dedupe mark.
const forgetTimeout = time.Second

// saveBudget bounds how long a form submission waits for Atoms before it is
// acknowledged. Slack shows errors under the inputs only when they come in
// the ack itself, and it gives up after 3 s: a save answered within the
// budget shows a conflict there; a slower one is reported in the channel.
const saveBudget = 2 * time.Second

// editSubmission validates the form and saves it, answering in the ack when
// Atoms is quick enough: an empty 200 closes the modal on success, errors
// keyed by block id show a conflict or a refusal under the fields. The edit
// session is read here (Redis), so an expired form or a field error is shown
// in the modal itself.
func (h *Handler) editSubmission(ctx context.Context, ic slack.InteractionCallback) Ack {
	submitted := submittedValues(ic.View)
	values := submitted
	sessionID, user := ic.View.PrivateMetadata, ic.User.ID
	rctx, cancel := context.WithTimeout(ctx, h.cfg.AckReadTimeout)
	sess, err := h.store.Session(rctx, sessionID)
	cancel()
	workflowType := ""
	switch {
	// The session id is a random secret only this form carries; a view id,
	// when the payload has one, must be the form's too.
	case err == nil && (sess.UserID != "" && sess.UserID != user || sess.ViewID != "" && ic.View.ID != "" && sess.ViewID != ic.View.ID):
		return Ack{Body: slack.NewUpdateViewSubmissionResponse(ptr(messageView("Edit draft",
			render.Note(":no_entry_sign: This form does not belong to this edit session; nothing was saved. Open a new one with `/atoms edit`."))))}
	case err == nil:
		workflowType = sess.WorkflowType
		// Only what the user changed is checked: a value Atoms already
		// holds is not the user's to fix.
		values = changedValues(sess.Original, values)
	case errors.Is(err, state.ErrNotFound):
		return Ack{Body: slack.NewUpdateViewSubmissionResponse(ptr(expiredView(h.cfg.SessionTTL)))}
	default:
		// Redis did not answer in time: without the session nobody can tell
		// whose form this is, so nothing is saved. Errors keep the form open
		// with the user's values, ready to submit again.
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{firstInput(submitted): h.storeFailure("edit", err)})}
	}
	if errs := validate(values, workflowType); len(errs) > 0 {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(errs)}
	}
	// A repeated delivery of this form's submission is saved once; the
	// session id keeps forms apart even where view ids or hashes repeat.
	key := "view:" + sessionID + ":" + ic.View.ID + ":" + ic.View.Hash
	hand := newHandoff()
	if !h.submit(func(ctx context.Context) {
		if !h.once(ctx, key) {
			hand.give(saveResult{duplicate: true})
			return
		}
		h.saveEdit(ctx, sessionID, user, submitted, &refusal{h: h, key: key, hand: hand})
	}) {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{
			firstInput(submitted): "atomsbot is busy; nothing was saved. Please submit again in a few seconds."})}
	}
	res, ok := hand.wait(ctx, saveBudget)
	if !ok || len(res.errors) == 0 {
		return Ack{}
	}
	return Ack{Body: slack.NewErrorsViewSubmissionResponse(res.errors)}
}

// saveResult is what the ack learns of a save: field errors to show in the
// modal (none: it closes).
type saveResult struct {
	errors    map[string]string
	duplicate bool
}

// handoff passes a save's result to the ack that waits for it, unless the
// ack gave up waiting first: then the save reports by itself.
type handoff struct {
	mu    sync.Mutex
	done  chan struct{}
	res   saveResult
	given bool
	late  bool // the ack answered without the result
}

func newHandoff() *handoff { return &handoff{done: make(chan struct{})} }

// give hands res to the ack; false when the ack already answered, so the
// caller must tell the user another way.
func (h *handoff) give(res saveResult) bool {
	if h == nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.late || h.given {
		return false
	}
	h.res, h.given = res, true
	close(h.done)
	return true
}

// wait returns the result when it comes within d; false when it did not
// (from then on give refuses).
func (h *handoff) wait(ctx context.Context, d time.Duration) (saveResult, bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-h.done:
	case <-t.C:
	case <-ctx.Done():
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.given {
		return h.res, true
	}
	h.late = true
	return saveResult{}, false
}

// refusal hands a save's outcome to the ack. Errors shown in the form leave
// it open, and saving it again (same view, same hash) is a new attempt, not
// a repeated delivery: its dedupe mark is dropped before the ack answers.
type refusal struct {
	h    *Handler
	key  string
	hand *handoff
}

// done hands over a save that closes the form (or nothing to show).
func (r *refusal) done() { r.hand.give(saveResult{}) }

// refuse shows errs in the form; false when the ack no longer waits, so the
// caller must tell the user another way.
func (r *refusal) refuse(ctx context.Context, errs map[string]string) bool {
	// Forgotten even when the save's context just ended, but bounded: the
	// job must not outlive the shutdown deadline by much.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), forgetTimeout)
	defer cancel()
	if err := r.h.store.Forget(fctx, r.key); err != nil {
		r.h.log.Warn("forget a refused submission", "err", err)
	}
	return r.hand.give(saveResult{errors: errs})
}

// editClosed forgets the session of an edit form its owner closed. A close
// that names someone else's session (or another view) changes nothing.
func (h *Handler) editClosed(ic slack.InteractionCallback) {
	sessionID, user, viewID := ic.View.PrivateMetadata, ic.User.ID, ic.View.ID
	if sessionID == "" {
		return
	}
	h.submit(func(ctx context.Context) {
		sess, err := h.store.Session(ctx, sessionID)
		if err != nil || sess.UserID != user || sess.ViewID != "" && viewID != "" && sess.ViewID != viewID {
			return
		}
		if err := h.store.DeleteSession(ctx, sessionID); err != nil {
			h.log.Warn("forget a closed edit form", "err", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// expiredView replaces a form whose session is gone (expired or already saved).
func expiredView(ttl time.Duration) slack.ModalViewRequest {
	return messageView("Edit draft", render.Note(fmt.Sprintf(
		":hourglass: This form expired (forms stay valid for %s) or was already saved, so nothing was saved now. Open a fresh one with `/atoms edit &lt;agent&gt; &lt;draft&gt;`.",
		render.Duration(ttl))))
}

// firstInput is the block id to hang a form-wide error on: Slack shows
// errors only under input blocks that exist in the view.
func firstInput(values map[string]string) string {
	for _, f := range editFields {
		if _, ok := values[f.name]; ok {
			return f.name
		}
	}
	return editFields[0].name
}

// changedValues returns the fields of values that differ from original;
// fields the session does not know (not editable in the form) are left out.
func changedValues(original, values map[string]string) map[string]string {
	changed := map[string]string{}
	for name, orig := range original {
		if v, ok := values[name]; ok && !sameText(v, orig) {
			changed[name] = v
		}
	}
	return changed
}

// sameText reports whether a submitted value is the one the form showed.
// Clients hand text back with line ends as CRLF or surrounding whitespace
// trimmed; that is no change, and saving it would start a draft that
// changes nothing.
func sameText(submitted, shown string) bool {
	if submitted == shown {
		return true
	}
	norm := func(s string) string { return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")) }
	return norm(submitted) == norm(shown)
}
