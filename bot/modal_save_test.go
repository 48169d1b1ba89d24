package bot

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

func TestEditSaveFirstMessage(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, "support-concierge")
		draftID, _ := h.newestDraft(a.ID)
		msg := "Hi, Northwind Home here — how can I help? <!channel> & co"
		rec := h.submit(alice, f, map[string]string{"firstMessage": msg})
		if rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("valid submission ack = %d %q (want an empty 200 that closes the modal)", rec.Code, rec.Body)
		}
		ps := h.patches()
		if len(ps) != 1 || !reflect.DeepEqual(patchKeys(ps[0]), []string{"firstMessage"}) {
			t.Fatalf("PATCHes = %v, want one with firstMessage only", ps)
		}
		_, cfg := h.newestDraft(a.ID)
		if cfg["firstMessage"] != msg {
			t.Errorf("draft firstMessage = %q", cfg["firstMessage"])
		}
		// The values were read back after the PATCH (the API does not echo them).
		calls := h.sim.Calls()
		patchAt := slices.IndexFunc(calls, func(c atomsim.Call) bool { return c.Method == "PATCH" })
		readBack := slices.ContainsFunc(calls[patchAt+1:], func(c atomsim.Call) bool {
			return c.Method == "GET" && c.Path == "/agent/"+a.ID && c.Query.Get("draftId") == draftID
		})
		if !readBack {
			t.Errorf("no GET of the draft after the PATCH")
		}
		// A confirmation with the diff against the active version, in the channel.
		var conf []slackfake.Message
		for _, m := range h.state().ChannelMessages(testChannel) {
			if strings.Contains(m.Text, "edited draft") {
				conf = append(conf, m)
			}
		}
		if len(conf) != 1 {
			t.Fatalf("%d confirmations:%s", len(conf), h.dump())
		}
		blocks := decodedJSON(t, conf[0].Blocks)
		for _, w := range []string{"<@UALICE> edited draft", "*support-concierge*", "`firstMessage`", "Draft vs the active version", "Call handling",
			"&lt;!channel&gt; &amp; co"} {
			if !strings.Contains(blocks, w) {
				t.Errorf("confirmation lacks %q: %s", w, blocks)
			}
		}
		if strings.Contains(blocks, "<!channel>") || strings.Contains(conf[0].Text, "<!channel>") {
			t.Errorf("confirmation pings the channel: %s", blocks)
		}
		// The form is spent: submitting it again is refused in the modal.
		rec = h.submit(alice, f, map[string]string{"firstMessage": "again"})
		if !strings.Contains(rec.Body.String(), `"response_action":"update"`) || !strings.Contains(rec.Body.String(), "expired") {
			t.Errorf("second submission ack = %s", rec.Body)
		}
		if len(h.patches()) != 1 {
			t.Errorf("the spent form patched again")
		}
	})
}

