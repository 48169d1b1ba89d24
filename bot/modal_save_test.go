package bot

import (
	"context"
	"encoding/json"
	"maps"
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
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Fatalf("opening the form created %d drafts", n)
		}
		active, _ := h.sim.Config(a.ID, a.ActiveVersionID)
		msg := "Hi, Northwind Home here — how can I help? <!channel> & co"
		rec := h.submit(alice, f, map[string]string{"firstMessage": msg})
		if rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("valid submission ack = %d %q (want an empty 200 that closes the modal)", rec.Code, rec.Body)
		}
		// Saving started the draft: one fork of the active version, named
		// after who and when…
		draftID, d := h.startedDraft(a, "alice-2026-11-02-0900")
		// …then one PATCH of the changed field, on that draft.
		ps := h.patches()
		if len(ps) != 1 || !reflect.DeepEqual(patchKeys(ps[0]), []string{"firstMessage"}) {
			t.Fatalf("PATCHes = %v, want one with firstMessage only", ps)
		}
		calls := h.sim.Calls()
		forkAt := slices.IndexFunc(calls, func(c atomsim.Call) bool { return c.Method == "POST" && c.Path == "/agent/"+a.ID+"/drafts" })
		patchAt := slices.IndexFunc(calls, func(c atomsim.Call) bool { return c.Method == "PATCH" })
		if forkAt < 0 || patchAt < forkAt || calls[patchAt].Path != "/agent/"+a.ID+"/drafts/"+draftID+"/config" {
			t.Fatalf("fork at call #%d, PATCH at call #%d, want the PATCH of the new draft %s after the fork", forkAt, patchAt, draftID)
		}
		if d["firstMessage"] != msg {
			t.Errorf("draft firstMessage = %q", d["firstMessage"])
		}
		if promptConfig(d)["prompt"] != promptConfig(active)["prompt"] || voiceOf(d) != voiceOf(active) || d["slmModel"] != active["slmModel"] {
			t.Errorf("the fields not changed differ from the active version's")
		}
		// The values were read back after the PATCH (the API does not echo them).
		after := calls[patchAt+1:]
		readDraft := slices.ContainsFunc(after, func(c atomsim.Call) bool {
			return c.Method == "GET" && c.Path == "/agent/"+a.ID+"/drafts/"+draftID
		})
		readBack := slices.ContainsFunc(after, func(c atomsim.Call) bool {
			return c.Method == "GET" && c.Path == "/agent/"+a.ID && c.Query.Get("draftId") == draftID
		})
		if !readDraft || !readBack {
			t.Errorf("after the PATCH: GET of the draft %v, GET of its values %v; want both", readDraft, readBack)
		}
		// A confirmation with the diff against the active version, in the channel.
		var conf []slackfake.Message
		for _, m := range h.state().ChannelMessages(testChannel) {
			if strings.Contains(m.Text, "started draft") {
				conf = append(conf, m)
			}
		}
		if len(conf) != 1 {
			t.Fatalf("%d confirmations:%s", len(conf), h.dump())
		}
		blocks := decodedJSON(t, conf[0].Blocks)
		for _, w := range []string{"<@UALICE> started draft “alice-2026-11-02-0900”", "*support-concierge*", "`firstMessage`", "Draft vs the active version", "Call handling",
			"&lt;!channel&gt; &amp; co"} {
			if !strings.Contains(blocks, w) {
				t.Errorf("confirmation lacks %q: %s", w, blocks)
			}
		}
		if strings.Contains(blocks, "<!channel>") || strings.Contains(conf[0].Text, "<!channel>") {
			t.Errorf("confirmation pings the channel: %s", blocks)
		}
		if n := h.state().CountText("edited draft"); n != 0 {
			t.Errorf("a new draft was announced as edited (%d)", n)
		}
		// The form is spent: submitting it again is refused in the modal.
		rec = h.submit(alice, f, map[string]string{"firstMessage": "again"})
		if !strings.Contains(rec.Body.String(), `"response_action":"update"`) || !strings.Contains(rec.Body.String(), "expired") {
			t.Errorf("second submission ack = %s", rec.Body)
		}
		if len(h.patches()) != 1 || h.sim.CountCalls("POST", "/agent/*/drafts") != 1 {
			t.Errorf("the spent form saved again")
		}
	})
}

