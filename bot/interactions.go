package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
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
		switch ic.View.CallbackID {
		case EditCallbackID:
			return h.editSubmission(ctx, ic)
		case CallPhoneCallbackID:
			return h.phoneSubmission(ctx, ic)
		case RejectCallbackID:
			return h.rejectSubmission(ic)
		}
	case slack.InteractionTypeViewClosed:
		if ic.View.CallbackID == EditCallbackID {
			h.editClosed(ic)
		}
	}
	return Ack{}
}

func (h *Handler) blockActions(ic slack.InteractionCallback) Ack {
	if len(ic.ActionCallback.BlockActions) == 0 {
		return Ack{}
	}
	a := ic.ActionCallback.BlockActions[0]
	channel := cmp.Or(ic.Container.ChannelID, ic.Channel.ID)
	user := ic.User.ID
	// A click is one delivery of one button of one message; action_ts alone
	// is not unique across messages.
	key := "act:" + user + ":" + a.ActionID + ":" + a.Value + ":" + a.ActionTs
	var job func(context.Context)
	switch a.ActionID {
	case render.ActionReopen:
		return h.reopenAction(ic, a)
	case render.ActionApprove, render.ActionReject, render.ActionCancel:
		promotionID, versionID, ok := render.ParseButtonValue(a.Value)
		if !ok {
			h.submit(func(ctx context.Context) {
				h.tell(ctx, channel, user, ":warning: That button does not name a promotion; nothing changed.")
			})
			return Ack{}
		}
		// Bound to the request message the click came from: a crafted
		// payload naming another promotion is refused.
		at := buttonClick{PromotionID: promotionID, VersionID: versionID, Channel: ic.Container.ChannelID, MessageTS: ic.Container.MessageTs}
		switch a.ActionID {
		case render.ActionApprove:
			job = func(ctx context.Context) { h.approve(ctx, at, user) }
		case render.ActionReject:
			// The form opens with the click's trigger id, which lives
			// 3 s: the job starts at once and reads Redis only.
			job = func(ctx context.Context) { h.rejectClick(ctx, ic, at) }
		default:
			job = func(ctx context.Context) { h.cancelClick(ctx, at, user) }
		}
	case render.ActionRollback:
		job = func(ctx context.Context) { h.rollbackClick(ctx, channel, user, a.Value) }
	case render.ActionCall, render.ActionChangePhone:
		// The form, when one is needed, opens with the click's trigger id,
		// which lives 3 s: the job starts at once and reads Redis only.
		if !h.submit(func(ctx context.Context) {
			if !h.once(ctx, key) {
				return
			}
			if a.ActionID == render.ActionCall {
				h.callClick(ctx, ic, a)
			} else {
				h.changePhoneClick(ctx, ic)
			}
		}) {
			h.notifyBusy(channel, user, ":hourglass: atomsbot is busy and did not place the call. Please click again in a few seconds.")
		}
		return Ack{}
	default:
		return Ack{}
	}
	if !h.submit(func(ctx context.Context) {
		if h.once(ctx, key) {
			job(ctx)
		}
	}) {
		// An ack to a click cannot carry a message; say it ephemerally.
		h.notifyBusy(channel, user, ":hourglass: atomsbot is busy and did not record your click. Please click again in a few seconds.")
	}
	return Ack{}
}

func (h *Handler) approve(ctx context.Context, at buttonClick, user string) {
	channel := at.Channel
	if _, err := h.engine.Clicked(ctx, at.PromotionID, at.Channel, at.MessageTS); err != nil {
		h.tell(ctx, channel, user, h.failure("approve", err).Text)
		return
	}
	res, err := h.engine.Approve(ctx, at.PromotionID, at.VersionID, user)
	if err != nil {
		h.tell(ctx, channel, user, h.failure("approve", err).Text)
		return
	}
	n, req := res.Count, h.engine.Policy().Required
	switch {
	case !res.Added:
		h.tell(ctx, channel, user, fmt.Sprintf("You already approved this promotion (%d of %d); a second click does not count twice.", n, req))
	case res.Complete && res.Promotion.CheckStatus == "passed" && res.Promotion.VersionID != "":
		h.tell(ctx, channel, user, fmt.Sprintf(":white_check_mark: Approved (%d of %d). Activating now.", n, req))
	case res.Complete:
		h.tell(ctx, channel, user, fmt.Sprintf(":white_check_mark: Approved (%d of %d). It will be activated as soon as the security check passes.", n, req))
	default:
		h.tell(ctx, channel, user, fmt.Sprintf(":white_check_mark: Approved (%d of %d).", n, req))
	}
}

// cancelClick is the requester's Cancel button: the same ending as
// /atoms cancel; anyone else is told it is not theirs.
func (h *Handler) cancelClick(ctx context.Context, at buttonClick, user string) {
	p, err := h.engine.Clicked(ctx, at.PromotionID, at.Channel, at.MessageTS)
	if err == nil {
		p, err = h.engine.CancelRequest(ctx, p, user)
	}
	if err != nil {
		h.tell(ctx, at.Channel, user, h.failure("cancel", err).Text)
		return
	}
	h.tell(ctx, at.Channel, user, fmt.Sprintf(":heavy_multiplication_x: Cancelled your request for %s %s.", render.Literal(p.AgentName), render.Escape(workflow.VersionName(p))))
}

// rollbackClick is "Roll back to v3" on an "is live" message: the same
// approval flow as /atoms rollback, by the clicker, in the channel.
func (h *Handler) rollbackClick(ctx context.Context, channel, user, value string) {
	agentID, versionID, ok := render.ParseRollbackValue(value)
	if !ok || channel == "" {
		h.tell(ctx, channel, user, ":warning: That button does not name a version; nothing changed.")
		return
	}
	agent, err := h.atoms.Agent(ctx, agentID)
	if err != nil {
		h.tell(ctx, channel, user, h.failure("rollback", err).Text)
		return
	}
	v, err := h.atoms.Version(ctx, agentID, platform.VersionRef{ID: versionID})
	if errors.Is(err, platform.ErrNotFound) {
		h.tell(ctx, channel, user, ":mag: That version of "+render.Literal(agent.Name)+" is no longer on Atoms; nothing changed. See `/atoms versions "+render.Escape(refArg(agent.Name, agent.ID))+"`.")
		return
	}
	if err != nil {
		h.tell(ctx, channel, user, h.failure("rollback", err).Text)
		return
	}
	p, err := h.engine.Rollback(ctx, workflow.RollbackRequest{Agent: agent, Version: v, Requester: user, Channel: channel})
	if err != nil {
		h.tell(ctx, channel, user, h.failure("rollback", err).Text)
		return
	}
	h.tell(ctx, channel, user, promotionReply(p, "ready").Text)
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
