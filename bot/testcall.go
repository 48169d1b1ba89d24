package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// A phone number is personal data: it is kept in Redis under its owner's
// Slack id, never logged, never posted in a channel; ephemerals show it
// masked (render.MaskPhone).

// e164 is an international number: +, a country code not starting with 0,
// 7 to 15 digits in all.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// callIntentTTL is how long a test call waits for its user's number.
const callIntentTTL = 15 * time.Minute

// cmdCall is `/atoms call <agent> [<draft>|<version>] [<phone>]` and
// `/atoms call --forget`.
func (h *Handler) cmdCall(ctx context.Context, sc slack.SlashCommand, c command.Command) (reply, error) {
	if c.Forget {
		removed, err := h.store.ForgetPhone(ctx, sc.UserID)
		if err != nil {
			return reply{}, err
		}
		if !removed {
			return single(render.Note("atomsbot had no phone number of yours.")), nil
		}
		return single(render.Note(":wastebasket: Your phone number is deleted; the next test call asks for it again.")), nil
	}
	if c.Phone != "" && !e164.MatchString(c.Phone) {
		return single(render.Note(":warning: That is not a phone number in international form: a +, the country code and the number, e.g. +15551234567.")), nil
	}
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return reply{}, err
	}
	ci := state.CallIntent{ID: state.NewCallIntentID(), User: sc.UserID, Channel: sc.ChannelID, AgentID: agent.ID, CallAfter: true,
		Target: agent.Name + " (the live version)"}
	if c.Draft != "" {
		if ci, err = h.callTarget(ctx, agent, c.Draft, ci); err != nil {
			return reply{}, err
		}
	}
	// Refused before a number is asked for or kept.
	if err := h.engine.MayTestCall(ctx, callRequest(ci, "")); err != nil {
		return single(h.callFailure(err, c.Phone)), nil
	}
	phone := c.Phone
	if phone != "" {
		if err := h.store.SetPhone(ctx, sc.UserID, phone); err != nil {
			return reply{}, err
		}
	} else if phone, err = h.store.Phone(ctx, sc.UserID); err != nil {
		return reply{}, err
	}
	if phone == "" {
		h.askPhone(ctx, sc.TriggerID, sc.ChannelID, ci, "")
		return reply{}, nil
	}
	return single(h.placeCall(ctx, ci, phone)), nil
}

// callTarget resolves what `/atoms call` names: an open draft, else a
// version (vN, branch/vN or an id).
func (h *Handler) callTarget(ctx context.Context, agent platform.Agent, ref string, ci state.CallIntent) (state.CallIntent, error) {
	d, derr := h.resolveDraft(ctx, agent, ref, true)
	if derr == nil {
		ci.DraftID, ci.Target = d.ID, fmt.Sprintf("%s draft “%s”", agent.Name, cmp.Or(d.Name, d.ID))
		return ci, nil
	}
	var re *RefError
	if !errors.As(derr, &re) {
		return ci, derr
	}
	if _, ok := parseVersionRef(ref); !ok {
		return ci, derr
	}
	v, err := h.resolveVersion(ctx, agent, ref)
	if err != nil {
		return ci, err
	}
	ci.VersionID, ci.Target = v.ID, agent.Name+" "+v.Ref
	return ci, nil
}

