package sandbox

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// input is an input block of a modal.
type input struct {
	blockID  string
	actionID string
	typ      string // element type: plain_text_input, static_select…
	optional bool
	el       map[string]any
}

// blockIDOf is a block's block_id, or the one the page uses for a block
// without one ("b<index>"; Slack would generate a random one).
func blockIDOf(b map[string]any, i int) string {
	if id, ok := b["block_id"].(string); ok && id != "" {
		return id
	}
	return "b" + strconv.Itoa(i)
}

// viewObject is the view as Slack puts it in an interaction payload: the
// view as the bot last sent it plus the fields Slack adds. It also returns
// the view's input blocks.
func viewObject(v slackfake.View, stack []slackfake.View) (map[string]any, []input, error) {
	var view map[string]any
	if err := json.Unmarshal(v.View, &view); err != nil {
		return nil, nil, fmt.Errorf("sandbox: stored view %s: %w", v.ID, err)
	}
	view["id"] = v.ID
	view["team_id"] = teamID
	view["app_id"] = appID
	view["app_installed_team_id"] = teamID
	view["hash"] = v.Hash
	view["root_view_id"] = stack[0].ID
	view["previous_view_id"] = nil
	if v.PreviousViewID != "" {
		view["previous_view_id"] = v.PreviousViewID
	}
	view["external_id"] = v.ExternalID
	for _, k := range []string{"private_metadata", "callback_id"} {
		if _, ok := view[k]; !ok {
			view[k] = ""
		}
	}
	blocks, _ := view["blocks"].([]any)
	var inputs []input
	for i, x := range blocks {
		b, ok := x.(map[string]any)
		if !ok || b["type"] != "input" {
			continue
		}
		el, _ := b["element"].(map[string]any)
		if el == nil {
			continue
		}
		typ, _ := el["type"].(string)
		aid, _ := el["action_id"].(string)
		opt, _ := b["optional"].(bool)
		inputs = append(inputs, input{blockID: blockIDOf(b, i), actionID: aid, typ: typ, optional: opt, el: el})
	}
	return view, inputs, nil
}

// requiredText is what Slack's client says under an empty required input.
const requiredText = "Please complete this required field."

// stateValues builds view.state.values from the page's values, in Slack's
// shape: block_id → action_id → {type, value | selected_option}. Checks the
// client makes before sending (required fields, min_length) come back as
// field errors; a value for something that is not an input, or a choice
// that is not an option, is an error.
func stateValues(inputs []input, given map[string]string) (map[string]any, map[string]string, error) {
	known := map[string]bool{}
	values := map[string]any{}
	missing := map[string]string{}
	for _, in := range inputs {
		known[in.blockID] = true
		v := given[in.blockID]
		entry := map[string]any{"type": in.typ}
		switch in.typ {
		case "static_select":
			entry["selected_option"] = nil
			if v != "" {
				opt := findOption(in.el, v)
				if opt == nil {
					return nil, nil, fmt.Errorf("%q is not an option of %s", v, in.blockID)
				}
				entry["selected_option"] = opt
			}
		default:
			entry["value"] = nil
			if v != "" {
				entry["value"] = v
			}
			if n, ok := in.el["min_length"].(float64); ok && v != "" && utf8.RuneCountInString(v) < int(n) {
				missing[in.blockID] = fmt.Sprintf("Please enter at least %d characters.", int(n))
			}
		}
		if v == "" && !in.optional {
			missing[in.blockID] = requiredText
		}
		values[in.blockID] = map[string]any{in.actionID: entry}
	}
	for k := range given {
		if !known[k] {
			return nil, nil, fmt.Errorf("%q is not an input of this modal", k)
		}
	}
	return values, missing, nil
}
