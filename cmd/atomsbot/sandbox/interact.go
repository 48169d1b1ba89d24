package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// troubleText is what Slack's client says when a modal submission gets an
// answer it cannot use.
const troubleText = "We had some trouble connecting. Try again?"

func responseTarget(channel, user, ts string) slackfake.ResponseTarget {
	return slackfake.ResponseTarget{Channel: channel, User: user, MessageTS: ts}
}

func (p *Page) userObject(u User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": teamID}
}

// actionTS is an action_ts: the click's time in Slack's seconds.micros form.
func (p *Page) actionTS() string {
	us := p.o.Now().UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

type actionRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// Block is the index of the block in the message; Element the index of
	// the element in an actions block, or -1 for a section's accessory.
	Block   int `json:"block"`
	Element int `json:"element"`
	// Selected is the chosen option's value, for a select.
	Selected string `json:"selected,omitempty"`
}

// action sends a click on a message's button (or a choice in its select) as
// a block_actions payload. The element is looked up in the message as the
// bot posted it, so value, action_id and block_id are the bot's own.
func (p *Page) action(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	u, ok := p.userRequest(w, r, &req)
	if !ok {
		return
	}
	m, ok := p.o.Slack.Snapshot().Find(req.Channel, req.TS)
	if !ok || m.Deleted || (m.Ephemeral && m.User != u.ID) {
		writeJSON(w, http.StatusNotFound, answer{Error: "no such message"})
		return
	}
	act, err := findAction(m.Blocks, req)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, answer{Error: err.Error()})
		return
	}
	act["action_ts"] = p.actionTS()
	message := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "blocks": m.Blocks}
	if m.ThreadTS != "" {
		message["thread_ts"] = m.ThreadTS
	}
	payload := map[string]any{
		"type":       "block_actions",
		"team":       map[string]any{"id": teamID, "domain": teamDomain},
		"user":       p.userObject(u),
		"api_app_id": appID,
		"token":      "sandbox-verification-token",
		"container": map[string]any{
			"type": "message", "message_ts": m.TS, "channel_id": m.Channel, "is_ephemeral": m.Ephemeral,
		},
		"trigger_id":            p.o.Slack.IssueTrigger(u.ID),
		"channel":               map[string]any{"id": m.Channel, "name": p.o.Channel.Name},
		"message":               message,
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          p.o.Slack.NewResponseURLFor(responseTarget(m.Channel, u.ID, m.TS)),
		"actions":               []any{act},
		"is_enterprise_install": false,
	}
	a, err := p.interact(r.Context(), payload)
	if err != nil || a.status != http.StatusOK {
		writeJSON(w, http.StatusOK, answer{Error: failed("The action", err, a)})
		return
	}
	writeJSON(w, http.StatusOK, answer{OK: true}) // Slack ignores a block_actions ack's body
}

// findAction returns the actions[] entry Slack sends for the element.
func findAction(blocks json.RawMessage, req actionRequest) (map[string]any, error) {
	var bs []map[string]any
	if err := json.Unmarshal(blocks, &bs); err != nil || req.Block < 0 || req.Block >= len(bs) {
		return nil, fmt.Errorf("the message has no block %d", req.Block)
	}
	b := bs[req.Block]
	var el map[string]any
	if req.Element < 0 {
		el, _ = b["accessory"].(map[string]any)
	} else if els, _ := b["elements"].([]any); req.Element < len(els) {
		el, _ = els[req.Element].(map[string]any)
	}
	if el == nil {
		return nil, fmt.Errorf("block %d has no element %d", req.Block, req.Element)
	}
	typ, _ := el["type"].(string)
	blockID, _ := b["block_id"].(string)
	act := map[string]any{"type": typ, "action_id": el["action_id"], "block_id": blockID}
	switch typ {
	case "button":
		act["text"] = el["text"]
		act["value"] = el["value"]
		if s, ok := el["style"]; ok {
			act["style"] = s
		}
	case "static_select":
		opt := findOption(el, req.Selected)
		if opt == nil {
			return nil, fmt.Errorf("%q is not an option of that select", req.Selected)
		}
		act["selected_option"] = opt
	default:
		return nil, fmt.Errorf("the sandbox cannot use a %q element", typ)
	}
	return act, nil
}

// findOption returns the option of a select with this value, nil if none.
func findOption(el map[string]any, value string) map[string]any {
	opts, _ := el["options"].([]any)
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return om
		}
	}
	return nil
}

type submitRequest struct {
	User   string `json:"user"`
	ViewID string `json:"view_id"`
	// Values are the inputs' values by block_id: the text, or a select's
	// chosen option value ("" for none).
	Values map[string]string `json:"values"`
}

