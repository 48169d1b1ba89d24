package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// RejectCallbackID routes the Reject form's submission.
const RejectCallbackID = "atoms_reject"

// maxRejectReason is the longest reason the form takes.
const maxRejectReason = 500

// buttonClick is a click on a button of an approval request: what the button
// names and the request message it was on. The Reject form carries it to its
// submission.
type buttonClick struct {
	PromotionID string `json:"p"`
	VersionID   string `json:"v"`
	Channel     string `json:"c"`
	MessageTS   string `json:"ts"`
}

// rejectClick opens the form that asks for the optional reason. It runs at
// once after the ack and reads only Redis before views.open: the click's
// trigger id lives 3 s. A click that would be refused is told so instead.
func (h *Handler) rejectClick(ctx context.Context, ic slack.InteractionCallback, meta buttonClick) {
	user := ic.User.ID
	p, err := h.engine.Clicked(ctx, meta.PromotionID, meta.Channel, meta.MessageTS)
	if err == nil {
		err = h.engine.MayReject(p, meta.VersionID, user)
	}
	if err != nil {
		h.tell(ctx, meta.Channel, user, h.failure("reject", err).Text)
		return
	}
	if _, _, err := h.slack.OpenView(ctx, ic.TriggerID, rejectView(p, meta, user)); err != nil {
		h.log.Warn("open the reject form", "err", err)
		h.tell(ctx, meta.Channel, user, ":warning: The Reject form could not be opened (Slack allows 3 seconds for that); nothing changed. Please click Reject again.")
	}
}

// rejectView asks for the reason; its Reject is the confirmation.
func rejectView(p state.Promotion, meta buttonClick, user string) slack.ModalViewRequest {
	b, _ := json.Marshal(meta)
	what := render.Escape(p.AgentName) + " " + render.Escape(workflow.VersionName(p))
	about := fmt.Sprintf("Reject *%s*? It will not be activated, and the channel sees your reason.", what)
	title, submit := "Reject promotion", "Reject"
	if user == p.Requester {
		about = fmt.Sprintf("Withdraw your request for *%s*? It will not be activated.", what)
		title, submit = "Withdraw request", "Withdraw"
	}
	in := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "Why not (optional)", false, false), inputAction)
	in.Multiline, in.MaxLength = true, maxRejectReason
	input := slack.NewInputBlock("reason", slack.NewTextBlockObject(slack.PlainTextType, "Reason", false, false), nil, in)
	input.Optional = true
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain(title), Submit: plain(submit), Close: plain("Keep it"),
		CallbackID: RejectCallbackID, PrivateMetadata: string(b),
		Blocks: slack.Blocks{BlockSet: []slack.Block{render.Note(about).Blocks[0], input}},
	}
}

// rejectSubmission closes the form at once and rejects after the ack, on the
// same checks as the click (the request message the form came from).
func (h *Handler) rejectSubmission(ic slack.InteractionCallback) Ack {
	var meta buttonClick
	if err := json.Unmarshal([]byte(ic.View.PrivateMetadata), &meta); err != nil || meta.PromotionID == "" {
		return Ack{}
	}
	reason := ""
	if ic.View.State != nil {
		reason = strings.TrimSpace(ic.View.State.Values["reason"][inputAction].Value)
	}
	reason = render.Truncate(reason, maxRejectReason, "…")
	user := ic.User.ID
	key := "reject:" + user + ":" + ic.View.ID + ":" + meta.PromotionID
	if !h.submit(func(ctx context.Context) {
		if !h.once(ctx, key) {
			return
		}
		h.reject(ctx, meta, user, reason)
	}) {
		go h.tell(context.Background(), meta.Channel, user, ":hourglass: atomsbot is busy and did not record your rejection. Please click Reject again in a few seconds.")
	}
	return Ack{}
}

func (h *Handler) reject(ctx context.Context, meta buttonClick, user, reason string) {
	if _, err := h.engine.Clicked(ctx, meta.PromotionID, meta.Channel, meta.MessageTS); err != nil {
		h.tell(ctx, meta.Channel, user, h.failure("reject", err).Text)
		return
	}
	p, err := h.engine.Reject(ctx, meta.PromotionID, meta.VersionID, user, reason)
	if err != nil {
		h.tell(ctx, meta.Channel, user, h.failure("reject", err).Text)
		return
	}
	verb := "rejected"
	if p.State == state.Cancelled {
		verb = "withdrawn"
	}
	h.tell(ctx, meta.Channel, user, fmt.Sprintf("The promotion of %s %s is %s.", render.Escape(p.AgentName), render.Escape(workflow.VersionName(p)), verb))
}