func TestEditSavePromptKeepsTools(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, "support-concierge")
		_, before := h.newestDraft(a.ID)
		prompt := f.values["prompt"] + "\nNever promise a refund before checking the order."
		if rec := h.submit(alice, f, map[string]string{"prompt": prompt, "voiceId": "arman", "slmModel": "gpt-4o"}); rec.Body.Len() != 0 {
			t.Fatalf("ack %s", rec.Body)
		}
		ps := h.patches()
		if len(ps) != 1 || !reflect.DeepEqual(patchKeys(ps[0]), []string{"singlePromptConfig", "slmModel", "synthesizer"}) {
			t.Fatalf("PATCH = %v", ps)
		}
		var sent struct {
			Prompt string            `json:"prompt"`
			Tools  []json.RawMessage `json:"tools"`
		}
		if err := json.Unmarshal(ps[0]["singlePromptConfig"], &sent); err != nil {
			t.Fatal(err)
		}
		wantTools, _ := json.Marshal(promptConfig(before)["tools"])
		gotTools, _ := json.Marshal(sent.Tools)
		if sent.Prompt != prompt || !jsonEqual(t, gotTools, wantTools) || len(sent.Tools) == 0 {
			t.Errorf("singlePromptConfig sent %s, want the prompt with the tools unchanged %s", ps[0]["singlePromptConfig"], wantTools)
		}
		if string(ps[0]["synthesizer"]) != `{"voiceConfig":{"voiceId":"arman"}}` {
			t.Errorf("synthesizer sent %s", ps[0]["synthesizer"])
		}
		_, after := h.newestDraft(a.ID)
		afterTools, _ := json.Marshal(promptConfig(after)["tools"])
		if promptConfig(after)["prompt"] != prompt || !jsonEqual(t, afterTools, wantTools) || voiceOf(after) != "arman" || after["slmModel"] != "gpt-4o" {
			t.Errorf("draft after the edit: prompt ok=%v tools ok=%v voice %q model %v", promptConfig(after)["prompt"] == prompt, jsonEqual(t, afterTools, wantTools), voiceOf(after), after["slmModel"])
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func TestEditWorkflowGraphPromptIsGlobalPrompt(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent("solar-lead-qualifier")
		f := h.openEdit(alice, "solar-lead-qualifier")
		_, cfg := h.newestDraft(a.ID)
		if f.values["prompt"] != cfg["globalPrompt"] || f.values["prompt"] == "" {
			t.Fatalf("prompt input shows %q, want the globalPrompt", f.values["prompt"])
		}
		prompt := f.values["prompt"] + "\nSpeak Spanish when the caller does."
		h.submit(alice, f, map[string]string{"prompt": prompt})
		ps := h.patches()
		if len(ps) != 1 || !reflect.DeepEqual(patchKeys(ps[0]), []string{"globalPrompt"}) {
			t.Fatalf("PATCH = %v, want globalPrompt only", ps)
		}
		if _, after := h.newestDraft(a.ID); after["globalPrompt"] != prompt {
			t.Errorf("globalPrompt not saved")
		}
		if n := h.state().CountText("edited draft"); n != 1 {
			t.Errorf("%d confirmations", n)
		}
	})
}

// TestEditConcurrentEditRefused: someone edits the draft between opening and
// submitting the form; the submission must not overwrite their change.
func TestEditConcurrentEditRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, `support-concierge "Refund policy update"`)
		theirs := "Their greeting, saved first"
		draftID := a.Drafts[0].DraftID
		if _, err := h.atomsClient().UpdateDraftConfig(context.Background(), a.ID, draftID, atoms.ConfigPatch{FirstMessage: &theirs}); err != nil {
			t.Fatal(err)
		}
		mine := "My greeting, which would overwrite theirs"
		rec := h.submit(alice, f, map[string]string{"firstMessage": mine, "voiceId": "arman"})
		if rec.Code != 200 {
			t.Fatalf("ack %d", rec.Code)
		}
		if n := len(h.patches()); n != 1 { // the test's own
			t.Fatalf("%d PATCHes: the stale form was saved", n)
		}
		cfg, _ := h.sim.Config(a.ID, draftID)
		if cfg["firstMessage"] != theirs || voiceOf(cfg) == "arman" {
			t.Fatalf("their change was overwritten: %v / %s", cfg["firstMessage"], voiceOf(cfg))
		}
		got := h.lastEphemeral(alice)
		for _, w := range []string{"Someone else edited draft “Refund policy update”", "Nothing was saved", "not overwritten",
			"/atoms edit support-concierge " + draftID, mine} {
			if !strings.Contains(got, w) {
				t.Errorf("refusal lacks %q: %s", w, got)
			}
		}
		if h.state().CountText("edited draft") != 0 {
			t.Errorf("a refused edit was announced")
		}
		h.checkAllSent(t)
	})
}

func TestEditExpiredSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, "support-concierge")
		if b.Mini != nil {
			b.Mini.FastForward(h.bot.handler.cfg.SessionTTL + 1) // Redis expiry
		} else {
			// A real Redis expires on its own clock; forgetting the key is
			// what expiry does.
			if err := h.bot.store.DeleteSession(context.Background(), f.meta); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := h.bot.store.Session(context.Background(), f.meta); err == nil {
			t.Fatal("session still there")
		}
		rec := h.submit(alice, f, map[string]string{"firstMessage": "too late"})
		var body struct {
			ResponseAction string `json:"response_action"`
			View           struct {
				Type   string            `json:"type"`
				Blocks []json.RawMessage `json:"blocks"`
			} `json:"view"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ResponseAction != "update" || body.View.Type != "modal" {
			t.Fatalf("ack = %s", rec.Body)
		}
		if !strings.Contains(rec.Body.String(), "This form expired") || !strings.Contains(rec.Body.String(), "nothing was saved") {
			t.Errorf("the modal does not say the form expired: %s", rec.Body)
		}
		if n := len(h.patches()); n != 0 {
			t.Errorf("an expired form patched %d times", n)
		}
		checkEscaped(t, "expired view", decodedJSON(t, rec.Body.Bytes()))
	})
}

func TestEditNoChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, `support-concierge "Refund policy update"`)
		h.submit(alice, f, nil)
		if got := h.lastEphemeral(alice); !strings.Contains(got, "No changes to save in draft “Refund policy update”") {
			t.Errorf("answer = %q", got)
		}
		if len(h.patches()) != 0 {
			t.Errorf("an unchanged form was saved")
		}
	})
}

// TestEditLongPromptNotEditable: a prompt longer than a Slack input holds is
// shown as a note, and saving the other fields leaves it alone.
func TestEditLongPromptNotEditable(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent("clinic-scheduler")
		ac := h.atomsClient()
		ctx := context.Background()
		d, err := ac.CreateDraft(ctx, a.ID, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: "long"})
		if err != nil {
			t.Fatal(err)
		}
		cur, err := ac.GetAgent(ctx, a.ID, atoms.GetAgentOptions{DraftID: d.DraftID})
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("Ask one question at a time. ", 120) // 3360 characters
		if _, err := ac.UpdateDraftConfig(ctx, a.ID, d.DraftID, atoms.ConfigPatch{SinglePromptConfig: &atoms.SinglePromptConfig{Prompt: long, Tools: cur.ResolvedConfig.Tools}}); err != nil {
			t.Fatal(err)
		}
		h.sim.ResetCalls()
		f := h.openEdit(alice, "clinic-scheduler long")
		if slices.Contains(f.blockIDs, "prompt") {
			t.Fatalf("a %d-character prompt is an input", len(long))
		}
		if !strings.Contains(f.notes, "The prompt is 3360 characters, more than a Slack form holds (3000)") {
			t.Errorf("no note about the prompt: %q", f.notes)
		}
		h.submit(alice, f, map[string]string{"firstMessage": "Hello!"})
		ps := h.patches()
		if len(ps) != 1 || !reflect.DeepEqual(patchKeys(ps[0]), []string{"firstMessage"}) {
			t.Fatalf("PATCH = %v", ps)
		}
		cfg, _ := h.sim.Config(a.ID, d.DraftID)
		if promptConfig(cfg)["prompt"] != long || cfg["firstMessage"] != "Hello!" {
			t.Errorf("prompt kept %v, firstMessage %v", promptConfig(cfg)["prompt"] == long, cfg["firstMessage"])
		}
	})
}

// TestEditDoubleSubmitSavesOnce: a retried delivery of the same submission
// (same view and hash) is saved once.
func TestEditDoubleSubmitSavesOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, "support-concierge")
		h.submit(alice, f, map[string]string{"firstMessage": "once"})
		h.submit(alice, f, map[string]string{"firstMessage": "once"})
		if n := len(h.patches()); n != 1 {
			t.Errorf("%d PATCHes", n)
		}
		if n := h.state().CountText("edited draft"); n != 1 {
			t.Errorf("%d confirmations", n)
		}
	})
}

func TestEditClosedForgetsSession(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, "support-concierge")
		if _, err := h.bot.store.Session(context.Background(), f.meta); err != nil {
			t.Fatalf("no session while the form is open: %v", err)
		}
		h.bot.interact(map[string]any{"type": "view_closed", "user": map[string]any{"id": alice},
			"view": map[string]any{"id": f.view.ID, "callback_id": EditCallbackID, "private_metadata": f.meta}})
		if _, err := h.bot.store.Session(context.Background(), f.meta); err == nil {
			t.Errorf("session kept after the form was closed")
		}
	})
}

// TestEditFormBelongsToItsUser: a submission naming another user's session
// is refused.
func TestEditFormBelongsToItsUser(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, "support-concierge")
		rec := h.submit(bob, f, map[string]string{"firstMessage": "bob's"})
		if !strings.Contains(rec.Body.String(), `"response_action":"update"`) || !strings.Contains(rec.Body.String(), "nothing was saved") {
			t.Errorf("ack = %s", rec.Body)
		}
		if len(h.patches()) != 0 {
			t.Errorf("saved")
		}
	})
}
