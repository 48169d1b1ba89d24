package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
)

// A diff too long for the approval message goes on in its thread; when even
// the thread replies cannot hold it, the full diff goes up there as a file,
// so nothing an approver should read is out of reach.
func TestApprovalDiffTooLongForSlack(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		c, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, RPS: 1e6, Sleep: noSleep})
		if err != nil {
			t.Fatal(err)
		}
		d, err := c.CreateDraft(t.Context(), a.ID, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: "rewrite"})
		if err != nil {
			t.Fatal(err)
		}
		var prompt strings.Builder
		for i := range 3000 {
			fmt.Fprintf(&prompt, "Rule %04d: answer questions about order %04d politely, briefly and in plain words.\n", i, i)
		}
		p := prompt.String()
		if _, err := c.UpdateDraftConfig(t.Context(), a.ID, d.DraftID, atoms.ConfigPatch{
			SinglePromptConfig: &atoms.SinglePromptConfig{Prompt: p, Tools: []atoms.Tool{}},
		}); err != nil {
			t.Fatal(err)
		}
		h.bot.command(alice, "promote support-concierge rewrite")
		m := h.approvalMessage()
		thread := h.state().Thread(testChannel, m.TS)
		if len(thread) < 10 {
			t.Fatalf("the diff did not continue in the thread: %d messages", len(thread))
		}
		var file string
		for _, f := range h.state().Files {
			if f.ThreadTS == m.TS {
				file = string(f.Content)
			}
		}
		if !strings.Contains(file, "Rule 2999") {
			t.Fatalf("no full diff file in the thread (%d files)", len(h.state().Files))
		}
	})
}
