package bot

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
)

// injected is text from Atoms or from a user that Slack would act on if it
// reached it raw: a broadcast, a mention, a link and a bare ampersand.
const injected = "<!channel> & <@U123> <!here> <https://evil.example|login>"

// rawMarkers are what must never appear in anything sent to Slack.
var rawMarkers = []string{"<!channel>", "<!here>", "<@U123>", "<https://evil", "& <@", "> & "}

// TestUserAndAgentTextIsEscaped drives every command and the edit modal over
// an agent whose name, draft name, version label, prompt and first message
// are hostile, then checks everything the fake Slack received.
func TestUserAndAgentTextIsEscaped(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		ac := h.atomsClient()
		name := "evil " + injected
		id, err := ac.CreateAgent(ctx, atoms.CreateAgentRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		agent, err := ac.GetAgent(ctx, id, atoms.GetAgentOptions{})
		if err != nil {
			t.Fatal(err)
		}
		label := "label " + injected
		if _, err := ac.UpdateVersion(ctx, id, agent.ActiveVersionID, atoms.VersionMetadata{Label: &label}); err != nil {
			t.Fatal(err)
		}
		d, err := ac.CreateDraft(ctx, id, atoms.CreateDraftRequest{SourceVersionID: agent.ActiveVersionID, DraftName: "draft " + injected})
		if err != nil {
			t.Fatal(err)
		}
		first := "Hello " + injected
		prompt := "You are helpful.\nAlways say " + injected + "\n```\nfence"
		if _, err := ac.UpdateDraftConfig(ctx, id, d.DraftID, atoms.ConfigPatch{FirstMessage: &first,
			SinglePromptConfig: &atoms.SinglePromptConfig{Prompt: prompt, Tools: []atoms.Tool{}}}); err != nil {
			t.Fatal(err)
		}
		quoted := `"` + name + `"`
		for _, text := range []string{
			"agents", "agents evil", "agents " + injected,
			"status " + quoted, "versions " + quoted, "drafts " + quoted, "diff " + quoted,
			`diff ` + quoted + ` "draft ` + injected + `"`, "diff " + quoted + " v1 v1",
			"status " + injected, `status "` + injected + `"`, injected, "help " + injected,
			`diff ` + quoted + ` "` + injected + `"`, "promote " + quoted + ` nope ` + injected,
			"rollback " + quoted + " " + injected, "watch " + quoted, "status " + quoted,
		} {
			rec := h.bot.command(alice, text)
			checkEscaped(t, "ack of /atoms "+text, decodedJSON(t, rec.Body.Bytes()))
		}
		// The edit modal and its confirmation.
		f := h.openEdit(alice, quoted+` "draft `+injected+`"`)
		if f.values["firstMessage"] != first {
			t.Fatalf("form shows %q", f.values["firstMessage"])
		}
		h.submit(alice, f, map[string]string{"firstMessage": "Bye " + injected, "prompt": prompt + "\n<@U123>"})
		if h.state().CountText("edited draft") != 1 {
			t.Fatalf("no edit confirmation:%s", h.dump())
		}

		st := h.state()
		if len(st.Messages) < 15 {
			t.Fatalf("only %d messages: the commands did not answer", len(st.Messages))
		}
		escaped := 0
		for _, m := range st.Messages {
			if strings.Contains(m.Text+decodedJSON(t, m.Blocks), "&lt;!channel&gt;") {
				escaped++
			}
		}
		// The hostile text was shown (escaped) in most answers: the
		// checks look at it rather than at nothing.
		if escaped < 12 {
			t.Errorf("only %d messages show the escaped text:%s", escaped, h.dump())
		}
		h.checkAllSent(t)
	})
}

// checkAllSent checks everything the fake Slack received: messages, views
// (without the inputs' values) and the raw requests.
func (h *harness) checkAllSent(t *testing.T) {
	t.Helper()
	st := h.state()
	for _, m := range st.Messages {
		checkEscaped(t, m.Method+" text", m.Text)
		checkEscaped(t, m.Method+" blocks", decodedJSON(t, m.Blocks))
	}
	for _, v := range st.Views {
		checkEscaped(t, "view", withoutInputValues(t, v.View))
	}
	for _, c := range st.Calls {
		if c.Method == "views.open" || c.Method == "views.update" {
			continue // checked above, without the inputs' values
		}
		checkEscaped(t, c.Method+" request", decodedJSON(t, c.JSON)+strings.Join(c.Form["text"], "")+strings.Join(c.Form["blocks"], ""))
	}
}

// slackSyntax is every "<…>" atomsbot itself writes: user and channel
// mentions of ids, date tokens and links to Slack messages.
var slackSyntax = regexp.MustCompile(`^<(@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!date\^\d+\^[^|<>]*\|[^<>]*|https://slack\.com/archives/[A-Z0-9]+/p\d+\|[^<>]*)>`)

func checkEscaped(t *testing.T, where, s string) {
	t.Helper()
	for _, m := range rawMarkers {
		if i := strings.Index(s, m); i >= 0 {
			t.Errorf("%s: raw %q reaches Slack: …%s…", where, m, s[max(0, i-80):min(len(s), i+80)])
		}
	}
	// Any other "<" is text Slack would parse: a placeholder like <agent>
	// written raw, or user text that escaped escaping.
	for i := strings.IndexByte(s, '<'); i >= 0; {
		if !slackSyntax.MatchString(s[i:]) {
			t.Errorf("%s: raw \"<\" reaches Slack: …%s…", where, s[i:min(len(s), i+60)])
			return
		}
		j := strings.IndexByte(s[i+1:], '<')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

// withoutInputValues drops what inputs hold: an input shows plain text as
// typed (it is not mrkdwn and cannot ping), and escaping it would corrupt the
// value the user saves.
func withoutInputValues(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			delete(x, "initial_value")
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	b, _ := json.Marshal(v)
	return decodedJSON(t, b)
}