// openView finds the view on user's stack.
func (p *Page) openView(user, id string) (slackfake.View, []slackfake.View, bool) {
	stack := p.o.Slack.ViewStack(user)
	i := slices.IndexFunc(stack, func(v slackfake.View) bool { return v.ID == id })
	if i < 0 {
		return slackfake.View{}, nil, false
	}
	return stack[i], stack, true
}

// submit sends a modal's values as a view_submission and applies the
// answer: an empty 200 closes the modal, response_action errors shows them
// under the inputs, clear closes the stack, update replaces the view.
func (p *Page) submit(w http.ResponseWriter, r *http.Request) {
	var req submitRequest
	u, ok := p.userRequest(w, r, &req)
	if !ok {
		return
	}
	v, stack, ok := p.openView(u.ID, req.ViewID)
	if !ok {
		writeJSON(w, http.StatusNotFound, answer{Error: "that modal is not open"})
		return
	}
	view, inputs, err := viewObject(v, stack)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, answer{Error: err.Error()})
		return
	}
	values, missing, err := stateValues(inputs, req.Values)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, answer{Error: err.Error()})
		return
	}
	if len(missing) > 0 {
		// Slack's client refuses to send a form with empty required fields.
		writeJSON(w, http.StatusOK, answer{Errors: missing})
		return
	}
	view["state"] = map[string]any{"values": values}
	payload := map[string]any{
		"type": "view_submission", "team": map[string]any{"id": teamID, "domain": teamDomain},
		"user": p.userObject(u), "api_app_id": appID, "token": "sandbox-verification-token",
		"trigger_id": p.o.Slack.IssueTrigger(u.ID), "view": view, "response_urls": []any{},
		"is_enterprise_install": false,
	}
	a, err := p.interact(r.Context(), payload)
	if err != nil || a.status != http.StatusOK {
		p.o.Logger.Info("sandbox: submission not accepted", "detail", failed("The submission", err, a))
		writeJSON(w, http.StatusOK, answer{Error: troubleText})
		return
	}
	writeJSON(w, http.StatusOK, p.applySubmissionAck(u, v, stack, inputs, a.body))
}

func (p *Page) applySubmissionAck(u User, v slackfake.View, stack []slackfake.View, inputs []input, body []byte) answer {
	if len(body) == 0 {
		p.o.Slack.CloseView(u.ID, v.ID)
		return answer{OK: true, Closed: true}
	}
	var ack struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if err := json.Unmarshal(body, &ack); err != nil {
		return answer{Error: troubleText}
	}
	switch ack.ResponseAction {
	case "errors":
		// Keys must be input block_ids; Slack shows its generic failure
		// otherwise.
		for k := range ack.Errors {
			if !slices.ContainsFunc(inputs, func(in input) bool { return in.blockID == k }) {
				return answer{Error: troubleText}
			}
		}
		return answer{Errors: ack.Errors}
	case "clear":
		p.o.Slack.CloseView(u.ID, stack[0].ID)
		return answer{OK: true, Closed: true}
	case "update":
		if _, err := p.o.Slack.ReplaceView(v.ID, ack.View); err != nil {
			return answer{Error: troubleText}
		}
		return answer{OK: true, Updated: true}
	}
	// push is not emulated; any other body is what Slack cannot use.
	return answer{Error: troubleText}
}

type closeRequest struct {
	User   string `json:"user"`
	ViewID string `json:"view_id"`
}

// closeView closes a modal from its Cancel button or ×, telling the bot
// (view_closed) only when the view asked for it with notify_on_close.
func (p *Page) closeView(w http.ResponseWriter, r *http.Request) {
	var req closeRequest
	u, ok := p.userRequest(w, r, &req)
	if !ok {
		return
	}
	v, stack, ok := p.openView(u.ID, req.ViewID)
	if !ok {
		writeJSON(w, http.StatusOK, answer{OK: true, Closed: true})
		return
	}
	view, _, err := viewObject(v, stack)
	if err == nil && view["notify_on_close"] == true {
		payload := map[string]any{
			"type": "view_closed", "team": map[string]any{"id": teamID, "domain": teamDomain},
			"user": p.userObject(u), "api_app_id": appID, "view": view, "is_cleared": false,
		}
		if a, err := p.interact(r.Context(), payload); err != nil || a.status != http.StatusOK {
			p.o.Logger.Info("sandbox: view_closed not accepted", "detail", failed("view_closed", err, a))
		}
	}
	p.o.Slack.CloseView(u.ID, v.ID)
	writeJSON(w, http.StatusOK, answer{OK: true, Closed: true})
}
