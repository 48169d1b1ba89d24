package bot

import (
	"encoding/json"
	"strings"
	"testing"
)

// Every message has a plain-text fallback: where blocks are not shown
// (notifications, clients without Block Kit, a reader of the text field),
// the text must carry what the answer says, not only its title.
func TestTextFallbackCarriesTheAnswer(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		draft := a.Drafts[0]
		tests := []struct {
			name, text string
			want       []string
		}{
			{"help", "help", []string{"/atoms promote", "/atoms rollback", "/atoms watch"}},
			{"unknown subcommand gets the usage", "frobnicate", []string{"frobnicate", "/atoms promote", "/atoms rollback", "/atoms watch"}},
			{"agents", "agents", []string{"support-concierge", "clinic-scheduler", "payment-reminders", "solar-lead-qualifier"}},
			{"status", "status " + demoAgent, []string{"v3", "Refund policy update", "No promotion in flight"}},
			{"versions", "versions " + demoAgent, []string{"v3", "v2", "v1", "active"}},
			{"drafts", "drafts " + demoAgent, []string{"Refund policy update", draft.DraftID}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				got := h.replyText(tt.text)
				for _, w := range tt.want {
					if !strings.Contains(got, w) {
						t.Errorf("/atoms %s: text fallback lacks %q:\n%s", tt.text, w, got)
					}
				}
			})
		}
	})
}

// replyText runs `/atoms text` as alice and returns the text field of the
// answer: the ack's when the ack answered, else the newest message shown to
// her only.
func (h *harness) replyText(text string) string {
	h.t.Helper()
	before := len(h.ephemeralTo(alice))
	rec := h.bot.command(alice, text)
	if rec.Code != 200 {
		h.t.Fatalf("%q: status %d: %s", text, rec.Code, rec.Body)
	}
	if all := h.ephemeralTo(alice); len(all) > before {
		return all[len(all)-1]
	}
	var ack struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ack); err != nil {
		h.t.Fatalf("%q: no answer: %v (%q)", text, err, rec.Body)
	}
	return ack.Text
}