// callClick is a Call me button: call at once with the clicker's number,
// or ask for it first.
func (h *Handler) callClick(ctx context.Context, ic slack.InteractionCallback, a *slack.BlockAction) {
	channel := cmp.Or(ic.Container.ChannelID, ic.Channel.ID)
	user := ic.User.ID
	kind, ids, ok := render.ParseCallValue(a.Value)
	if !ok {
		h.tell(ctx, channel, user, ":warning: That button does not name anything to call; nothing happened.")
		return
	}
	ci := state.CallIntent{ID: state.NewCallIntentID(), User: user, Channel: channel, CallAfter: true}
	switch kind {
	case render.CallPromotion:
		p, err := h.store.Promotion(ctx, ids[0])
		if err != nil {
			h.tell(ctx, channel, user, h.unreadablePromotion(ctx, err))
			return
		}
		ci.PromotionID, ci.AgentID, ci.Target = p.ID, p.AgentID, p.AgentName+" "+workflow.VersionName(p)
	case render.CallDraft:
		ci.AgentID, ci.DraftID, ci.Target = ids[0], ids[1], "the draft"
	}
	phone, err := h.store.Phone(ctx, user)
	if err != nil {
		h.tell(ctx, channel, user, h.failure("call", err).Text)
		return
	}
	if phone == "" {
		// Refused before a number is asked for; a known number is checked
		// with the call itself.
		if err := h.engine.MayTestCall(ctx, callRequest(ci, "")); err != nil {
			h.tell(ctx, channel, user, h.callFailure(err, "").Text)
			return
		}
		h.askPhone(ctx, ic.TriggerID, channel, ci, "")
		return
	}
	m := h.placeCall(ctx, ci, phone)
	if err := h.slack.Ephemeral(ctx, channel, user, m); err != nil {
		h.log.Warn("test call answer", "err", err)
	}
}

// changePhoneClick opens the number form without placing a call.
func (h *Handler) changePhoneClick(ctx context.Context, ic slack.InteractionCallback) {
	user := ic.User.ID
	current, _ := h.store.Phone(ctx, user)
	ci := state.CallIntent{ID: state.NewCallIntentID(), User: user, Channel: cmp.Or(ic.Container.ChannelID, ic.Channel.ID)}
	h.askPhone(ctx, ic.TriggerID, ci.Channel, ci, current)
}

// placeCall places ci's test call on phone and says how it went, to the
// user only: the number is shown masked, errors never show it.
func (h *Handler) placeCall(ctx context.Context, ci state.CallIntent, phone string) render.Message {
	res, err := h.engine.TestCall(ctx, callRequest(ci, phone))
	if err != nil {
		return h.callFailure(err, phone)
	}
	text := fmt.Sprintf(":telephone_receiver: Calling %s with %s (conversation `%s`). Nothing live changes.",
		render.MaskPhone(phone), res.Target, render.Escape(res.ConversationID))
	m := render.Note(text)
	m.Blocks = append(m.Blocks, render.ChangePhoneBlock())
	return m
}

// callRequest is ci as the engine takes it.
func callRequest(ci state.CallIntent, phone string) workflow.TestCallRequest {
	return workflow.TestCallRequest{
		User: ci.User, Channel: ci.Channel, AgentID: ci.AgentID, PromotionID: ci.PromotionID,
		DraftID: ci.DraftID, VersionID: ci.VersionID, Target: ci.Target, Phone: phone,
	}
}

// callFailure explains a refused or failed test call. Atoms may echo the
// number in an error: it is masked in what the user sees and in the log.
func (h *Handler) callFailure(err error, phone string) render.Message {
	mask := func(s string) string {
		if phone == "" {
			return s
		}
		return strings.ReplaceAll(s, phone, render.MaskPhone(phone))
	}
	var le *workflow.LimitError
	var rf *workflow.RefusedError
	switch {
	case errors.As(err, &le):
		return render.Note(fmt.Sprintf(":hourglass: You have placed %d test calls in the last hour, the most allowed (TEST_CALLS_PER_HOUR); the next can go at %s.",
			le.Limit, render.SlackDate(le.Next)))
	case errors.As(err, &rf):
		return render.Note(":no_entry_sign: " + mask(rf.Msg))
	case platform.Ambiguous(err):
		h.log.Warn("test call answer unclear", "err", mask(err.Error()))
		return render.Note(":warning: Atoms did not answer clearly, so the phone may or may not ring. atomsbot does not try again by itself (a repeat could ring twice).")
	case errors.Is(err, platform.ErrRefused) || errors.Is(err, platform.ErrNotFound) || errors.Is(err, platform.ErrBusy) ||
		errors.Is(err, platform.ErrFrozen) || errors.Is(err, platform.ErrWrongModel):
		return render.Note(":no_entry_sign: No call was placed: " + render.Escape(mask(platform.Explain(err))) + ".")
	}
	return h.unexpected(context.Background(), "call", err, mask)
}

