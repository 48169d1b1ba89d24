package bot

import (
	"strings"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// rejectForm is a Reject form as the fake Slack holds it.
type rejectForm struct {
	view   slackfake.View
	meta   string
	submit string
	text   string // the whole view, decoded, for word checks
}

// rejectForms are the Reject forms opened for user, oldest first.
func (h *harness) rejectForms(user string) []rejectForm {
	h.t.Helper()
	var out []rejectForm
	for _, m := range h.modalViews(RejectCallbackID) {
		if m.view.UserID == "" || m.view.UserID == user {
			out = append(out, rejectForm{view: m.view, meta: m.meta, submit: m.submit, text: m.text})
		}
	}
	return out
}

// submitReject submits f as user with reason.
func (r *replica) submitReject(user string, f rejectForm, reason string) {
	r.h.t.Helper()
	view := map[string]any{"id": f.view.ID, "type": "modal", "callback_id": RejectCallbackID, "private_metadata": f.meta,
		"hash": f.view.Hash, "state": map[string]any{"values": map[string]any{
			"reason": map[string]any{inputAction: map[string]any{"type": "plain_text_input", "value": reason}},
		}}}
	rec := r.interact(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team": map[string]any{"id": "T1"}, "trigger_id": r.h.slack.IssueTrigger(user), "view": view,
	})
	if rec.Code != 200 || rec.Body.Len() != 0 {
		r.h.t.Fatalf("reject submission: %d %q, want an empty 200 (the form closes)", rec.Code, rec.Body)
	}
}

// reject clicks Reject on the request at ts as user and submits the form
// that opens with reason.
func (r *replica) reject(user, ts, reason string) {
	r.h.t.Helper()
	before := len(r.h.rejectForms(user))
	r.click(user, ts, render.ActionReject, buttonValue(r.h.t, r.h.approvalMessageAt(ts), render.ActionReject))
	forms := r.h.rejectForms(user)
	if len(forms) != before+1 {
		r.h.t.Fatalf("Reject opened %d forms, want 1:%s", len(forms)-before, r.h.dump())
	}
	r.submitReject(user, forms[len(forms)-1], reason)
}
