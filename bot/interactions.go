package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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
			return h.editSubmission(ic)
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
	channel := firstNonEmpty(ic.Container.ChannelID, ic.Channel.ID)
	user := ic.User.ID
	promotionID, versionID, ok := render.ParseButtonValue(a.Value)
	if !ok {
		h.submit(func(ctx context.Context) {
			h.tell(ctx, channel, user, ":warning: That button does not name a promotion; nothing changed.")
		})
		return Ack{}
	}
	key := "act:" + user + ":" + a.ActionID + ":" + a.ActionTs
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

// editSubmission validates the form in the ack and saves it after.
func (h *Handler) editSubmission(ic slack.InteractionCallback) Ack {
	values := submittedValues(ic.View)
	// The workflow type decides the prompt's limit; it is only known from the
	// session, so the 4000-character check repeats after the ack.
	if errs := validate(values, ""); len(errs) > 0 {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(errs)}
	}
	sessionID, user := ic.View.PrivateMetadata, ic.User.ID
	key := "view:" + ic.View.ID + ":" + ic.View.Hash
	if !h.submit(func(ctx context.Context) {
		if h.once(ctx, key) {
			h.saveEdit(ctx, sessionID, user, values)
		}
	}) {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{editFields[0].name: "atomsbot is busy; nothing was saved. Please submit again in a few seconds."})}
	}
	return Ack{}
}

// saveEdit patches only the changed fields, refusing when someone else edited
// the draft since the form opened, confirms the values persisted (the API
// does not echo them) and tells the channel with a diff.
func (h *Handler) saveEdit(ctx context.Context, sessionID, user string, values map[string]string) {
	sess, err := h.store.Session(ctx, sessionID)
	if err != nil {
		h.log.Info("edit submission without session", "err", err)
		return // no channel to tell: the form's context is gone
	}
	say := func(m string) { h.tell(ctx, sess.Channel, user, m) }
	changed := map[string]string{}
	for name, orig := range sess.Original {
		if v, ok := values[name]; ok && v != orig {
			changed[name] = v
		}
	}
	if len(changed) == 0 {
		say("No changes to save in draft “" + render.Escape(sess.DraftName) + "”.")
		_ = h.store.DeleteSession(ctx, sess.ID)
		return
	}
	if errs := validate(changed, sess.WorkflowType); len(errs) > 0 {
		say(":warning: Nothing was saved: " + render.Escape(strings.Join(sortedValues(errs), " ")))
		return
	}
	detail, err := h.atoms.GetDraft(ctx, sess.AgentID, sess.DraftID, 1)
	if err != nil {
		if errors.Is(err, atoms.ErrNotFound) {
			say(":warning: Draft “" + render.Escape(sess.DraftName) + "” no longer exists (published or discarded); nothing was saved.\n" + unsaved(changed))
			return
		}
		say(h.failure("edit", err).Text)
		return
	}
	if detail.Latest.DraftRevision != sess.Revision {
		say(fmt.Sprintf(":warning: Someone else edited draft “%s” since you opened the form (revision %d → %d). Nothing was saved, so their changes are not overwritten. Open it again with `/atoms edit %s %s`.\n%s",
			render.Escape(sess.DraftName), sess.Revision, detail.Latest.DraftRevision, render.Escape(sess.AgentName), render.Escape(sess.DraftID), unsaved(changed)))
		return
	}
	var current *atoms.ResolvedConfig
	if _, ok := changed["prompt"]; ok && sess.WorkflowType != atoms.WorkflowGraph {
		a, err := h.atoms.GetAgent(ctx, sess.AgentID, atoms.GetAgentOptions{DraftID: sess.DraftID})
		if err != nil {
			say(h.failure("edit", err).Text)
			return
		}
		current = a.ResolvedConfig
	}
	if _, err := h.atoms.UpdateDraftConfig(ctx, sess.AgentID, sess.DraftID, patchFor(changed, sess.WorkflowType, current)); err != nil {
		say(h.failure("edit", err).Text + "\n" + unsaved(changed))
		return
	}
	after, err := h.atoms.GetAgent(ctx, sess.AgentID, atoms.GetAgentOptions{DraftID: sess.DraftID})
	if err != nil {
		say(":warning: The change was sent, but reading the draft back failed: " + render.Escape(workflow.UserMessage(err)))
		return
	}
	stored := currentValues(after.ResolvedConfig, sess.WorkflowType)
	var lost []string
	for name, v := range changed {
		if stored[name] != v {
			lost = append(lost, name)
		}
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		say(":warning: Atoms accepted the edit but does not show it for: " + strings.Join(lost, ", ") + ". Check the draft before promoting it.")
		return
	}
	_ = h.store.DeleteSession(ctx, sess.ID)
	h.announceEdit(ctx, sess, user, changed, after.ActiveVersionID)
}

// announceEdit tells the channel what the draft now changes against the
// active version.
func (h *Handler) announceEdit(ctx context.Context, sess state.EditSession, user string, changed map[string]string, activeID string) {
	names := make([]string, 0, len(changed))
	for n := range changed {
		names = append(names, "`"+n+"`")
	}
	sort.Strings(names)
	head := fmt.Sprintf(":pencil2: %s edited draft “%s” of *%s* (%s).", render.Mention(user), render.Escape(firstNonEmpty(sess.DraftName, sess.DraftID)), render.Escape(sess.AgentName), strings.Join(names, ", "))
	var pages []render.Message
	if d, err := h.atoms.DiffDraft(ctx, sess.AgentID, sess.DraftID, activeID); err == nil {
		pages = render.Diff("Draft vs the active version", *d, render.DiffOptions{MaxPages: 10})
	}
	first := render.Note(head)
	if len(pages) > 0 {
		first.Blocks = append(first.Blocks, pages[0].Blocks...)
		first.Blocks = first.Blocks[:min(len(first.Blocks), render.MaxBlocks)]
	}
	ts, err := h.slack.Post(ctx, sess.Channel, "", first)
	if err != nil {
		h.log.Warn("edit confirmation", "err", err)
		h.tell(ctx, sess.Channel, user, ":white_check_mark: Saved. (The confirmation could not be posted in the channel.)")
		return
	}
	for _, p := range pages[min(1, len(pages)):] {
		if _, err := h.slack.Post(ctx, sess.Channel, ts, p); err != nil {
			break
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