// CallPhoneCallbackID routes the phone form's submission.
const CallPhoneCallbackID = "atoms_call_phone"

// askPhone opens the form that asks for (or changes) the user's number;
// ci waits in Redis for it.
func (h *Handler) askPhone(ctx context.Context, triggerID, channel string, ci state.CallIntent, current string) {
	if err := h.store.PutCallIntent(ctx, ci, callIntentTTL); err != nil {
		h.tell(ctx, channel, ci.User, h.failure("call", err).Text)
		return
	}
	if _, _, err := h.slack.OpenView(ctx, triggerID, phoneView(ci, current)); err != nil {
		h.log.Warn("open the phone form", "err", err)
		h.tell(ctx, channel, ci.User, ":warning: The phone form could not be opened (Slack allows 3 seconds for that). Please try again.")
	}
}

// phoneView asks for the number test calls ring.
func phoneView(ci state.CallIntent, current string) slack.ModalViewRequest {
	about := "Test calls ring this number. atomsbot keeps it for your next calls; `/atoms call --forget` deletes it."
	submit := "Save"
	if ci.CallAfter {
		about = "Your phone rings with *" + render.Escape(ci.Target) + "*. " + about
		submit = "Call me"
	}
	in := slack.NewPlainTextInputBlockElement(slack.NewTextBlockObject(slack.PlainTextType, "+15551234567", false, false), inputAction)
	in.InitialValue = current
	in.MaxLength = 16
	input := slack.NewInputBlock("phone", slack.NewTextBlockObject(slack.PlainTextType, "Phone number", false, false),
		slack.NewTextBlockObject(slack.PlainTextType, "International form: +, country code, number.", false, false), in)
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Test call"), Submit: plain(submit), Close: plain("Cancel"),
		CallbackID: CallPhoneCallbackID, PrivateMetadata: ci.ID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{render.Note(about).Blocks[0], input}},
	}
}

// phoneSubmission checks the number in the ack (errors show under the
// field), keeps it, and places the waiting call after the ack.
func (h *Handler) phoneSubmission(ctx context.Context, ic slack.InteractionCallback) Ack {
	phone := ""
	if ic.View.State != nil {
		phone = strings.TrimSpace(ic.View.State.Values["phone"][inputAction].Value)
	}
	phone = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(phone)
	if !e164.MatchString(phone) {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{
			"phone": "Use the international form: a +, the country code and the number, e.g. +15551234567."})}
	}
	rctx, cancel := context.WithTimeout(ctx, sessionReadTimeout)
	defer cancel()
	ci, err := h.store.CallIntent(rctx, ic.View.PrivateMetadata)
	switch {
	case errors.Is(err, state.ErrNotFound):
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{"phone": "This form expired; nothing was saved. Click Call me again."})}
	case err != nil:
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{"phone": h.storeFailure("phone number", err)})}
	case ci.User != ic.User.ID:
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{"phone": "This form belongs to someone else; nothing was saved."})}
	}
	if err := h.store.SetPhone(rctx, ci.User, phone); err != nil {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{"phone": h.storeFailure("phone number", err)})}
	}
	if !h.submit(func(ctx context.Context) {
		if !ci.CallAfter {
			h.tell(ctx, ci.Channel, ci.User, "Test calls now ring "+render.MaskPhone(phone)+".")
			return
		}
		if err := h.slack.Ephemeral(ctx, ci.Channel, ci.User, h.placeCall(ctx, ci, phone)); err != nil {
			h.log.Warn("test call answer", "err", err)
		}
	}) {
		return Ack{Body: slack.NewErrorsViewSubmissionResponse(map[string]string{"phone": "Your number is saved, but atomsbot is busy: click Call me again in a few seconds."})}
	}
	return Ack{}
}
