package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// Interaction acknowledges a button click or a modal submission. Modal field
// errors come back in the ack itself (Slack shows them under the inputs);
// everything that calls Atoms runs after the ack.
func (h *Handler) Interaction(ctx context.Context, ic slack.InteractionCallback) Ack {
	switch ic.Type {
	case slack.InteractionTypeBlockActions:
		return h.blockActions(ic)
	case slack.InteractionTypeViewSubmission:
		if ic.View.CallbackID == EditCallbackID {
			return h.editSubmission(ctx, ic)
		}
	case slack.InteractionTypeViewClosed:
		if ic.View.CallbackID == EditCallbackID && ic.View.PrivateMetadata != "" {
			h.submit(func(ctx context.Context) { _ = h.store.DeleteSession(ctx, ic.View.PrivateMetadata) })
		}
	}
	return Ack{}
}

func (h *Handler) blockActions(ic slack.InteractionCallback) Ack {
	if len(ic.ActionCallback.BlockActions) == 0 {
		return Ack{}
	}
	a := ic.ActionCallback.BlockActions[0]
	if a.ActionID != render.ActionApprove && a.ActionID != render.ActionReject {
		return Ack{}
	}
	channel := cmp.Or(ic.Container.ChannelID, ic.Channel.ID)
	user := ic.User.ID
	promotionID, versionID, ok := render.ParseButtonValue(a.Value)
	if !ok {
		h.submit(func(ctx context.Context) {
			h.tell(ctx, channel, user, ":warning: That button does not name a promotion; nothing changed.")
		})
		return Ack{}
	}
	// A click is one delivery of one button of one promotion; action_ts alone
	// is not unique across messages.
	key := "act:" + user + ":" + a.ActionID + ":" + a.Value + ":" + a.ActionTs
	if !h.submit(func(ctx context.Context) {
		if !h.once(ctx, key) {
			return
		}
		if a.ActionID == render.ActionApprove {
			h.approve(ctx, channel, user, promotionID, versionID)
		} else {
			h.reject(ctx, channel, user, promotionID, versionID)
		}
	}) {
		// An ack to a click cannot carry a message; say it ephemerally.
		go h.tell(context.Background(), channel, user, ":hourglass: atomsbot is busy and did not record your click. Please click again in a few seconds.")
	}
	return Ack{}
}

func (h *Handler) approve(ctx context.Context, channel, user, promotionID, versionID string) {
	res, err := h.engine.Approve(ctx, promotionID, versionID, user)
	if err != nil {
		h.tell(ctx, channel, user, h.failure("approve", err).Text)
		return
	}
	n, req := res.Count, h.engine.Policy().Required
	switch {
	case !res.Added:
		h.tell(ctx, channel, user, fmt.Sprintf("You already approved this promotion (%d of %d); a second click does not count twice.", n, req))
	case res.Complete && res.Promotion.CheckStatus == atoms.CheckPassed:
		h.tell(ctx, channel, user, fmt.Sprintf(":white_check_mark: Approved (%d of %d). Activating now.", n, req))
	case res.Complete:
		h.tell(ctx, channel, user, fmt.Sprintf(":white_check_mark: Approved (%d of %d). It will be activated as soon as the security check passes.", n, req))
	default:
		h.tell(ctx, channel, user, fmt.Sprintf(":white_check_mark: Approved (%d of %d).", n, req))
	}
}

func (h *Handler) reject(ctx context.Context, channel, user, promotionID, versionID string) {
	p, err := h.engine.Reject(ctx, promotionID, versionID, user)
	if err != nil {
		h.tell(ctx, channel, user, h.failure("reject", err).Text)
		return
	}
	verb := "rejected"
	if p.State == state.Cancelled {
		verb = "withdrawn"
	}
	h.tell(ctx, channel, user, fmt.Sprintf("The promotion of %s %s is %s.", render.Escape(p.AgentName), render.VersionName(p.VersionNumber), verb))
}

// tell shows a short ephemeral note (mrkdwn) to one user.
func (h *Handler) tell(ctx context.Context, channel, user, mrkdwn string) {
	if channel == "" || user == "" {
		return
	}
	if err := h.slack.Ephemeral(ctx, channel, user, render.Note(mrkdwn)); err != nil {
		h.log.Warn("ephemeral", "err", err)
	}
}

// editSubmission validates the form in the ack and saves it after. The edit
// session is read here (Redis, not Atoms), so an expired form or a field error
// is shown in the modal itself instead of a message the user may not see.
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
	if !h.submit(func(ctx context.Context) {
		if h.once(ctx, key) {
			h.saveEdit(ctx, sessionID, user, submitted)
		}
	}) {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{
			firstInput(submitted): "atomsbot is busy; nothing was saved. Please submit again in a few seconds."})}
	}
	return Ack{}
}

// sessionReadTimeout bounds the Redis read on the ack path.
const sessionReadTimeout = time.Second

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

