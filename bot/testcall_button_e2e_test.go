package bot

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
)

// TestCallMeOnApprovalRequest is the story of the Call me button on an
// approval request, on both models: the first click asks for the number in
// a modal opened with the click's trigger; an invalid number gets an error
// under the field; a valid one is kept and the phone rings with exactly the
// version the request shows (v1: the published version; branch model: the
// staged draft while it is scanned, the committed revision after); bob sees
// the masked number and the conversation, the thread sees "test-called",
// nothing goes live. The second click calls at once; Change number reopens
// the modal prefilled; /atoms call --forget deletes the number and the next
// click asks again.
func TestCallMeOnApprovalRequest(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		liveBefore := h.liveNow(a.ID)
		var feature atomsim.BranchInfo
		if m.branch {
			feature = h.branch(a.ID, "Refund policy update")
		}
		ts := h.bmPromote(h.bot, "Refund policy update")
		p := h.promotionAt(ts)
		scanning := p.VersionID // v1: the published version, named at once
		if m.branch {
			if p.VersionID != "" {
				t.Fatalf("branch model: the promotion names a revision (%s) before its scan is done", p.VersionID)
			}
			scanning = atomsim.DraftTarget(feature.DraftID)
		}
		if scanning == "" || scanning == atomsim.DraftTarget("") {
			t.Fatalf("no target to expect: promotion %+v", p)
		}

		// The button is on the request and names the promotion.
		value := h.callMe(ts)
		if kind, ids, ok := render.ParseCallValue(value); !ok || kind != render.CallPromotion || !slices.Equal(ids, []string{p.ID}) {
			t.Fatalf("Call me value %q = %q %v %v, want the promotion %s", value, kind, ids, ok, p.ID)
		}

		// First click: the modal, opened with the click's own trigger.
		trigger, rec := h.bot.clickTrigger(bob, ts, render.ActionCall, value)
		if rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("click ack: %d %q", rec.Code, rec.Body)
		}
		form := h.lastPhoneForm()
		opens := h.state().CallsTo("views.open")
		if len(opens) != 1 || triggerOf(t, opens[0]) != trigger {
			t.Fatalf("views.open %d time(s), first with trigger %q; want once with the click's %q", len(opens), triggerOf(t, opens[0]), trigger)
		}
		if form.view.UserID != bob || !slices.Equal(form.inputIDs, []string{"phone"}) || form.value != "" || form.meta == "" {
			t.Errorf("phone modal: user %s, inputs %v, prefilled %q, metadata %q", form.view.UserID, form.inputIDs, form.value, form.meta)
		}
		if !strings.Contains(form.text, "support-concierge") || form.submitText != "Call me" {
			t.Errorf("the modal does not say what will ring (submit %q): %s", form.submitText, form.text)
		}
		if n := len(h.conversations()); n != 0 {
			t.Fatalf("%d calls before a number was given", n)
		}

		// Invalid numbers: an error under the field, nothing kept or called.
		for _, bad := range []string{"5551234567", "+1 555", "+0123456789", "call me maybe", "", "+15551234567890123", "++15551234567"} {
			t.Run("invalid "+bad, func(t *testing.T) {
				h.t = t
				action, errs := fieldErrors(t, h.submitPhone(h.bot, bob, form, bad))
				if action != "errors" || errs["phone"] == "" || len(errs) != 1 {
					t.Fatalf("ack for %q: %q %v, want an error under the phone field", bad, action, errs)
				}
				if got := h.phoneOf(bob); got != "" {
					t.Errorf("an invalid number was kept: %q", got)
				}
				if n := len(h.conversations()); n != 0 {
					t.Errorf("%d calls after an invalid number", n)
				}
			})
		}
		h.t = t

		// A valid number, as people type it: kept normalised; the phone rings.
		before := len(h.ephemeralTo(bob))
		action, errs := fieldErrors(t, h.submitPhone(h.bot, bob, form, " +1 (555) 123-4567 "))
		if action != "" || errs != nil {
			t.Fatalf("valid number refused: %q %v", action, errs)
		}
		if got := h.phoneOf(bob); got != bobPhone {
			t.Fatalf("kept number %q, want %q", got, bobPhone)
		}
		call := h.lastConversation()
		if n := len(h.conversations()); n != 1 || call.VersionID != scanning || call.PhoneNumber != bobPhone || !call.Test || call.AgentID != a.ID {
			t.Fatalf("%d call(s), last %+v; want one test call of %s to %s", n, call, scanning, bobPhone)
		}
		said := strings.Join(h.newEphemerals(bob, before), "\n")
		for _, w := range []string{bobMasked, call.ID, "support-concierge", "Nothing live changes", render.ActionChangePhone} {
			if !strings.Contains(said, w) {
				t.Errorf("bob's answer lacks %q: %s", w, said)
			}
		}
		wantNoNumber(t, "bob's answer", said, bobPhone)
		if !threadSays(h, ts, "test-called") || !threadSays(h, ts, call.ID) || !threadSays(h, ts, "<@"+bob+">") {
			t.Errorf("the request's thread does not say that bob test-called it:%s", h.dump())
		}

		// The second click calls at once, with no modal.
		views := len(h.state().Views)
		said = h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
		if n := len(h.state().Views); n != views {
			t.Errorf("the second click opened a modal")
		}
		if cs := h.conversations(); len(cs) != 2 || cs[1].VersionID != scanning || cs[1].PhoneNumber != bobPhone {
			t.Fatalf("after the second click: %+v", cs)
		}
		if !strings.Contains(said, bobMasked) || !strings.Contains(said, h.lastConversation().ID) {
			t.Errorf("second answer: %s", said)
		}

		// Once the check passed: the committed version rings (on the branch
		// model, the revision the scan made, no longer the draft).
		for i := 0; i < 10 && (h.promotionAt(ts).VersionID == "" || h.promotionAt(ts).CheckStatus != "passed"); i++ {
			h.advance(7 * time.Second)
		}
		p = h.promotionAt(ts)
		if p.VersionID == "" || p.CheckStatus != "passed" {
			t.Fatalf("the check did not pass: %+v", p)
		}
		h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
		if call := h.lastConversation(); len(h.conversations()) != 3 || call.VersionID != p.VersionID {
			t.Fatalf("after the check: call of %q, want the committed %s (%d calls)", call.VersionID, p.VersionID, len(h.conversations()))
		}
		if m.branch {
			if revs, _ := h.sim.Revisions(a.ID, feature.ID); len(revs) != 1 || revs[0].ID != p.VersionID {
				t.Errorf("the call's revision %s is not the one the scan committed on the branch: %+v", p.VersionID, revs)
			}
		}

		// Change number: the modal again, prefilled; saving it calls nobody.
		calls := len(h.conversations())
		before = len(h.ephemeralTo(bob))
		h.bot.click(bob, ts, render.ActionChangePhone, "change")
		change := h.lastPhoneForm()
		if change.view.ID == form.view.ID || change.value != bobPhone || change.submitText != "Save" {
			t.Fatalf("Change number: view %s (first %s), prefilled %q, submit %q", change.view.ID, form.view.ID, change.value, change.submitText)
		}
		if action, errs := fieldErrors(t, h.submitPhone(h.bot, bob, change, ukPhone)); action != "" || errs != nil {
			t.Fatalf("changing the number: %q %v", action, errs)
		}
		if got := h.phoneOf(bob); got != ukPhone {
			t.Errorf("number after the change %q", got)
		}
		if n := len(h.conversations()); n != calls {
			t.Errorf("changing the number placed %d call(s)", n-calls)
		}
		said = strings.Join(h.newEphemerals(bob, before), "\n")
		if !strings.Contains(said, ukMasked) {
			t.Errorf("the change is not confirmed with the masked number: %s", said)
		}
		wantNoNumber(t, "the change's answer", said, bobPhone, ukPhone)
		h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
		if call := h.lastConversation(); call.PhoneNumber != ukPhone {
			t.Errorf("after the change the call went to %q", call.PhoneNumber)
		}

		// --forget deletes the number; the next click asks for it again.
		if got := h.answer(h.bot, bob, "call --forget"); !strings.Contains(got, "deleted") {
			t.Errorf("--forget answer: %s", got)
		}
		if got := h.phoneOf(bob); got != "" {
			t.Errorf("--forget left %q", got)
		}
		if got := h.answer(h.bot, bob, "call --forget"); !strings.Contains(got, "no phone number") {
			t.Errorf("second --forget answer: %s", got)
		}
		calls, views = len(h.conversations()), len(h.phoneForms())
		h.bot.click(bob, ts, render.ActionCall, value)
		if n := len(h.phoneForms()); n != views+1 {
			t.Errorf("after --forget the click did not ask for the number (%d modals, was %d)", n, views)
		}
		if n := len(h.conversations()); n != calls {
			t.Errorf("after --forget a click called without asking")
		}

		// Nothing live changed through all of it.
		if got := h.liveNow(a.ID); got != liveBefore {
			t.Errorf("live changed: %s → %s", liveBefore, got)
		}
		if n := h.state().CountText("is live"); n != 0 {
			t.Errorf("%d 'is live' posts", n)
		}
		if p := h.promotionAt(ts); string(p.State) != "published" {
			t.Errorf("the promotion is %s after the test calls, want published (waiting for approval)", p.State)
		}
	})
}

