package bot

import (
	"encoding/json"
	"maps"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

// ackErrors reads the field errors of a view_submission ack ("" action when
// the ack is empty: the modal closes).
func ackErrors(t *testing.T, rec *httptest.ResponseRecorder) (string, map[string]string) {
	t.Helper()
	if rec.Code != 200 {
		t.Fatalf("submission ack = %d %s", rec.Code, rec.Body)
	}
	if rec.Body.Len() == 0 {
		return "", nil
	}
	var body struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("submission ack %s: %v", rec.Body, err)
	}
	return body.ResponseAction, body.Errors
}

// writes are the calls that change something on Atoms, as "METHOD path".
func (h *harness) writes() []string {
	var out []string
	for _, c := range h.sim.Calls() {
		if c.Method != "GET" {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

// branchDraftConfig is the config of a branch's open draft.
func (h *harness) branchDraftConfig(agentID, branchID string) map[string]any {
	h.t.Helper()
	cfg, ok := h.sim.Config(agentID, branchID+":draft")
	if !ok {
		h.t.Fatalf("branch %s has no open draft", branchID)
	}
	return cfg
}

// viewText is the newest version of a modal, as JSON.
func (h *harness) viewText(id string) string {
	h.t.Helper()
	v, ok := h.state().FindView(id)
	if !ok {
		h.t.Fatalf("no view %s", id)
	}
	return decodedJSON(h.t, v.View)
}

// `/atoms edit <agent>` reads the live version and creates nothing; saving
// the form creates a branch named after the user from the live branch, writes
// only the changed field into its draft, reads it back and tells the channel
// with the diff against the live version.
func TestBranchModelEditNewBranchCreatesNothingUntilSave(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		main := h.liveBranch(a.ID)
		live, _ := h.sim.Config(a.ID, main.HeadRevisionID)
		h.sim.ResetCalls()
		f := h.openEdit(alice, "support-concierge")
		if w := h.writes(); len(w) != 0 {
			t.Fatalf("opening the form wrote to Atoms: %v", w)
		}
		about := h.viewText(f.view.ID)
		for _, w := range []string{"a new draft “alice-2026-11-02-0900” from the active version", "Nothing is created on Atoms until you save"} {
			if !strings.Contains(about, w) {
				t.Errorf("form lacks %q: %s", w, about)
			}
		}
		if f.values["firstMessage"] != live["firstMessage"] || f.values["prompt"] != promptConfig(live)["prompt"] || f.values["voiceId"] != voiceOf(live) {
			t.Errorf("form not prefilled from the live version: %v", f.values)
		}
		h.advance(time.Minute) // the user takes their time: still nothing
		if n := h.sim.CountCalls("POST", "/agent/*/branches") + h.sim.CountCalls("PUT", "/agent/*/branches/*/draft"); n != 0 {
			t.Fatalf("%d branch or draft writes before Save", n)
		}

		msg := "Hi, Northwind Home here — how can I help?"
		if action, errs := ackErrors(t, h.submit(alice, f, map[string]string{"firstMessage": msg})); action != "" {
			t.Fatalf("save ack: %s %v", action, errs)
		}
		if n := h.sim.CountCalls("POST", "/agent/*/branches"); n != 1 {
			t.Fatalf("%d branches created, want 1", n)
		}
		created := h.branch(a.ID, "alice-2026-11-02-0900")
		if created.Live || created.SourceBranchID != main.ID || created.SourceRevisionID != main.HeadRevisionID {
			t.Errorf("new branch %+v, want a fork of the live branch's head", created)
		}
		var puts []atomsim.Call
		for _, c := range h.sim.Calls() {
			if c.Method == "PUT" {
				puts = append(puts, c)
			}
		}
		if len(puts) != 1 || puts[0].Path != "/agent/"+a.ID+"/branches/"+created.ID+"/draft" {
			t.Fatalf("draft writes %v, want one PUT of the new branch's draft", puts)
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(puts[0].Body, &body); err != nil || !reflect.DeepEqual(slices.Sorted(maps.Keys(body)), []string{"firstMessage"}) {
			t.Errorf("PUT body %s, want firstMessage only (no expectedRevision: no draft was open)", puts[0].Body)
		}
		d := h.branchDraftConfig(a.ID, created.ID)
		if d["firstMessage"] != msg || promptConfig(d)["prompt"] != promptConfig(live)["prompt"] || voiceOf(d) != voiceOf(live) {
			t.Errorf("draft = %v / %v, want the new greeting over the live config", d["firstMessage"], voiceOf(d))
		}
		// Read back after the write (the API does not echo values).
		calls := h.sim.Calls()
		at := slices.IndexFunc(calls, func(c atomsim.Call) bool { return c.Method == "PUT" })
		readBack := slices.ContainsFunc(calls[at+1:], func(c atomsim.Call) bool {
			return c.Method == "GET" && c.Path == "/agent/"+a.ID && c.Query.Get("draftId") != ""
		})
		if !readBack {
			t.Errorf("the saved values were not read back")
		}
		if got := h.branch(a.ID, "Main"); got != main {
			t.Errorf("Main changed: %+v → %+v", main, got)
		}
		var conf []string
		for _, m := range h.state().ChannelMessages(testChannel) {
			if strings.Contains(m.Text, "started draft") {
				conf = append(conf, decodedJSON(t, m.Blocks))
			}
		}
		if len(conf) != 1 {
			t.Fatalf("%d confirmations:%s", len(conf), h.dump())
		}
		for _, w := range []string{"<@UALICE> started draft “alice-2026-11-02-0900” of *support-concierge* (`firstMessage`)", "Draft vs the active version", "Call handling", "how can I help?"} {
			if !strings.Contains(conf[0], w) {
				t.Errorf("confirmation lacks %q: %s", w, conf[0])
			}
		}
		// The new branch is a place to promote from.
		if got := h.reply("drafts support-concierge"); !strings.Contains(got, "*alice-2026-11-02-0900*") {
			t.Errorf("drafts does not list the new branch: %s", got)
		}
		h.checkAllSent(t)
	})
}

// `/atoms edit <agent> "<branch>"` fills the form from the branch's open
// draft (or its head when it has none) and writes into that branch.
func TestBranchModelEditNamedBranch(t *testing.T) {
	cases := []struct {
		name     string
		branch   string
		setup    func(t *testing.T, h *harness, agentID string)
		about    string
		prompt   string // the prompt shown contains this
		expected bool   // the save carries expectedRevision
	}{
		{name: "feature branch with a draft", branch: "Refund policy update",
			about: "draft “Refund policy update” · revision 2", prompt: "Refunds: items can be returned within 30 days", expected: true},
		{name: "live branch with a draft", branch: "Main",
			about: "draft “Main” · revision 1", prompt: "Order lookups", expected: true},
		{name: "branch without a draft", branch: "Refund policy update",
			setup: func(t *testing.T, h *harness, agentID string) {
				if _, err := h.sim.DashboardPublish(agentID, h.branch(agentID, "Refund policy update").ID, nil, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
			},
			about: "“Refund policy update” · no open draft yet: saving opens one", prompt: "Refunds: items can be returned within 30 days"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				if tc.setup != nil {
					tc.setup(t, h, a.ID)
				}
				br := h.branch(a.ID, tc.branch)
				h.sim.ResetCalls()
				f := h.openEdit(alice, `support-concierge "`+tc.branch+`"`)
				if w := h.writes(); len(w) != 0 {
					t.Fatalf("opening the form wrote to Atoms: %v", w)
				}
				if v := h.viewText(f.view.ID); !strings.Contains(v, tc.about) {
					t.Errorf("form does not say %q: %s", tc.about, v)
				}
				if !strings.Contains(f.values["prompt"], tc.prompt) {
					t.Errorf("prompt not prefilled from the branch: %.200q", f.values["prompt"])
				}
				if action, errs := ackErrors(t, h.submit(alice, f, map[string]string{"voiceId": "arman"})); action != "" {
					t.Fatalf("save ack: %s %v", action, errs)
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches"); n != 0 {
					t.Errorf("editing a named branch created %d branches", n)
				}
				if n := h.sim.CountCalls("PUT", "/agent/*/branches/"+br.ID+"/draft"); n != 1 {
					t.Fatalf("%d PUTs of the branch's draft, want 1: %v", n, h.writes())
				}
				for _, c := range h.sim.Calls() {
					if c.Method == "PUT" && strings.Contains(string(c.Body), "expectedRevision") != tc.expected {
						t.Errorf("PUT body %s: expectedRevision sent = %v, want %v", c.Body, !tc.expected, tc.expected)
					}
				}
				d := h.branchDraftConfig(a.ID, br.ID)
				if voiceOf(d) != "arman" || !strings.Contains(promptConfig(d)["prompt"].(string), tc.prompt) {
					t.Errorf("draft after save: voice %s, prompt %.100q", voiceOf(d), promptConfig(d)["prompt"])
				}
				if n := len(promptConfig(d)["tools"].([]any)); n == 0 {
					t.Errorf("the save lost the tools")
				}
				if n := h.state().CountText("edited draft “" + tc.branch + "” of *support-concierge* (`voiceId`)"); n != 1 {
					t.Errorf("%d confirmations:%s", n, h.dump())
				}
				if tc.branch != "Main" {
					if got := h.branch(a.ID, "Main"); got.DraftRevision != 1 {
						t.Errorf("Main's draft changed: %+v", got)
					}
				}
			})
		})
	}
}

