package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// sessionReadTimeout bounds the Redis read on the ack path.
const sessionReadTimeout = time.Second

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
	rctx, cancel := context.WithTimeout(ctx, sessionReadTimeout)
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
		// Redis trouble: check every field now, the job reports the rest.
		h.log.Warn("edit session read", "err", err)
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
	if err := r.h.store.Forget(context.WithoutCancel(ctx), r.key); err != nil {
		r.h.log.Warn("forget a refused submission", "err", err)
	}
	return r.hand.give(saveResult{errors: errs})
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
		if v, ok := values[name]; ok && v != orig {
			changed[name] = v
		}
	}
	return changed
}

// saveEdit writes only the changed fields through the platform, which
// refuses when someone else changed them since the form opened. The result
// goes to the ack through out while it still waits; otherwise the user is
// told in the channel. After a save it confirms the
// values persisted (the API does not echo them) and tells the channel with
// a diff.
func (h *Handler) saveEdit(ctx context.Context, sessionID, user string, values map[string]string, out *refusal) {
	sess, err := h.store.Session(ctx, sessionID)
	if err != nil {
		// The ack found the session; it expired or was saved since. There
		// is no channel to tell: the form's context is gone.
		h.log.Info("edit submission without session", "err", err)
		out.done()
		return
	}
	say := func(m string) { h.tell(ctx, sess.Channel, user, m) }
	draft := render.Escape(cmp.Or(sess.DraftName, sess.NewName, sess.DraftID))
	changed := changedValues(sess.Original, values)
	if len(changed) == 0 {
		out.done()
		say("No changes to save in draft “" + draft + "”.")
		_ = h.store.DeleteSession(ctx, sess.ID)
		return
	}
	if errs := validate(changed, sess.WorkflowType); len(errs) > 0 {
		if !out.refuse(ctx, errs) {
			say(":warning: Nothing was saved: " + render.Escape(strings.Join(sortedValues(errs), " ")) + "\n" + unsaved(changed))
		}
		return
	}
	saved, err := h.atoms.SaveDraft(ctx, platform.SaveRequest{
		AgentID: sess.AgentID, DraftID: sess.DraftID, NewName: sess.NewName, Basis: sess.Basis, Changes: changed,
	})
	if err != nil {
		h.saveFailed(ctx, sess, user, changed, err, out)
		return
	}
	// From here on the draft has our edit: the form cannot be saved again.
	_ = h.store.DeleteSession(ctx, sess.ID)
	out.done()
	after, err := h.atoms.EditForm(ctx, sess.AgentID, saved.ID)
	if err != nil {
		say(":warning: The change was saved, but reading the draft back failed: " + render.Escape(platform.Explain(err)) + ". Check it with `/atoms diff " + render.Escape(refArg(sess.AgentName, sess.AgentID)) + " " + render.Escape(refArg(saved.Name, saved.ID)) + "`.")
		return
	}
	var lost []string
	for name, v := range changed {
		if after.Values[name] != v {
			lost = append(lost, "`"+name+"`")
		}
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		say(":warning: Atoms accepted the edit but does not show it for " + strings.Join(lost, ", ") + ". Check the draft before promoting it.\n" + unsaved(changed))
		return
	}
	h.announceEdit(ctx, sess, saved, user, changed)
}

// saveFailed tells the user why nothing (or maybe something) was saved: in
// the modal while the ack waits, else in the channel.
func (h *Handler) saveFailed(ctx context.Context, sess state.EditSession, user string, changed map[string]string, err error, out *refusal) {
	say := func(m string) { h.tell(ctx, sess.Channel, user, m) }
	var ce *platform.ConflictError
	if platform.Ambiguous(err) {
		// The modal closes: saving again could make a second draft.
		_ = h.store.DeleteSession(ctx, sess.ID)
		out.done()
		say(":warning: Atoms did not answer clearly, so the edit may or may not have been saved. Check with `/atoms drafts " + render.Escape(refArg(sess.AgentName, sess.AgentID)) + "` before editing again.\n" + unsaved(changed))
		return
	}
	if errors.As(err, &ce) {
		errs := conflictErrors(ce, changed)
		if !ce.Gone {
			// Rebased before the form shows the conflict, so that the
			// next Save overwrites knowingly.
			h.rebase(ctx, sess)
		}
		if !out.refuse(ctx, errs) {
			say(":warning: Nothing was saved: " + render.Escape(ce.Error()) + ", so their changes are not overwritten. Open the form again with `/atoms edit " +
				render.Escape(refArg(sess.AgentName, sess.AgentID)) + " " + render.Escape(refArg(sess.DraftName, sess.DraftID)) + "` and re-apply yours.\n" + unsaved(changed))
			_ = h.store.DeleteSession(ctx, sess.ID)
		}
		return
	}
	msg := h.failure("edit", err).Text
	if !out.refuse(ctx, map[string]string{firstInput(changed): "Nothing was saved. " + render.Truncate(stripMrkdwn(msg), 300, "…")}) {
		say(msg + "\n" + unsaved(changed))
	}
}