// startedDraft is the draft a save of a form that named none started: the
// only fork since the agent was seeded, of its active version, under name.
// It returns the draft's id and config.
func (h *harness) startedDraft(a atomsim.AgentInfo, name string) (string, map[string]any) {
	h.t.Helper()
	if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 1 {
		h.t.Fatalf("%d drafts created, want 1", n)
	}
	for _, c := range h.sim.Calls() {
		if c.Method != "POST" || c.Path != "/agent/"+a.ID+"/drafts" {
			continue
		}
		var req atoms.CreateDraftRequest
		if err := json.Unmarshal(c.Body, &req); err != nil || req != (atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: name}) {
			h.t.Fatalf("draft created with %s (%v), want it named %q from the active version %s", c.Body, err, name, a.ActiveVersionID)
		}
	}
	ds := h.live(a.ID).Drafts
	if len(ds) != len(a.Drafts)+1 {
		h.t.Fatalf("drafts %+v, want one more than %+v", ds, a.Drafts)
	}
	d := ds[len(ds)-1]
	if d.Name != name || d.SourceVersionID != a.ActiveVersionID {
		h.t.Fatalf("new draft %+v, want %q from the active version %s", d, name, a.ActiveVersionID)
	}
	cfg, _ := h.sim.Config(a.ID, d.DraftID)
	return d.DraftID, cfg
}

func TestEditSavePromptKeepsTools(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, "support-concierge")
		before, _ := h.sim.Config(a.ID, a.ActiveVersionID) // the form shows the active version
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
		_, after := h.startedDraft(a, "alice-2026-11-02-0900")
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
		cfg, _ := h.sim.Config(a.ID, a.ActiveVersionID)
		if f.values["prompt"] != cfg["globalPrompt"] || f.values["prompt"] == "" {
			t.Fatalf("prompt input shows %q, want the globalPrompt", f.values["prompt"])
		}
		prompt := f.values["prompt"] + "\nSpeak Spanish when the caller does."
		h.submit(alice, f, map[string]string{"prompt": prompt})
		ps := h.patches()
		if len(ps) != 1 || !reflect.DeepEqual(patchKeys(ps[0]), []string{"globalPrompt"}) {
			t.Fatalf("PATCH = %v, want globalPrompt only", ps)
		}
		if _, after := h.startedDraft(a, "alice-2026-11-02-0900"); after["globalPrompt"] != prompt {
			t.Errorf("globalPrompt not saved")
		}
		if n := h.state().CountText("started draft"); n != 1 {
			t.Errorf("%d confirmations", n)
		}
	})
}

// formThenTheirEdit opens alice's form on the demo agent's draft, then dana
// saves another first message on Atoms: alice's form is out of date.
func (h *harness) formThenTheirEdit() (a atomsim.AgentInfo, f editForm, draftID, theirs string) {
	h.t.Helper()
	a = h.agent(demoAgent)
	f = h.openEdit(alice, `support-concierge "Refund policy update"`)
	theirs = "Their greeting, saved first"
	draftID = a.Drafts[0].DraftID
	if _, err := h.atomsClientAs("dana").UpdateDraftConfig(context.Background(), a.ID, draftID, atoms.ConfigPatch{FirstMessage: &theirs}); err != nil {
		h.t.Fatal(err)
	}
	return a, f, draftID, theirs
}

// TestEditConflictShownInFormThenOverwrittenOnSaveAgain: someone edits the
// draft between opening and submitting the form; the submission does not
// overwrite their change but says so under the fields, in the form, and a
// second Save of the same form then overwrites it knowingly.
func TestEditConflictShownInFormThenOverwrittenOnSaveAgain(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, f, draftID, theirs := h.formThenTheirEdit()
		mine := map[string]string{"firstMessage": "My greeting, which would overwrite theirs", "voiceId": "arman"}
		rec := h.submit(alice, f, mine)
		var body struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 200 || body.ResponseAction != "errors" {
			t.Fatalf("ack = %d %s, want the conflict as errors under the fields", rec.Code, rec.Body)
		}
		if got := slices.Sorted(maps.Keys(body.Errors)); !reflect.DeepEqual(got, []string{"firstMessage", "voiceId"}) {
			t.Errorf("errors under %v, want under the changed fields", got)
		}
		for k, msg := range body.Errors {
			if msg != "Changed by dana since you opened this form; nothing was saved. Save again to overwrite it with your value." {
				t.Errorf("error under %s = %q", k, msg)
			}
		}
		if n := len(h.patches()); n != 1 { // the test's own
			t.Fatalf("%d PATCHes: the stale form was saved", n)
		}
		cfg, _ := h.sim.Config(a.ID, draftID)
		if cfg["firstMessage"] != theirs || voiceOf(cfg) == "arman" {
			t.Fatalf("their change was overwritten: %v / %s", cfg["firstMessage"], voiceOf(cfg))
		}
		if got := h.ephemeralTo(alice); len(got) != 0 {
			t.Errorf("the conflict shown in the form was also told elsewhere: %q", got)
		}
		if h.state().CountText("edited draft") != 0 {
			t.Errorf("a refused edit was announced")
		}
		// Save again, same form, same values: the user has seen theirs.
		rec = h.submit(alice, f, mine)
		if rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("second save ack = %d %s, want an empty 200 that closes the modal", rec.Code, rec.Body)
		}
		ps := h.patches()
		if len(ps) != 2 || !reflect.DeepEqual(patchKeys(ps[1]), []string{"firstMessage", "synthesizer"}) {
			keys := make([][]string, len(ps))
			for i, p := range ps {
				keys[i] = patchKeys(p)
			}
			t.Fatalf("PATCHes of %v: saving the form again did not save it (want the test's PATCH and one of firstMessage and synthesizer); ephemerals %q", keys, h.ephemeralTo(alice))
		}
		cfg, _ = h.sim.Config(a.ID, draftID)
		if cfg["firstMessage"] != mine["firstMessage"] || voiceOf(cfg) != "arman" {
			t.Errorf("after saving again: %v / %s, want the form's values", cfg["firstMessage"], voiceOf(cfg))
		}
		if n := h.state().CountText("edited draft “Refund policy update”"); n != 1 {
			t.Errorf("%d confirmations:%s", n, h.dump())
		}
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Errorf("editing a named draft created %d drafts", n)
		}
		h.checkAllSent(t)
	})
}

