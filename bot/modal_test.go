package bot

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// editForm is the edit modal as the fake Slack holds it.
type editForm struct {
	view     slackfake.View
	meta     string
	blockIDs []string          // input blocks, in order
	values   map[string]string // what the inputs show
	maxLen   map[string]int
	notes    string // context blocks' text
}

func (h *harness) form(viewID string) editForm {
	h.t.Helper()
	v, ok := h.state().FindView(viewID)
	if !ok {
		h.t.Fatalf("no view %s", viewID)
	}
	var raw struct {
		PrivateMetadata string `json:"private_metadata"`
		CallbackID      string `json:"callback_id"`
		NotifyOnClose   bool   `json:"notify_on_close"`
		Blocks          []struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Element struct {
				InitialValue  string `json:"initial_value"`
				MaxLength     int    `json:"max_length"`
				InitialOption *struct {
					Value string `json:"value"`
				} `json:"initial_option"`
			} `json:"element"`
			Elements []struct {
				Text string `json:"text"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(v.View, &raw); err != nil {
		h.t.Fatal(err)
	}
	f := editForm{view: v, meta: raw.PrivateMetadata, values: map[string]string{}, maxLen: map[string]int{}}
	for _, b := range raw.Blocks {
		switch b.Type {
		case "input":
			f.blockIDs = append(f.blockIDs, b.BlockID)
			f.values[b.BlockID] = b.Element.InitialValue
			if b.Element.InitialOption != nil {
				f.values[b.BlockID] = b.Element.InitialOption.Value
			}
			f.maxLen[b.BlockID] = b.Element.MaxLength
		case "context":
			for _, e := range b.Elements {
				f.notes += e.Text + "\n"
			}
		}
	}
	if raw.CallbackID != EditCallbackID || !raw.NotifyOnClose {
		h.t.Errorf("form callback_id %q, notify_on_close %v", raw.CallbackID, raw.NotifyOnClose)
	}
	return f
}

// openEdit runs `/atoms edit text` as user and returns the filled form.
func (h *harness) openEdit(user, text string) editForm {
	h.t.Helper()
	rec := h.bot.command(user, "edit "+text)
	if rec.Code != 200 || rec.Body.Len() != 0 {
		h.t.Fatalf("edit ack: %d %q", rec.Code, rec.Body)
	}
	views := h.state().Views
	if len(views) == 0 {
		h.t.Fatalf("no modal opened:%s", h.dump())
	}
	return h.form(views[len(views)-1].ID)
}

// submit posts the form as user with the inputs set to values (the others
// keep what the form showed), as Slack sends a view_submission.
func (h *harness) submit(user string, f editForm, values map[string]string) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.submitView(user, f, values, func(map[string]any) {})
}

// submitView is submit with the view object adjusted by mod before sending.
func (h *harness) submitView(user string, f editForm, values map[string]string, mod func(view map[string]any)) *httptest.ResponseRecorder {
	h.t.Helper()
	state := map[string]any{}
	for _, id := range f.blockIDs {
		v, ok := values[id]
		if !ok {
			v = f.values[id]
		}
		if id == "slmModel" {
			state[id] = map[string]any{inputAction: map[string]any{"type": "static_select",
				"selected_option": map[string]any{"value": v, "text": map[string]any{"type": "plain_text", "text": v}}}}
			continue
		}
		state[id] = map[string]any{inputAction: map[string]any{"type": "plain_text_input", "value": v}}
	}
	cur, _ := h.state().FindView(f.view.ID)
	view := map[string]any{"id": f.view.ID, "type": "modal", "callback_id": EditCallbackID, "private_metadata": f.meta,
		"hash": cur.Hash, "state": map[string]any{"values": state}}
	mod(view)
	return h.bot.interact(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team": map[string]any{"id": "T1"}, "trigger_id": h.slack.IssueTrigger(user), "view": view,
	})
}

// patches are the draft config PATCHes Atoms received, as JSON objects.
func (h *harness) patches() []map[string]json.RawMessage {
	var out []map[string]json.RawMessage
	for _, c := range h.sim.Calls() {
		if c.Method == "PATCH" && strings.HasSuffix(c.Path, "/config") {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(c.Body, &m); err != nil {
				h.t.Fatal(err)
			}
			out = append(out, m)
		}
	}
	return out
}

func patchKeys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func promptConfig(cfg map[string]any) map[string]any {
	m, _ := cfg["singlePromptConfig"].(map[string]any)
	return m
}

func voiceOf(cfg map[string]any) string {
	s, _ := cfg["synthesizer"].(map[string]any)
	vc, _ := s["voiceConfig"].(map[string]any)
	id, _ := vc["voiceId"].(string)
	return id
}

func TestEditPrefillsFromActiveVersionCreatingNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, "support-concierge")
		// Opened at once with a loading view, then filled with views.update.
		st := h.state()
		opens, updates := st.CallsTo("views.open"), st.CallsTo("views.update")
		if len(opens) != 1 || len(updates) != 1 {
			t.Fatalf("views.open ×%d, views.update ×%d", len(opens), len(updates))
		}
		if !strings.Contains(string(opens[0].JSON), "Loading support-concierge") {
			t.Errorf("first view is not a loading view: %s", opens[0].JSON)
		}
		firstCall := slices.IndexFunc(st.Calls, func(c slackfake.Call) bool { return c.Method == "views.open" })
		if firstCall != 0 {
			t.Errorf("views.open was call #%d; the trigger expires in 3 s, it must come first", firstCall)
		}
		if want := []string{"prompt", "firstMessage", "voiceId", "slmModel"}; !reflect.DeepEqual(f.blockIDs, want) {
			t.Fatalf("input block ids = %v, want %v", f.blockIDs, want)
		}
		// Nothing was created on Atoms: opening the form only reads.
		if live := h.live(a.ID); !reflect.DeepEqual(live.Drafts, a.Drafts) {
			t.Errorf("drafts after opening the form: %+v, want %+v", live.Drafts, a.Drafts)
		}
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Errorf("opening the form created %d drafts", n)
		}
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" {
				t.Errorf("opening the form sent %s %s", c.Method, c.Path)
			}
		}
		// The form shows the active version's values, read with GET /agent/{id}.
		cfg, ok := h.sim.Config(a.ID, a.ActiveVersionID)
		if !ok {
			t.Fatalf("no config for the active version %s", a.ActiveVersionID)
		}
		want := map[string]string{"prompt": promptConfig(cfg)["prompt"].(string), "firstMessage": cfg["firstMessage"].(string),
			"voiceId": voiceOf(cfg), "slmModel": cfg["slmModel"].(string)}
		if !reflect.DeepEqual(f.values, want) {
			t.Errorf("prefilled %v, want %v", f.values, want)
		}
		read := false
		for _, c := range h.sim.Calls() {
			read = read || c.Method == "GET" && c.Path == "/agent/"+a.ID && !c.Query.Has("draftId")
		}
		if !read {
			t.Errorf("values not read from GET /agent/{id}")
		}
		if f.maxLen["firstMessage"] != 500 || f.maxLen["prompt"] != 3000 {
			t.Errorf("max lengths %v", f.maxLen)
		}
		// The form's context is in Redis; the client holds only the session id.
		sess, err := h.bot.store.Session(context.Background(), f.meta)
		if err != nil || sess.AgentID != a.ID || sess.DraftID != "" || sess.NewName != "alice-2026-11-02-0900" ||
			sess.UserID != alice || sess.Channel != testChannel || sess.ViewID != f.view.ID {
			t.Errorf("session %+v, %v", sess, err)
		}
		if strings.Contains(f.meta, a.ID) || !strings.HasPrefix(f.meta, "es_") {
			t.Errorf("private_metadata carries the context: %q", f.meta)
		}
		// The header names the draft that saving will start, and says nothing exists yet.
		view := decodedJSON(t, f.view.View)
		for _, w := range []string{"a new draft “alice-2026-11-02-0900” from the active version", "Nothing is created on Atoms until you save."} {
			if !strings.Contains(view, w) {
				t.Errorf("form header lacks %q: %s", w, view)
			}
		}
	})
}

func TestEditNamedDraftDoesNotFork(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		f := h.openEdit(alice, `support-concierge "Refund policy update"`)
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Errorf("edit of a named draft forked %d drafts", n)
		}
		cfg, _ := h.sim.Config(a.ID, a.Drafts[0].DraftID)
		if f.values["prompt"] != promptConfig(cfg)["prompt"] || f.values["firstMessage"] != cfg["firstMessage"] {
			t.Errorf("form shows %v, not the named draft", f.values)
		}
		// And by draft id.
		f = h.openEdit(alice, "support-concierge "+a.Drafts[0].DraftID)
		if f.values["prompt"] != promptConfig(cfg)["prompt"] {
			t.Errorf("edit by draft id shows another draft")
		}
		// An unknown draft: the modal says so (the trigger was used to open it).
		h.bot.command(alice, "edit support-concierge nope")
		views := h.state().Views
		if v := decodedJSON(t, views[len(views)-1].View); !strings.Contains(v, "has no open draft “nope”") {
			t.Errorf("modal for an unknown draft: %s", v)
		}
	})
}

func TestEditSubmitValidationErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, "support-concierge")
		before := len(h.sim.Calls())
		tests := []struct {
			name   string
			values map[string]string
			errs   []string // block ids with an error
		}{
			{"first message over 500", map[string]string{"firstMessage": strings.Repeat("é", 501)}, []string{"firstMessage"}},
			{"empty prompt", map[string]string{"prompt": "  \n "}, []string{"prompt"}},
			{"voice id with spaces", map[string]string{"voiceId": "two words"}, []string{"voiceId"}},
			{"model not offered", map[string]string{"slmModel": "gpt-9"}, []string{"slmModel"}},
			{"several at once", map[string]string{"firstMessage": strings.Repeat("x", 600), "voiceId": ""}, []string{"firstMessage", "voiceId"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := h.submit(alice, f, tt.values)
				var body struct {
					ResponseAction string            `json:"response_action"`
					Errors         map[string]string `json:"errors"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ResponseAction != "errors" {
					t.Fatalf("ack = %d %s", rec.Code, rec.Body)
				}
				var got []string
				for k, msg := range body.Errors {
					got = append(got, k)
					if msg == "" {
						t.Errorf("empty message for %s", k)
					}
				}
				sort.Strings(got)
				if !reflect.DeepEqual(got, tt.errs) {
					t.Errorf("errors on %v, want %v", got, tt.errs)
				}
			})
		}
		if !strings.Contains(h.submitErrors(f, map[string]string{"firstMessage": strings.Repeat("x", 501)})["firstMessage"], "501 characters; at most 500") {
			t.Errorf("the message does not give the numbers")
		}
		if n := len(h.patches()); n != 0 {
			t.Errorf("%d PATCHes after invalid submissions", n)
		}
		for _, c := range h.sim.Calls()[before:] {
			t.Errorf("an invalid submission called Atoms: %s %s", c.Method, c.Path)
		}
	})
}

func (h *harness) submitErrors(f editForm, values map[string]string) map[string]string {
	var body struct {
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(h.submit(alice, f, values).Body.Bytes(), &body)
	return body.Errors
}