// Someone edits the same field in the dashboard after the form opened: the
// save is refused under that field in the ack, in both shapes of Atoms'
// conflict answer, and their value stays; saving again overwrites it.
func TestBranchModelEditConflict(t *testing.T) {
	for _, rich := range []bool{false, true} {
		name := "lean"
		if rich {
			name = "rich"
		}
		t.Run(name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, branchModel("v2"))
				h.sim.SetConflictShape(rich)
				a := h.agent(demoAgent)
				feature := h.branch(a.ID, "Refund policy update")
				f := h.openEdit(alice, `support-concierge "Refund policy update"`)
				theirs := "Their greeting, saved first"
				if _, err := h.sim.DashboardEditDraft(a.ID, feature.ID, map[string]any{"firstMessage": theirs}, "dana@acme.test"); err != nil {
					t.Fatal(err)
				}
				mine := map[string]string{"firstMessage": "My greeting, which would overwrite theirs", "voiceId": "arman"}
				action, errs := ackErrors(t, h.submit(alice, f, mine))
				if action != "errors" {
					t.Fatalf("ack %q, want the conflict as errors under the field", action)
				}
				if got := slices.Sorted(maps.Keys(errs)); !reflect.DeepEqual(got, []string{"firstMessage"}) {
					t.Errorf("errors under %v, want under firstMessage (the field both changed)", got)
				}
				if msg := errs["firstMessage"]; !strings.Contains(msg, "since you opened this form; nothing was saved. Save again to overwrite it") {
					t.Errorf("error under firstMessage = %q", msg)
				}
				cfg := h.branchDraftConfig(a.ID, feature.ID)
				if cfg["firstMessage"] != theirs || voiceOf(cfg) == "arman" {
					t.Fatalf("the refused save wrote: %v / %s", cfg["firstMessage"], voiceOf(cfg))
				}
				if got := h.ephemeralTo(alice); len(got) != 0 {
					t.Errorf("the conflict shown in the form was also told elsewhere: %q", got)
				}
				if n := h.state().CountText("edited draft"); n != 0 {
					t.Errorf("a refused edit was announced")
				}
				// Save again, same form: the user has seen theirs.
				if action, errs := ackErrors(t, h.submit(alice, f, mine)); action != "" {
					t.Fatalf("second save ack: %s %v", action, errs)
				}
				cfg = h.branchDraftConfig(a.ID, feature.ID)
				if cfg["firstMessage"] != mine["firstMessage"] || voiceOf(cfg) != "arman" {
					t.Errorf("after saving again: %v / %s, want the form's values", cfg["firstMessage"], voiceOf(cfg))
				}
				if n := h.state().CountText("edited draft “Refund policy update”"); n != 1 {
					t.Errorf("%d confirmations:%s", n, h.dump())
				}
				if n := h.sim.CountCalls("POST", "/agent/*/branches"); n != 0 {
					t.Errorf("editing a named branch created %d branches", n)
				}
			})
		})
	}
}