// TestCallMeOnDraftDiff: /atoms diff of a draft offers Call me; it rings the
// draft (v1: the draft; branch model: the branch's open draft).
func TestCallMeOnDraftDiff(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		target := ""
		if m.branch {
			target = atomsim.DraftTarget(h.branch(a.ID, "Refund policy update").DraftID)
		} else {
			target = atomsim.DraftTarget(a.Drafts[0].DraftID)
		}
		if err := h.bot.store.SetPhone(t.Context(), carol, bobPhone); err != nil {
			t.Fatal(err)
		}
		liveBefore := h.liveNow(a.ID)
		h.bot.command(carol, `diff support-concierge "Refund policy update"`)
		var value string
		for _, msg := range h.state().Messages {
			if msg.User == carol && strings.Contains(string(msg.Blocks), render.ActionCall) {
				value = buttonValue(t, msg, render.ActionCall)
			}
		}
		if value == "" {
			t.Fatalf("the diff of a draft has no Call me button:%s", h.dump())
		}
		said := h.clickAnswer(h.bot, carol, "", render.ActionCall, value)
		call := h.lastConversation()
		if call.VersionID != target || call.PhoneNumber != bobPhone || !call.Test {
			t.Fatalf("call %+v, want a test call of %s", call, target)
		}
		if !strings.Contains(said, bobMasked) || !strings.Contains(said, call.ID) {
			t.Errorf("carol's answer: %s", said)
		}
		if got := h.liveNow(a.ID); got != liveBefore {
			t.Errorf("live changed: %s → %s", liveBefore, got)
		}

		// A diff of two versions has nothing to call.
		before := len(h.ephemeralTo(carol))
		h.bot.command(carol, "diff support-concierge v1 v2")
		for _, s := range h.newEphemerals(carol, before) {
			if strings.Contains(s, render.ActionCall) {
				t.Errorf("a diff of two versions offers Call me: %s", s)
			}
		}
	})
}
