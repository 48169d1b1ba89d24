package bot

// The edit feature, in four files: opening the form (here: `/atoms edit`,
// `--from` and the "Reopen as a draft" button), the form and its checks
// (edit_view.go), the submission's ack (edit_submit.go), and the save with
// its announcement (edit_save.go). They stay in package bot: every step is a
// handler step (trigger ids, acks, the pool, the session store), and a
// package of its own would need all of the handler back through interfaces.

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// editTarget is what a form edits: an existing draft, or a new one (draft
// ID "") from the live version or, with from set, forked from a published
// version.
type editTarget struct {
	agent platform.Agent
	draft platform.Draft
	from  *platform.Version
}

// editOpener is who opens a form, with which trigger, and where the news of
// its save goes.
type editOpener struct {
	trigger, channel, user, userName string
}

var formNotOpened = render.Note(":warning: The edit form could not be opened (Slack allows 3 seconds for that). Please try again.")

// cmdEdit opens the form for `/atoms edit`. Nothing is created on Atoms
// until the form is saved.
func (h *Handler) cmdEdit(ctx context.Context, sc slack.SlashCommand, c command.Command) {
	o := editOpener{trigger: sc.TriggerID, channel: sc.ChannelID, user: sc.UserID, userName: sc.UserName}
	target := func(ctx context.Context) (editTarget, error) {
		t, err := h.commandTarget(ctx, c)
		if hint, ok := h.unquotedHint(ctx, sc.Text, err); ok {
			return t, &hintError{hint}
		}
		return t, err
	}
	if err := h.openEditForm(ctx, o, c.Agent, target); err != nil {
		h.send(ctx, sc, single(formNotOpened))
	}
}

// openEditForm opens the modal at once (the trigger id lives 3 s), then
// reads what it edits and fills the modal in with views.update. An error
// means the modal did not open; the caller tells the user.
func (h *Handler) openEditForm(ctx context.Context, o editOpener, ref string, target func(context.Context) (editTarget, error)) error {
	viewID, hash, err := h.slack.OpenView(ctx, o.trigger, loadingView(ref))
	if err != nil {
		h.log.Warn("open edit modal", "err", err)
		return err
	}
	view, err := h.loadEdit(ctx, o, viewID, target)
	if err != nil {
		view = messageView("Edit draft", h.failure(command.Edit, err))
	}
	if err := h.slack.UpdateView(ctx, viewID, hash, view); err != nil {
		h.log.Warn("fill edit modal", "err", err)
	}
	return nil
}

// commandTarget is what `/atoms edit <agent> [<draft> | --from <version>]`
// names.
func (h *Handler) commandTarget(ctx context.Context, c command.Command) (editTarget, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return editTarget{}, err
	}
	switch {
	case c.From != "":
		v, err := h.resolveVersion(ctx, agent, c.From)
		if err != nil {
			return editTarget{}, err
		}
		return forkTarget(agent, v), nil
	case c.Draft != "":
		draft, err := h.resolveDraft(ctx, agent, c.Draft, false)
		if err != nil {
			return editTarget{}, err
		}
		return editTarget{agent: agent, draft: draft}, nil
	}
	return editTarget{agent: agent}, nil
}

// forkTarget is a new draft from v; from the live version that is the
// plain new draft.
func forkTarget(agent platform.Agent, v platform.Version) editTarget {
	if v.Live || v.ID == agent.LiveVersionID {
		return editTarget{agent: agent}
	}
	return editTarget{agent: agent, from: &v}
}

// loadEdit reads what the form edits and keeps the form's context in an
// edit session (Redis); the modal carries only the session's id.
func (h *Handler) loadEdit(ctx context.Context, o editOpener, viewID string, target func(context.Context) (editTarget, error)) (slack.ModalViewRequest, error) {
	t, err := target(ctx)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	agent, draft := t.agent, t.draft
	var ed platform.Editable
	switch {
	case t.from != nil:
		ed, err = h.atoms.EditVersion(ctx, agent.ID, *t.from)
	case draft.Scanning:
		return slack.ModalViewRequest{}, &workflow.RefusedError{Msg: fmt.Sprintf("Draft “%s” of %s is being published (its security check is running) and cannot be edited until that finishes.", render.Literal(draft.Name), render.Literal(agent.Name))}
	case draft.ID == "" && agent.LiveVersionID == "":
		return slack.ModalViewRequest{}, &RefError{Msg: render.Literal(agent.Name) + " has no active version to start a draft from."}
	default:
		ed, err = h.atoms.EditForm(ctx, agent.ID, draft.ID)
	}
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	original := maps.Clone(ed.Values)
	if utf8.RuneCountInString(ed.Values[platform.FieldPrompt]) > maxInput {
		delete(original, platform.FieldPrompt) // too long for a Slack input: not editable here
	}
	sess := state.EditSession{
		ID: newSessionID(), AgentID: agent.ID, AgentName: agent.Name, DraftID: ed.Draft.ID,
		DraftName: cmp.Or(ed.Draft.Name, draft.Name), WorkflowType: ed.WorkflowType, Revision: ed.Draft.Revision,
		Basis: ed.Basis, NewName: newDraftName(cmp.Or(o.userName, o.user), h.now()),
		Channel: o.channel, UserID: o.user, ViewID: viewID, Original: original, CreatedAt: h.now(),
	}
	if t.from != nil {
		sess.FromID, sess.FromRef = t.from.ID, cmp.Or(t.from.Ref, t.from.ID)
	}
	if err := h.store.PutSession(ctx, sess, h.cfg.SessionTTL); err != nil {
		return slack.ModalViewRequest{}, err
	}
	return editView(sess, ed.Values, ed.Draft.Open), nil
}

