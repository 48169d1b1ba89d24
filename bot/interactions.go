package bot

import (
	"cmp"
	"context"
	"fmt"

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
		switch ic.View.CallbackID {
		case EditCallbackID:
			return h.editSubmission(ctx, ic)
		case CallPhoneCallbackID:
			return h.phoneSubmission(ctx, ic)
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
	switch a.ActionID {
	case render.ActionApprove, render.ActionReject:
	case render.ActionReopen:
		return h.reopenAction(ic, a)
	case render.ActionCall, render.ActionChangePhone:
		// The form, when one is needed, opens with the click's trigger id,
		// which lives 3 s: the job starts at once and reads Redis only.
		key := "act:" + user + ":" + a.ActionID + ":" + a.Value + ":" + a.ActionTs
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
		h.notifyBusy(channel, user, ":hourglass: atomsbot is busy and did not record your click. Please click again in a few seconds.")
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
	case res.Complete && res.Promotion.CheckStatus == "passed" && res.Promotion.VersionID != "":
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
	h.tell(ctx, channel, user, fmt.Sprintf("The promotion of %s %s is %s.", render.Escape(p.AgentName), render.Escape(workflow.VersionName(p)), verb))
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
