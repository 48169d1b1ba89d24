package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// saveEdit writes only the changed fields through the platform, which
// refuses when someone else changed them since the form opened. The result
// goes to the ack through out while it still waits; otherwise the user is
// told in the channel. After a save it confirms the
// values persisted (the API does not echo them) and tells the channel with
// a diff.
func (h *Handler) saveEdit(ctx context.Context, sessionID, user string, values map[string]string, out *refusal) {
	sess, err := h.store.Session(ctx, sessionID)
	if err != nil {
		// The ack found the session; it expired or was saved since, or
		// Redis failed. There is no channel to tell, only the form.
		h.lostSession(ctx, err, values, out)
		return
	}
	say := func(m string) { h.tell(ctx, sess.Channel, user, m) }
	draft := render.Escape(cmp.Or(sess.DraftName, sess.NewName, sess.DraftID))
	changed := changedValues(sess.Original, values)
	// A form forked from a version is saved even unchanged: the draft is
	// what the user asked for.
	if len(changed) == 0 && sess.FromID == "" {
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
	h.engine.RecordEdit(ctx, sess.AgentID, saved.ID, saved.Revision, user) // the request names its editors
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
			h.rebase(ctx, sess, changed)
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
// saving again knowingly overwrites the conflicting change. Only the fields
// the user changed move on: the others still show what the form opened
// with, and must keep counting as unchanged, or saving again would put
// those old values back over someone else's newer ones.
func (h *Handler) rebase(ctx context.Context, sess state.EditSession, changed map[string]string) {
	ed, err := h.atoms.EditForm(ctx, sess.AgentID, sess.DraftID)
	if err != nil {
		h.log.Warn("re-read the draft after a conflict", "err", err)
		return
	}
	for name := range changed {
		if _, ok := sess.Original[name]; ok {
			sess.Original[name] = ed.Values[name]
		}
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
// one word, else by id (names with spaces would need quotes, and a backtick
// would end the code span the command is shown in).
func refArg(name, id string) string {
	if name == "" || strings.ContainsAny(name, " \t\"“”`") {
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
	from, fields := "", ""
	if sess.DraftID == "" && sess.FromID != "" {
		from = " from " + render.Escape(sess.FromRef)
	}
	if len(names) > 0 {
		fields = " (" + strings.Join(names, ", ") + ")"
	}
	head := render.Note(fmt.Sprintf(":pencil2: %s %s “%s”%s of *%s*%s.", render.Mention(user), what,
		render.Escape(cmp.Or(saved.Name, saved.ID)), from, render.Escape(sess.AgentName), fields))
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
