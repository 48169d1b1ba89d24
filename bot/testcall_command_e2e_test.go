package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

// mainRevision is the id of Main's revision vN (branch model) or of the
// version vN (v1) of the demo agent.
func (h *harness) versionN(m callModel, agentID string, n int) string {
	h.t.Helper()
	if m.branch {
		main := h.liveBranch(agentID)
		revs, _ := h.sim.Revisions(agentID, main.ID)
		for _, r := range revs {
			if r.Number == n {
				return r.ID
			}
		}
		h.t.Fatalf("Main has no revision %d: %+v", n, revs)
	}
	for _, v := range h.live(agentID).Versions {
		if v.Number == n {
			return v.ID
		}
	}
	h.t.Fatalf("no version %d", n)
	return ""
}

// TestCallCommand: `/atoms call <agent> [<draft>|<version>] [<phone>]` rings
// exactly what it names, on both models: with nothing named, the live
// version (an outbound call marked x-test-call); a draft by name or id; a
// version by vN or id; a number given is used and remembered. The answer
// shows the number masked, never in full; nothing live changes.
func TestCallCommand(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		liveBefore := h.liveNow(a.ID)
		liveTarget := a.ActiveVersionID
		var draftID, draftTarget string
		if m.branch {
			liveTarget = h.liveBranch(a.ID).HeadRevisionID
			feature := h.branch(a.ID, "Refund policy update")
			draftID, draftTarget = feature.ID, atomsim.DraftTarget(feature.DraftID)
		} else {
			draftID, draftTarget = a.Drafts[0].DraftID, atomsim.DraftTarget(a.Drafts[0].DraftID)
		}
		v2 := h.versionN(m, a.ID, 2)
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, text string
			target     string
			phone      string // the number that rings (and is remembered after)
			outbound   bool
			words      []string
		}{
			{"the live version", "call support-concierge", liveTarget, bobPhone, true, []string{"the live version"}},
			{"the live version, agent by id", "call " + a.ID, liveTarget, bobPhone, true, nil},
			{"a draft by name", `call support-concierge "Refund policy update"`, draftTarget, bobPhone, false, []string{"Refund policy update"}},
			{"a draft by id", "call support-concierge " + draftID, draftTarget, bobPhone, false, nil},
			{"a version", "call support-concierge v2", v2, bobPhone, false, []string{"v2"}},
			{"a version by id", "call support-concierge " + v2, v2, bobPhone, false, nil},
			{"a version and a number", "call support-concierge v2 " + ukPhone, v2, ukPhone, false, []string{ukMasked}},
			{"the remembered new number", "call support-concierge", liveTarget, ukPhone, true, []string{ukMasked}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				h.clock.Advance(13 * time.Minute) // under TEST_CALLS_PER_HOUR (5)
				calls, writes := len(h.conversations()), h.callWrites()
				got := h.answer(h.bot, bob, tt.text)
				if n := len(h.conversations()); n != calls+1 {
					t.Fatalf("%d calls placed, want 1; answer: %s", n-calls, got)
				}
				if n := h.callWrites(); n != writes+1 {
					t.Errorf("%d call requests to Atoms, want 1", n-writes)
				}
				call := h.lastConversation()
				if call.VersionID != tt.target || call.PhoneNumber != tt.phone || !call.Test || call.AgentID != a.ID {
					t.Errorf("call %+v, want a test call of %s to %s", call, tt.target, tt.phone)
				}
				last := h.sim.Calls()[len(h.sim.Calls())-1]
				if tt.outbound != (last.Path == "/conversation/outbound") {
					t.Errorf("placed with %s %s", last.Method, last.Path)
				}
				if tt.outbound && last.Header.Get("X-Test-Call") != "true" {
					t.Errorf("the outbound call is not marked x-test-call: %v", last.Header)
				}
				for _, w := range append([]string{call.ID, "••• •••", "support-concierge"}, tt.words...) {
					if !strings.Contains(got, w) {
						t.Errorf("answer lacks %q: %s", w, got)
					}
				}
				wantNoNumber(t, "the answer", got, bobPhone, ukPhone)
				if p := h.phoneOf(bob); p != tt.phone {
					t.Errorf("remembered %q, want %q", p, tt.phone)
				}
			})
		}
		h.t = t
		if got := h.liveNow(a.ID); got != liveBefore {
			t.Errorf("live changed: %s → %s", liveBefore, got)
		}
		for _, msg := range h.state().ChannelMessages(testChannel) {
			t.Errorf("/atoms call posted in the channel: %s", msg.Text)
		}
	})
}

// TestCallCommandAsksForTheNumberFirst: a user without a number gets the
// modal (with the command's trigger); once the number is given the call
// named in the command goes out.
func TestCallCommandAsksForTheNumberFirst(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		v2 := h.versionN(m, a.ID, 2)
		if got := h.answer(h.bot, carol, "call support-concierge v2"); got != "" {
			t.Errorf("answered before the number was given: %s", got)
		}
		form := h.lastPhoneForm()
		if form.view.UserID != carol || !strings.Contains(form.text, "v2") {
			t.Errorf("modal for %s: %s", form.view.UserID, form.text)
		}
		if n := len(h.conversations()); n != 0 {
			t.Fatalf("%d calls before the number", n)
		}
		h.submitPhone(h.bot, carol, form, alicePhone)
		call := h.lastConversation()
		if call.VersionID != v2 || call.PhoneNumber != alicePhone {
			t.Errorf("call %+v, want v2 (%s) to the number given", call, v2)
		}
		said := strings.Join(h.ephemeralTo(carol), "\n")
		if !strings.Contains(said, aliceMasked) || !strings.Contains(said, call.ID) {
			t.Errorf("carol was told: %s", said)
		}
		wantNoNumber(t, "carol's answers", said, alicePhone)
	})
}

// TestCallCommandRefusesBadInput: a malformed number, an unknown draft or
// version, a draft on the branch model without an open draft: plain words
// and no call.
func TestCallCommandRefusesBadInput(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		tests := []struct{ name, text, want string }{
			{"a malformed number", "call support-concierge +12", "international form"},
			{"a number with a zero country code", "call support-concierge v2 +0155512345", "international form"},
			{"an unknown draft", "call support-concierge nosuchdraft", "no open draft"},
			{"an unknown version", "call support-concierge v99", "v99"},
			{"an unknown agent", "call nosuchagent", "nosuchagent"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				got := h.answer(h.bot, bob, tt.text)
				if !strings.Contains(got, tt.want) {
					t.Errorf("answer lacks %q: %s", tt.want, got)
				}
				if n := len(h.conversations()); n != 0 {
					t.Errorf("%d calls placed", n)
				}
				if p := h.phoneOf(bob); p != bobPhone {
					t.Errorf("the number became %q", p)
				}
			})
		}
	})
}