// reopenAction takes a click on "Reopen as a draft" of a finished
// promotion. The form opens with the click's trigger id, which lives 3 s:
// the job starts at once and reads only Redis before opening it; what the
// draft is forked from is read after, and forked at the first save.
func (h *Handler) reopenAction(ic slack.InteractionCallback, a *slack.BlockAction) Ack {
	channel, user := cmp.Or(ic.Container.ChannelID, ic.Channel.ID), ic.User.ID
	key := "act:" + user + ":" + a.ActionID + ":" + a.Value + ":" + a.ActionTs
	if !h.submit(func(ctx context.Context) {
		if h.once(ctx, key) {
			h.reopenClick(ctx, ic, channel, a.Value)
		}
	}) {
		h.notifyBusy(channel, user, ":hourglass: atomsbot is busy and did not open the form. Please click again in a few seconds.")
	}
	return Ack{}
}

func (h *Handler) reopenClick(ctx context.Context, ic slack.InteractionCallback, channel, value string) {
	user := ic.User.ID
	// The button names the promotion and its version; the promotion's own
	// record is what counts (one that published nothing names no version).
	promotionID, _, ok := render.ParseButtonValue(value)
	if !ok {
		promotionID, _, _ = strings.Cut(value, "|")
	}
	var p state.Promotion
	err := state.ErrNotFound
	if promotionID != "" {
		rctx, cancel := context.WithTimeout(ctx, sessionReadTimeout)
		p, err = h.store.Promotion(rctx, promotionID)
		cancel()
	}
	if err != nil {
		if !errors.Is(err, state.ErrNotFound) {
			h.log.Warn("reopen: read the promotion", "err", err)
			h.tell(ctx, channel, user, ":warning: atomsbot could not read that request just now; nothing was opened. Please click again.")
			return
		}
		h.tell(ctx, channel, user, ":mag: atomsbot no longer keeps that request, so there is nothing to reopen from the button. Start a draft from its version with `/atoms edit <agent> --from <version>`.")
		return
	}
	o := editOpener{trigger: ic.TriggerID, channel: channel, user: user, userName: ic.User.Name}
	target := func(ctx context.Context) (editTarget, error) { return h.reopenTarget(ctx, p) }
	if err := h.openEditForm(ctx, o, p.AgentName, target); err != nil {
		h.tell(ctx, channel, user, formNotOpened.Text)
	}
}

// reopenTarget is a new draft forked from what a finished promotion
// published; when it published nothing (the publish failed, or on branches
// the scan failed and left the draft open), the draft it came from.
func (h *Handler) reopenTarget(ctx context.Context, p state.Promotion) (editTarget, error) {
	agentRef := refArg(p.AgentName, p.AgentID)
	if !p.State.Terminal() {
		what := "is still in flight"
		if p.State == state.Live {
			what = "went live"
		}
		return editTarget{}, &workflow.RefusedError{Msg: fmt.Sprintf("The promotion of %s %s %s, so there is nothing to reopen. To change the agent, use `/atoms edit %s`.",
			render.Literal(p.AgentName), render.Escape(workflow.VersionName(p)), what, render.Escape(agentRef))}
	}
	agent, err := h.atoms.Agent(ctx, p.AgentID)
	if err != nil {
		return editTarget{}, err
	}
	if p.VersionID != "" {
		// Read by id: a version on a branch archived since stays readable.
		return forkTarget(agent, platform.Version{ID: p.VersionID, Ref: workflow.VersionName(p)}), nil
	}
	if p.DraftID != "" {
		draft, err := h.resolveDraft(ctx, agent, p.DraftID, false)
		var re *RefError
		if !errors.As(err, &re) {
			return editTarget{agent: agent, draft: draft}, err
		}
	}
	return editTarget{}, &RefError{Msg: fmt.Sprintf("The promotion of %s published nothing, and the draft it came from is gone. Start again with `/atoms edit %s`.",
		render.Literal(p.AgentName), render.Escape(agentRef))}
}

// newDraftName names a draft made by saving a form that named none: who
// and when, in one word so it can be typed in a command without quotes.
func newDraftName(user string, now time.Time) string {
	clean := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' {
			return r
		}
		return '-'
	}, user)
	return render.Truncate(strings.Trim(clean, "-")+"-"+now.UTC().Format("2006-01-02-1504"), 100, "")
}

func newSessionID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "es_" + hex.EncodeToString(b)
}