// conflictErrors puts a conflict under the fields it concerns (all changed
// fields when the platform does not say which).
func conflictErrors(ce *platform.ConflictError, changed map[string]string) map[string]string {
	if ce.Gone {
		return map[string]string{firstInput(changed): "This draft was published or discarded since you opened the form; nothing was saved. Close the form and open a new one."}
	}
	who := "someone else"
	if ce.Editor != "" {
		who = ce.Editor
	}
	msg := fmt.Sprintf("Changed by %s since you opened this form; nothing was saved. Save again to overwrite it with your value.", who)
	errs := map[string]string{}
	for _, f := range ce.Fields {
		if _, ok := changed[f]; ok {
			errs[f] = msg
		}
	}
	if len(errs) == 0 {
		for f := range changed {
			errs[f] = msg
		}
	}
	return errs
}

// rebase moves an open form's session onto the draft as it is now, so that
// saving again knowingly overwrites the conflicting change.
func (h *Handler) rebase(ctx context.Context, sess state.EditSession) {
	ed, err := h.atoms.EditForm(ctx, sess.AgentID, sess.DraftID)
	if err != nil {
		h.log.Warn("re-read the draft after a conflict", "err", err)
		return
	}
	for name := range sess.Original {
		sess.Original[name] = ed.Values[name]
	}
	sess.Basis, sess.Revision = ed.Basis, ed.Draft.Revision
	if err := h.store.PutSession(ctx, sess, h.cfg.SessionTTL); err != nil {
		h.log.Warn("keep the edit session after a conflict", "err", err)
	}
}

// stripMrkdwn turns a short mrkdwn note into plain text for a modal error.
func stripMrkdwn(s string) string {
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "`", "", "*", "").Replace(s)
	if i := strings.IndexByte(s, ' '); i > 0 && strings.HasPrefix(s, ":") && strings.HasSuffix(s[:i], ":") {
		s = s[i+1:]
	}
	return s
}

// refArg is how to name an agent or draft in a command: by name when it is
// one word, else by id (names with spaces would need quotes).
func refArg(name, id string) string {
	if name == "" || strings.ContainsAny(name, " \t\"“”") {
		return id
	}
	return name
}

// maxEditPages is how many messages the edit confirmation's diff may take
// (the first in the channel, the rest in its thread); beyond, the full diff
// follows as a file in the thread.
const maxEditPages = 5

// announceEdit tells the channel what the draft now changes against the
// active version.
func (h *Handler) announceEdit(ctx context.Context, sess state.EditSession, saved platform.Draft, user string, changed map[string]string) {
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, "`"+n+"`")
	}
	sort.Strings(names)
	what := "edited draft"
	if sess.DraftID == "" {
		what = "started draft"
	}
	head := render.Note(fmt.Sprintf(":pencil2: %s %s “%s” of *%s* (%s).", render.Mention(user), what,
		render.Escape(cmp.Or(saved.Name, saved.ID)), render.Escape(sess.AgentName), strings.Join(names, ", ")))
	pages := []render.Message{head}
	var file *fileReply
	if d, err := h.atoms.DiffDraft(ctx, sess.AgentID, saved.ID); err == nil {
		title := "Draft vs the active version"
		opt := render.DiffOptions{HeaderBlocks: head.Blocks}
		pages = render.Diff(title, d, opt)
		if len(pages) > maxEditPages {
			opt.MaxPages = maxEditPages
			pages = render.Diff(title, d, opt)
			file = &fileReply{name: fileSafe(sess.AgentName) + "-draft-diff.txt", title: title, content: render.DiffText(title, d)}
		}
		pages[0].Text = head.Text + "\n" + pages[0].Text
	} else {
		h.log.Warn("edit confirmation diff", "err", err)
	}
	ts, err := h.slack.Post(ctx, sess.Channel, "", pages[0])
	if err != nil {
		h.log.Warn("edit confirmation", "err", err)
		h.tell(ctx, sess.Channel, user, ":white_check_mark: Saved. (The confirmation could not be posted in the channel.)")
		return
	}
	for _, p := range pages[1:] {
		if _, err := h.slack.Post(ctx, sess.Channel, ts, p); err != nil {
			h.log.Warn("edit confirmation page", "err", err)
			return
		}
	}
	if file != nil {
		if err := h.slack.Upload(ctx, sess.Channel, ts, file.name, file.title, file.content); err != nil {
			h.log.Warn("edit confirmation file", "err", err)
		}
	}
}

// unsaved quotes the user's values so a refused edit loses no work.
func unsaved(changed map[string]string) string {
	var b strings.Builder
	b.WriteString("Your values:")
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\n*%s*\n%s", n, render.CodeBlock(render.Truncate(changed[n], 1200, "…")))
	}
	return b.String()
}

func sortedValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}
