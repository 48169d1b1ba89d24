package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// TestCallMeOnRollbackRequest: the request of a rollback offers Call me
// too, and it rings the earlier version the rollback would make live.
func TestCallMeOnRollbackRequest(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		liveBefore := h.liveNow(a.ID)
		v1 := h.versionN(m, a.ID, 1)
		h.bot.command(alice, "rollback support-concierge v1")
		ts := h.newestApproval()
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		said := h.clickAnswer(h.bot, bob, ts, render.ActionCall, h.callMe(ts))
		call := h.lastConversation()
		if len(h.conversations()) != 1 || call.VersionID != v1 || call.PhoneNumber != bobPhone {
			t.Fatalf("calls %+v, want one of v1 (%s); bob was told %q", h.conversations(), v1, said)
		}
		if !strings.Contains(said, "v1") || !threadSays(h, ts, "test-called v1") {
			t.Errorf("answer %q; thread:%s", said, h.dump())
		}
		if got := h.liveNow(a.ID); got != liveBefore {
			t.Errorf("live changed: %s → %s", liveBefore, got)
		}
	})
}

// TestCallMeClickDeliveredTwice: Slack delivering the same click twice
// (same action_ts) rings the phone once.
func TestCallMeClickDeliveredTwice(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		ts := h.bmPromote(h.bot, "Refund policy update")
		value := h.callMe(ts)
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		actionTS := strconv.FormatInt(h.clock.Now().Unix(), 10) + ".424242"
		payload := func() map[string]any {
			return map[string]any{
				"type": "block_actions", "user": map[string]any{"id": bob, "name": "bob"}, "team": map[string]any{"id": "T1"},
				"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": testChannel},
				"channel":   map[string]any{"id": testChannel}, "trigger_id": h.slack.IssueTrigger(bob),
				"response_url": h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: bob, MessageTS: ts}),
				"actions": []map[string]any{{"type": "button", "action_id": render.ActionCall, "block_id": "approval_actions",
					"value": value, "action_ts": actionTS}},
			}
		}
		h.bot.interact(payload())
		h.bot.interact(payload())
		if n := len(h.conversations()); n != 1 {
			t.Errorf("one click delivered twice placed %d calls", n)
		}
		if n := threadCount(h, ts, "test-called"); n != 1 {
			t.Errorf("%d thread notes", n)
		}
	})
}

// TestPhoneFormBelongsToItsUser: the phone modal carries only an intent id;
// a submission by someone else, or of an intent that is gone, keeps no
// number and calls nobody, with the error under the field.
func TestPhoneFormBelongsToItsUser(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		ts := h.bmPromote(h.bot, "Refund policy update")
		h.bot.click(bob, ts, render.ActionCall, h.callMe(ts))
		form := h.lastPhoneForm()
		if strings.Contains(form.meta, bob) || strings.Contains(form.meta, ts) {
			t.Errorf("private_metadata %q carries more than an intent id", form.meta)
		}
		tests := []struct {
			name, user, meta, want string
		}{
			{"someone else submits it", carol, form.meta, "someone else"},
			{"an unknown intent", bob, "ci_000000000000000000000000", "expired"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				f := form
				f.meta = tt.meta
				action, errs := fieldErrors(t, h.submitPhone(h.bot, tt.user, f, ukPhone))
				if action != "errors" || !strings.Contains(errs["phone"], tt.want) {
					t.Errorf("ack %q %v, want an error with %q under the field", action, errs, tt.want)
				}
				if p := h.phoneOf(tt.user); p != "" {
					t.Errorf("kept %q for %s", p, tt.user)
				}
				if n := len(h.conversations()); n != 0 {
					t.Errorf("%d calls", n)
				}
			})
		}
		h.t = t
		if b.Mini != nil {
			// The intent waits 15 minutes for the number.
			b.Mini.FastForward(16 * time.Minute)
			action, errs := fieldErrors(t, h.submitPhone(h.bot, bob, form, bobPhone))
			if action != "errors" || !strings.Contains(errs["phone"], "expired") {
				t.Errorf("after 16 minutes: %q %v", action, errs)
			}
			if n := len(h.conversations()); n != 0 {
				t.Errorf("an expired form placed %d calls", n)
			}
		}
	})
}

// TestTestCallOutsiderNumberNotKept: an outsider's `/atoms call … <phone>`
// is refused, and the number it carried is not kept.
func TestTestCallOutsiderNumberNotKept(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b, withApprovers(bob, carol))
		said := h.answer(h.bot, dave, "call support-concierge v2 "+bobPhone)
		if !strings.Contains(said, "not on the list of approvers") {
			t.Errorf("answer %q", said)
		}
		if n := len(h.conversations()); n != 0 {
			t.Errorf("%d calls", n)
		}
		if p := h.phoneOf(dave); p != "" {
			t.Errorf("the refused outsider's number is kept in Redis: %q", p)
		}
	})
}

// TestCallCommandNeverEchoesTheNumber: a number typed where the agent goes
// (`/atoms call +15551234567`) is not shown back in full.
func TestCallCommandNeverEchoesTheNumber(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		for _, text := range []string{"call " + bobPhone, "call " + bobPhone + " v2", "call support-concierge " + bobPhone + " " + ukPhone} {
			t.Run(text, func(t *testing.T) {
				h.t = t
				said := h.answer(h.bot, bob, text)
				wantNoNumber(t, "the answer", said, bobPhone)
				if n := len(h.conversations()); n != 0 {
					t.Errorf("%d calls", n)
				}
			})
		}
	})
}

// TestTestCallLimitCountsCallsPlaced: the hourly limit counts calls placed.
// Calls Atoms refused (an archived agent) or atomsbot refused for a failed
// check placed nothing; after five of them the user's first real call still
// goes out, and the limit message never claims calls that were not placed.
func TestTestCallLimitCountsCallsPlaced(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		v2 := h.versionN(m, a.ID, 2)
		if err := h.sim.SetCheck(v2, "failed", "prompt asks for card numbers"); err != nil {
			t.Fatal(err)
		}
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if said := h.answer(h.bot, bob, "call support-concierge v2"); !strings.Contains(said, "security check") {
				t.Fatalf("refusal %d: %s", i+1, said)
			}
		}
		said := h.answer(h.bot, bob, "call support-concierge v1")
		if n := len(h.conversations()); n != 1 {
			t.Errorf("after 5 refused calls, the first placed call was refused: %q", said)
		}
	})
}
