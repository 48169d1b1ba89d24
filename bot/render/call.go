package render

import (
	"strings"

	"github.com/slack-go/slack"
)

// What a Call me button calls.
const (
	CallPromotion = "p" // a promotion's release: CallValue(CallPromotion, promotionID)
	CallDraft     = "d" // a draft: CallValue(CallDraft, agentID, draftID)
)

// CallValue is what a Call me button carries: the kind of target and its ids.
func CallValue(kind string, ids ...string) string {
	return kind + "|" + strings.Join(ids, "|")
}

// ParseCallValue reverses CallValue.
func ParseCallValue(v string) (kind string, ids []string, ok bool) {
	parts := strings.Split(v, "|")
	if len(parts) < 2 {
		return "", nil, false
	}
	for _, p := range parts[1:] {
		if p == "" {
			return "", nil, false
		}
	}
	switch kind, ids = parts[0], parts[1:]; kind {
	case CallPromotion:
		return kind, ids, len(ids) == 1
	case CallDraft:
		return kind, ids, len(ids) == 2
	}
	return "", nil, false
}

// CallBlock is an actions block with a Call me button for value.
func CallBlock(value string) slack.Block {
	return slack.NewActionBlock("call_actions", slack.NewButtonBlockElement(ActionCall, value,
		slack.NewTextBlockObject(slack.PlainTextType, "Call me", false, false)))
}

// ChangePhoneBlock offers to change the number test calls ring.
func ChangePhoneBlock() slack.Block {
	return slack.NewActionBlock("phone_actions", slack.NewButtonBlockElement(ActionChangePhone, "change",
		slack.NewTextBlockObject(slack.PlainTextType, "Change number", false, false)))
}

// MaskPhone shows a phone number with only its country code and its last
// four digits ("+1 ••• ••• 1234"): enough for its owner to recognise it.
func MaskPhone(phone string) string {
	digits := strings.TrimPrefix(phone, "+")
	n := len(digits)
	if n < 7 {
		return "+••• ••• ••••"
	}
	cc := min(max(n-10, 1), 3)
	return "+" + digits[:cc] + " ••• ••• " + digits[n-4:]
}