// saveEdit patches only the changed fields, refusing when someone else edited
// the draft since the form opened, confirms the values persisted (the API
// does not echo them) and tells the channel with a diff.
func (h *Handler) saveEdit(ctx context.Context, sessionID, user string, values map[string]string) {
	sess, err := h.store.Session(ctx, sessionID)
	if err != nil {
		// The ack found the session; it expired or was saved since. There
		// is no channel to tell: the form's context is gone.
		h.log.Info("edit submission without session", "err", err)
		return
	}
	say := func(m string) { h.tell(ctx, sess.Channel, user, m) }
	draft := render.Escape(cmp.Or(sess.DraftName, sess.DraftID))
	changed := changedValues(sess.Original, values)
	if len(changed) == 0 {
		say("No changes to save in draft “" + draft + "”.")
		_ = h.store.DeleteSession(ctx, sess.ID)
		return
	}
	if errs := validate(changed, sess.WorkflowType); len(errs) > 0 {
		say(":warning: Nothing was saved: " + render.Escape(strings.Join(sortedValues(errs), " ")) + "\n" + unsaved(changed))
		return
	}
	detail, err := h.atoms.GetDraft(ctx, sess.AgentID, sess.DraftID, 1)
	if err != nil {
		if errors.Is(err, atoms.ErrNotFound) {
			say(":warning: Draft “" + draft + "” no longer exists (published or discarded); nothing was saved.\n" + unsaved(changed))
			_ = h.store.DeleteSession(ctx, sess.ID)
			return
		}
		say(h.failure("edit", err).Text + "\n" + unsaved(changed))
		return
	}
	if detail.Latest.DraftRevision != sess.Revision {
		editor := ""
		if name := lastEditor(detail.EditHistory); name != "" {
			editor = " (last by " + render.Escape(name) + ")"
		}
		say(fmt.Sprintf(":warning: Someone else edited draft “%s” since you opened the form%s: revision %d → %d. Nothing was saved, so their changes are not overwritten. Open it again with `/atoms edit %s %s` and re-apply yours.\n%s",
			draft, editor, sess.Revision, detail.Latest.DraftRevision, render.Escape(refArg(sess.AgentName, sess.AgentID)), render.Escape(sess.DraftID), unsaved(changed)))
		_ = h.store.DeleteSession(ctx, sess.ID)
		return
	}
	var current *atoms.ResolvedConfig
	if _, ok := changed["prompt"]; ok && sess.WorkflowType != atoms.WorkflowGraph {
		a, err := h.atoms.GetAgent(ctx, sess.AgentID, atoms.GetAgentOptions{DraftID: sess.DraftID})
		if err != nil {
			say(h.failure("edit", err).Text + "\n" + unsaved(changed))
			return
		}
		if a.ResolvedConfig == nil {
			// The prompt travels with the tools (the API replaces the array
			// wholesale): without them, saving would delete every tool.
			say(":warning: Nothing was saved: Atoms did not return the draft's current tools, and saving the prompt without them would delete them.\n" + unsaved(changed))
			return
		}
		current = a.ResolvedConfig
	}
	if _, err := h.atoms.UpdateDraftConfig(ctx, sess.AgentID, sess.DraftID, patchFor(changed, sess.WorkflowType, current)); err != nil {
		say(h.failure("edit", err).Text + "\n" + unsaved(changed))
		return
	}
	// From here on the draft has our edit: the form cannot be saved again.
	_ = h.store.DeleteSession(ctx, sess.ID)
	after, err := h.atoms.GetAgent(ctx, sess.AgentID, atoms.GetAgentOptions{DraftID: sess.DraftID})
	if err != nil {
		say(":warning: The change was sent, but reading the draft back failed: " + render.Escape(workflow.UserMessage(err)) + ". Check it with `/atoms diff " + render.Escape(refArg(sess.AgentName, sess.AgentID)) + " " + render.Escape(sess.DraftID) + "`.")
		return
	}
	stored := currentValues(after.ResolvedConfig, sess.WorkflowType)
	var lost []string
	for name, v := range changed {
		if stored[name] != v {
			lost = append(lost, "`"+name+"`")
		}
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		say(":warning: Atoms accepted the edit but does not show it for " + strings.Join(lost, ", ") + ". Check the draft before promoting it.\n" + unsaved(changed))
		return
	}
	h.announceEdit(ctx, sess, user, changed, after.ActiveVersionID)
}

// lastEditor names who made the newest edit (the API does not document the
// history's order, so the highest revision decides).
func lastEditor(history []atoms.DraftEditHistory) string {
	best := -1
	name := ""
	for _, e := range history {
		if e.Revision > best {
			best, name = e.Revision, e.EditorName
		}
	}
	return name
}

// refArg is how to name an agent in a command: by name when it is one word,
// else by id (names with spaces would need quotes).
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
func (h *Handler) announceEdit(ctx context.Context, sess state.EditSession, user string, changed map[string]string, activeID string) {
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, "`"+n+"`")
	}
	sort.Strings(names)
	head := render.Note(fmt.Sprintf(":pencil2: %s edited draft “%s” of *%s* (%s).", render.Mention(user),
		render.Escape(cmp.Or(sess.DraftName, sess.DraftID)), render.Escape(sess.AgentName), strings.Join(names, ", ")))
	pages := []render.Message{head}
	var file *fileReply
	if d, err := h.atoms.DiffDraft(ctx, sess.AgentID, sess.DraftID, activeID); err == nil {
		title := "Draft vs the active version"
		opt := render.DiffOptions{HeaderBlocks: head.Blocks}
		pages = render.Diff(title, *d, opt)
		if len(pages) > maxEditPages {
			opt.MaxPages = maxEditPages
			pages = render.Diff(title, *d, opt)
			file = &fileReply{name: fileSafe(sess.AgentName) + "-draft-diff.txt", title: title, content: render.DiffText(title, *d)}
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
