package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// TestTestCallNumberStaysPrivate runs every path a number takes (the modal
// with an invalid then a valid number, calls by button and by command with
// a number, Change number, an unclear answer from Atoms, a refusal,
// --forget) with every log at debug level, then looks for the numbers: in
// no log line, no channel post, no thread reply, no chat.update; in
// ephemerals only masked; in Redis only under its owner's phone key.
func TestTestCallNumberStaysPrivate(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		logs := &logRecorder{}
		h.bot = h.loggedReplica("replica-logged", logs, 100)
		a := h.agent(demoAgent)
		phones := []string{bobPhone, ukPhone, alicePhone}

		ts := h.bmPromote(h.bot, "Refund policy update")
		value := h.callMe(ts)
		h.bot.click(bob, ts, render.ActionCall, value)
		form := h.lastPhoneForm()
		h.submitPhone(h.bot, bob, form, "+1 555 12")
		h.submitPhone(h.bot, bob, form, bobPhone)
		h.bot.click(bob, ts, render.ActionCall, value)
		h.bot.click(bob, ts, render.ActionChangePhone, "change")
		h.submitPhone(h.bot, bob, h.lastPhoneForm(), ukPhone)
		h.bot.click(bob, ts, render.ActionCall, value)
		h.bot.command(carol, "call support-concierge v2 "+alicePhone)
		h.bot.command(carol, `call clinic-scheduler "Insurance questions"`)
		h.bot.command(carol, "call support-concierge")

		// Atoms loses the answer (after placing the call, and before).
		for _, f := range []atomsim.Faults{{AfterEffectRate: 1, Methods: []string{"POST"}}, {ErrorRate: 1, Methods: []string{"POST"}}} {
			h.sim.SetFaults(f)
			said := h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
			h.sim.SetFaults(atomsim.Faults{})
			if !strings.Contains(said, "may or may not ring") {
				t.Errorf("after a lost answer bob was told %q", said)
			}
		}
		// The scan passes; then a refusal from Atoms (archived agent).
		h.advance(7 * time.Second)
		h.advance(7 * time.Second)
		h.bot.click(bob, ts, render.ActionCall, value)
		if err := h.atomsClient().ArchiveAgent(t.Context(), a.ID, true); err != nil {
			t.Fatal(err)
		}
		h.bot.command(carol, "call "+a.ID)
		h.bot.command(bob, "call --forget")

		calls := 0
		for _, c := range h.conversations() {
			if c.PhoneNumber != "" {
				calls++
			}
		}
		if calls < 8 {
			t.Fatalf("only %d calls were placed; the story did not run:%s", calls, h.dump())
		}

		// Logs, at debug level.
		log := logs.all()
		for _, w := range []string{"level=DEBUG", "slack request", "test call answer unclear"} {
			if !strings.Contains(log, w) {
				t.Errorf("the log lacks %q: the capture does not see every line", w)
			}
		}
		for _, line := range strings.Split(log, "\n") {
			wantNoNumber(t, "log line", line, phones...)
		}

		// Slack: what was sent, and what people see.
		st := h.state()
		for _, c := range st.Calls {
			switch c.Method {
			case "views.open", "views.update", "views.push":
				continue // the user's own modal (Change number shows the current number)
			}
			wantNoNumber(t, "Slack "+c.Method, slackCallText(c), phones...)
		}
		masked := 0
		for _, msg := range st.Messages {
			all := msg.Text + string(msg.Blocks)
			for _, v := range msg.History {
				all += v.Text + string(v.Blocks)
			}
			wantNoNumber(t, "message ["+msg.Method+" to "+msg.User+"]", all, phones...)
			isEphemeral := msg.Ephemeral || msg.ResponseType == "ephemeral"
			for _, mk := range []string{bobMasked, ukMasked, aliceMasked} {
				if strings.Contains(all, mk) {
					masked++
					if !isEphemeral || msg.Method == slackfake.MethodPostMessage {
						t.Errorf("a masked number was posted for everyone: %s", msg.Text)
					}
				}
			}
		}
		if masked < 5 {
			t.Errorf("only %d ephemerals show a masked number", masked)
		}
		for _, c := range st.CallsTo("chat.update") {
			wantNoNumber(t, "chat.update", slackCallText(c), phones...)
		}
		if !threadSays(h, ts, "test-called") {
			t.Errorf("no thread note: the story did not reach the thread")
		}

		// Redis: a number only under its owner's phone key.
		owners := map[string]string{ukPhone: ":phone:" + bob, alicePhone: ":phone:" + carol, bobPhone: ""}
		for _, kv := range h.redisValues() {
			key, _, _ := strings.Cut(kv, " = ")
			for _, p := range phones {
				if strings.Contains(kv, strings.TrimPrefix(p, "+")) && (owners[p] == "" || !strings.HasSuffix(key, owners[p])) {
					t.Errorf("Redis holds %s under %s", p, key)
				}
			}
		}
		if got := h.phoneOf(bob); got != "" {
			t.Errorf("--forget left bob's number: %q", got)
		}
		if got := h.phoneOf(carol); got != alicePhone {
			t.Errorf("carol's number %q", got)
		}
	})
}
