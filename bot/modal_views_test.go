package bot

import (
	"encoding/json"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// modalView is a modal as the fake Slack holds it, decoded for checks.
type modalView struct {
	view     slackfake.View
	meta     string
	submit   string   // the submit button's text
	inputIDs []string // input blocks, in order
	initial  map[string]string
	text     string // the whole view, decoded, for word checks
}

// modalViews are the modals opened so far with callback id callback, oldest
// first.
func (h *harness) modalViews(callback string) []modalView {
	h.t.Helper()
	var out []modalView
	for _, v := range h.state().Views {
		var raw struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
			Submit          struct {
				Text string `json:"text"`
			} `json:"submit"`
			Blocks []struct {
				Type    string `json:"type"`
				BlockID string `json:"block_id"`
				Element struct {
					InitialValue string `json:"initial_value"`
				} `json:"element"`
			} `json:"blocks"`
		}
		if err := json.Unmarshal(v.View, &raw); err != nil {
			h.t.Fatal(err)
		}
		if raw.CallbackID != callback {
			continue
		}
		m := modalView{view: v, meta: raw.PrivateMetadata, submit: raw.Submit.Text, initial: map[string]string{}, text: decodedJSON(h.t, v.View)}
		for _, b := range raw.Blocks {
			if b.Type == "input" {
				m.inputIDs = append(m.inputIDs, b.BlockID)
				m.initial[b.BlockID] = b.Element.InitialValue
			}
		}
		out = append(out, m)
	}
	return out
}