// TestEditConflictSaveAgainKeepsTheirOtherChanges: alice changed only the
// voice; meanwhile dana changed the first message. The conflict is shown,
// and saving the form again overwrites only what alice changed: dana's
// first message, which the form still shows as it was, stays hers.
func TestEditConflictSaveAgainKeepsTheirOtherChanges(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a, f, draftID, theirs := h.formThenTheirEdit()
		mine := map[string]string{"voiceId": "arman"}
		if rec := h.submit(alice, f, mine); !strings.Contains(rec.Body.String(), `"response_action":"errors"`) {
			t.Fatalf("first save ack = %d %s, want the conflict in the form", rec.Code, rec.Body)
		}
		if rec := h.submit(alice, f, mine); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("second save ack = %d %s, want the modal closed", rec.Code, rec.Body)
		}
		ps := h.patches()
		if len(ps) != 2 || !reflect.DeepEqual(patchKeys(ps[1]), []string{"synthesizer"}) {
			t.Errorf("%d PATCHes, the last of %v; want one of the voice only", len(ps), patchKeys(ps[len(ps)-1]))
		}
		cfg, _ := h.sim.Config(a.ID, draftID)
		if cfg["firstMessage"] != theirs || voiceOf(cfg) != "arman" {
			t.Errorf("after saving again: first message %q, voice %s; want dana's greeting and alice's voice", cfg["firstMessage"], voiceOf(cfg))
		}
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
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Errorf("an expired form created %d drafts", n)
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
		a := h.agent(demoAgent)
		f := h.openEdit(alice, "support-concierge")
		h.submit(alice, f, map[string]string{"firstMessage": "once"})
		h.submit(alice, f, map[string]string{"firstMessage": "once"})
		if n := len(h.patches()); n != 1 {
			t.Errorf("%d PATCHes", n)
		}
		if _, cfg := h.startedDraft(a, "alice-2026-11-02-0900"); cfg["firstMessage"] != "once" { // one draft, not one per delivery
			t.Errorf("draft firstMessage = %v", cfg["firstMessage"])
		}
		if n := h.state().CountText("started draft"); n != 1 {
			t.Errorf("%d confirmations", n)
		}
	})
}

// TestEditClosedForgetsSessionAndLeavesNoDraft: a form opened and then
// cancelled leaves nothing behind, in Redis or on Atoms.
func TestEditClosedForgetsSessionAndLeavesNoDraft(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, "support-concierge")
		if _, err := h.bot.store.Session(context.Background(), f.meta); err != nil {
			t.Fatalf("no session while the form is open: %v", err)
		}
		h.bot.interact(map[string]any{"type": "view_closed", "user": map[string]any{"id": alice},
			"view": map[string]any{"id": f.view.ID, "callback_id": EditCallbackID, "private_metadata": f.meta}})
		if _, err := h.bot.store.Session(context.Background(), f.meta); err == nil {
			t.Errorf("session kept after the form was closed")
		}
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Errorf("an opened-then-cancelled form created %d drafts", n)
		}
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" {
				t.Errorf("an opened-then-cancelled form sent %s %s", c.Method, c.Path)
			}
		}
		if ds := h.live(a.ID).Drafts; !reflect.DeepEqual(ds, a.Drafts) {
			t.Errorf("drafts after a cancelled form: %+v, want %+v", ds, a.Drafts)
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
		if len(h.patches()) != 0 || h.sim.CountCalls("POST", "/agent/*/drafts") != 0 {
			t.Errorf("saved")
		}
	})
}
