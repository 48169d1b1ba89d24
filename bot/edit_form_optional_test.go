package bot

import (
	"testing"

	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// The form is pre-filled with the draft's current values. A field the draft
// has no value for cannot be required: Slack would refuse to submit the
// form until the user invents one, so editing the prompt of an agent
// without a voice id or model would change those too.
func TestEditFormRequiresNoValueTheDraftLacks(t *testing.T) {
	tests := []struct {
		name     string
		values   map[string]string
		optional map[string]bool
	}{
		{"every value set", map[string]string{"prompt": "p", "firstMessage": "hi", "voiceId": "nyah", "slmModel": "electron"},
			map[string]bool{"prompt": false, "firstMessage": true, "voiceId": false, "slmModel": false}},
		{"no voice id, no model", map[string]string{"prompt": "p", "firstMessage": "hi", "voiceId": "", "slmModel": ""},
			map[string]bool{"prompt": false, "firstMessage": true, "voiceId": true, "slmModel": true}},
		{"nothing set", map[string]string{"prompt": "", "firstMessage": "", "voiceId": "", "slmModel": ""},
			map[string]bool{"prompt": true, "firstMessage": true, "voiceId": true, "slmModel": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sess := state.EditSession{ID: "es_1", AgentName: "a", DraftID: "d", Original: tt.values}
			v := editView(sess, tt.values, false)
			seen := 0
			for _, b := range v.Blocks.BlockSet {
				in, ok := b.(*slack.InputBlock)
				if !ok {
					continue
				}
				seen++
				if in.Optional != tt.optional[in.BlockID] {
					t.Errorf("%s: optional = %v, want %v", in.BlockID, in.Optional, tt.optional[in.BlockID])
				}
			}
			if seen != len(tt.optional) {
				t.Errorf("%d inputs, want %d", seen, len(tt.optional))
			}
		})
	}
}