// A branch whose draft is being published (its scan is running) cannot be
// edited: the form says so instead of opening, and a form opened before the
// publish is refused at Save with a message, nothing written.
func TestBranchModelEditRefusedWhileScanning(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		feature := h.branch(a.ID, "Refund policy update")
		before := h.openEdit(carol, `support-concierge "Refund policy update"`)
		h.bot.command(alice, `promote support-concierge "Refund policy update" refund wording`)
		if !h.branch(a.ID, "Refund policy update").Scanning {
			t.Fatalf("the promotion did not start the scan:%s", h.dump())
		}
		h.sim.ResetCalls()
		h.bot.command(bob, `edit support-concierge "Refund policy update"`)
		views := h.state().Views
		if v := h.viewText(views[len(views)-1].ID); !strings.Contains(v, "is being published (its security check is running)") || strings.Contains(v, `"type":"input"`) {
			t.Errorf("edit of a scanning branch: %s", v)
		}
		action, errs := ackErrors(t, h.submit(carol, before, map[string]string{"firstMessage": "Carol's greeting"}))
		if action != "errors" || !strings.Contains(strings.Join(slices.Collect(maps.Values(errs)), " "), "Nothing was saved") ||
			!strings.Contains(strings.Join(slices.Collect(maps.Values(errs)), " "), "security-checked") {
			t.Errorf("save during the scan: %s %v", action, errs)
		}
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" && c.Status < 300 {
				t.Errorf("a write while the branch scans: %s %s → %d", c.Method, c.Path, c.Status)
			}
		}
		if got := h.branch(a.ID, "Refund policy update"); got.DraftID != feature.DraftID || got.DraftRevision != feature.DraftRevision {
			t.Errorf("the scanning draft changed: %+v → %+v", feature, got)
		}
	})
}
