package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// wantNoCall checks that nothing was placed since calls, and that no modal
// was opened since views.
func (h *harness) wantNoCall(calls, views int) {
	h.t.Helper()
	if n := len(h.conversations()); n != calls {
		h.t.Errorf("%d call(s) placed", n-calls)
	}
	if n := len(h.state().Views); n != views {
		h.t.Errorf("%d modal(s) opened", n-views)
	}
}

// TestTestCallLimit: each user may place TEST_CALLS_PER_HOUR test calls an
// hour (default 5), by button and command together; the next is refused
// with a clear message and places no call; others are not affected, and
// an hour later the user may call again. A configured limit is honoured.
func TestTestCallLimit(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		tests := []struct {
			name    string
			perHour int // 0: the default
			want    int
		}{
			{"default", 0, 5},
			{"TEST_CALLS_PER_HOUR=2", 2, 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := m.harness(t, b)
				if tt.perHour != 0 {
					h.bot = h.loggedReplica("replica-limit", &logRecorder{}, tt.perHour)
				}
				ts := h.bmPromote(h.bot, "Refund policy update")
				value := h.callMe(ts)
				for _, u := range []string{bob, carol} {
					if err := h.bot.store.SetPhone(t.Context(), u, bobPhone); err != nil {
						t.Fatal(err)
					}
				}
				for i := range tt.want {
					h.advance(time.Minute) // the poller follows the release meanwhile
					var said string
					if i%2 == 0 {
						said = h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
					} else {
						said = h.answer(h.bot, bob, "call support-concierge")
					}
					if n := len(h.conversations()); n != i+1 {
						t.Fatalf("call %d: %d calls placed; answer %s", i+1, n, said)
					}
				}
				calls, views := len(h.conversations()), len(h.state().Views)
				for _, try := range []func() string{
					func() string { return h.clickAnswer(h.bot, bob, ts, render.ActionCall, value) },
					func() string { return h.answer(h.bot, bob, "call support-concierge v2") },
				} {
					said := try()
					for _, w := range []string{"TEST_CALLS_PER_HOUR", "test calls in the last hour", "next can go"} {
						if !strings.Contains(said, w) {
							t.Errorf("refusal over the limit lacks %q: %s", w, said)
						}
					}
					h.wantNoCall(calls, views)
				}
				if n, want := threadCount(h, ts, "test-called"), (tt.want+1)/2; n != want {
					t.Errorf("%d thread notes, want %d (one per call of the request)", n, want)
				}
				// Carol has her own count.
				h.clickAnswer(h.bot, carol, ts, render.ActionCall, value)
				if n := len(h.conversations()); n != calls+1 {
					t.Errorf("carol was limited by bob's calls")
				}
				// An hour after his first call, bob may call again.
				h.advance(time.Hour - time.Duration(tt.want-1)*time.Minute + time.Second)
				h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
				if n := len(h.conversations()); n != calls+2 {
					t.Errorf("an hour later bob still may not call (%d calls)", n-calls-1)
				}
			})
		}
	})
}

// threadCount counts the replies to ts that contain word.
func threadCount(h *harness, ts, word string) int {
	n := 0
	for _, m := range h.state().Thread(testChannel, ts) {
		if m.TS != ts && strings.Contains(m.Text, word) {
			n++
		}
	}
	return n
}

// TestTestCallOutsiderRefused: with APPROVERS set, someone not on the list
// is refused ephemerally, by button and by command, and nothing rings; the
// requester (not on the list either) may call her own promotion, but not a
// draft or a version.
func TestTestCallOutsiderRefused(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b, withApprovers(bob, carol))
		ts := h.bmPromote(h.bot, "Refund policy update")
		value := h.callMe(ts)
		for _, u := range []string{dave, alice} {
			if err := h.bot.store.SetPhone(t.Context(), u, bobPhone); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name string
			user string
			act  func(user string) string
			want string // "" : the call goes out
		}{
			{"outsider clicks Call me", dave, func(u string) string { return h.clickAnswer(h.bot, u, ts, render.ActionCall, value) }, "may approve"},
			{"outsider calls a draft", dave, func(u string) string { return h.answer(h.bot, u, `call clinic-scheduler "Insurance questions"`) }, "not on the list of approvers"},
			{"outsider calls a version", dave, func(u string) string { return h.answer(h.bot, u, "call support-concierge v2") }, "not on the list of approvers"},
			{"outsider calls the live version", dave, func(u string) string { return h.answer(h.bot, u, "call support-concierge") }, "not on the list of approvers"},
			{"requester calls a draft", alice, func(u string) string { return h.answer(h.bot, u, `call clinic-scheduler "Insurance questions"`) }, "not on the list of approvers"},
			{"requester clicks Call me", alice, func(u string) string { return h.clickAnswer(h.bot, u, ts, render.ActionCall, value) }, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				calls, views, thread := len(h.conversations()), len(h.state().Views), threadCount(h, ts, "test-called")
				said := tt.act(tt.user)
				if tt.want == "" {
					if n := len(h.conversations()); n != calls+1 {
						t.Fatalf("the requester's call was not placed: %s", said)
					}
					return
				}
				if !strings.Contains(said, tt.want) || !strings.Contains(said, ":no_entry_sign:") {
					t.Errorf("refusal lacks %q: %s", tt.want, said)
				}
				h.wantNoCall(calls, views)
				if n := threadCount(h, ts, "test-called"); n != thread {
					t.Errorf("a refused call was noted in the thread")
				}
				for _, msg := range h.state().ChannelMessages(testChannel) {
					if strings.Contains(msg.Text, tt.want) {
						t.Errorf("the refusal was posted in the channel: %s", msg.Text)
					}
				}
			})
		}
	})
}

// TestTestCallOutsiderIsNotAskedForANumber: someone who may not call is
// refused at the click; the bot does not first ask an outsider for a phone
// number (personal data) it will not use, nor keep one.
func TestTestCallOutsiderIsNotAskedForANumber(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b, withApprovers(bob, carol))
		ts := h.bmPromote(h.bot, "Refund policy update")
		calls, views := len(h.conversations()), len(h.state().Views)
		said := h.clickAnswer(h.bot, dave, ts, render.ActionCall, h.callMe(ts))
		if len(h.phoneForms()) > 0 {
			// Go on as the outsider would: the number is kept, then refused.
			h.submitPhone(h.bot, dave, h.lastPhoneForm(), bobPhone)
			t.Errorf("the outsider was asked for a phone number before being refused; after giving it: kept %q, told %q",
				h.phoneOf(dave), h.newEphemerals(dave, 0))
		} else if !strings.Contains(said, "may approve") {
			t.Errorf("the outsider was not refused: %q", said)
		}
		if n := len(h.conversations()); n != calls {
			t.Errorf("the outsider's call was placed")
		}
		if n := len(h.state().Views); n != views {
			t.Errorf("%d modal(s) opened for the outsider", n-views)
		}
	})
}

// TestTestCallCheckFailedRefused: a version whose security check failed is
// never called; the refusal says why (the reason) and nothing rings. v1: the
// promotion's version failed its check; the branch model: the draft's scan
// failed (and a revision's check is failed by hand).
func TestTestCallCheckFailedRefused(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		const reason = "prompt asks for card numbers"
		if m.branch {
			if err := h.sim.SetScanOutcome(a.ID, h.branch(a.ID, "Refund policy update").ID, "fail", reason); err != nil {
				t.Fatal(err)
			}
		} else if err := h.sim.FailNextCheck(a.ID, "failed", reason); err != nil {
			t.Fatal(err)
		}
		ts := h.bmPromote(h.bot, "Refund policy update")
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		if p := h.promotionAt(ts); p.State != state.Failed {
			t.Fatalf("promotion is %s, want failed", p.State)
		}
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		v2 := h.versionN(m, a.ID, 2)
		if err := h.sim.SetCheck(v2, "failed", reason); err != nil {
			t.Fatal(err)
		}
		failedTarget := `call support-concierge "Refund policy update"` // the branch's draft keeps its failed scan
		if !m.branch {
			failedTarget = "call support-concierge v4" // the version the promotion published
		}
		tests := []struct {
			name string
			act  func() string
		}{
			{"the failed target by command", func() string { return h.answer(h.bot, bob, failedTarget) }},
			{"a version whose check failed", func() string { return h.answer(h.bot, bob, "call support-concierge v2") }},
			{"by id", func() string { return h.answer(h.bot, bob, "call support-concierge "+v2) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				calls, views := len(h.conversations()), len(h.state().Views)
				said := tt.act()
				for _, w := range []string{"security check", reason, "No call was placed"} {
					if !strings.Contains(said, w) {
						t.Errorf("refusal lacks %q: %s", w, said)
					}
				}
				h.wantNoCall(calls, views)
				if n := h.callWrites(); n != 0 {
					t.Errorf("%d call request(s) reached Atoms", n)
				}
			})
		}
	})
}

// TestCallMeOnFailedPromotionSaysWhy: Call me on a request whose version
// failed its security check is refused, places no call, and says why: the
// check failed, with its reason.
func TestCallMeOnFailedPromotionSaysWhy(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		const reason = "prompt asks for card numbers"
		if m.branch {
			if err := h.sim.SetScanOutcome(a.ID, h.branch(a.ID, "Refund policy update").ID, "fail", reason); err != nil {
				t.Fatal(err)
			}
		} else if err := h.sim.FailNextCheck(a.ID, "failed", reason); err != nil {
			t.Fatal(err)
		}
		ts := h.bmPromote(h.bot, "Refund policy update")
		value := h.callMe(ts)
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		if p := h.promotionAt(ts); p.State != state.Failed {
			t.Fatalf("promotion is %s, want failed", p.State)
		}
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		calls, views := len(h.conversations()), len(h.state().Views)
		said := h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
		h.wantNoCall(calls, views)
		if !strings.Contains(said, "security check") || !strings.Contains(said, reason) {
			t.Errorf("the refusal does not say why (the failed check and its reason): %q", said)
		}
	})
}

// TestTestCallArchivedAgent: Atoms refuses calls of an archived agent; the
// user reads it in plain words (no status codes, no internals) and nothing
// rings, by command and by button.
func TestTestCallArchivedAgent(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		ts := h.bmPromote(h.bot, "Refund policy update")
		value := h.callMe(ts)
		v2 := h.versionN(m, a.ID, 2)
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		if err := h.atomsClient().ArchiveAgent(t.Context(), a.ID, true); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			act  func() string
		}{
			{"the live version", func() string { return h.answer(h.bot, bob, "call "+a.ID) }},
			{"a version", func() string { return h.answer(h.bot, bob, "call "+a.ID+" "+v2) }},
			{"the approval request's Call me", func() string { return h.clickAnswer(h.bot, bob, ts, render.ActionCall, value) }},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				h.clock.Advance(13 * time.Minute)
				calls, views := len(h.conversations()), len(h.state().Views)
				said := tt.act()
				if !strings.Contains(said, "archived") || !strings.Contains(said, "No call was placed") {
					t.Errorf("answer does not say the agent is archived: %s", said)
				}
				for _, internal := range []string{"HTTP", "400", "atoms:", "POST", "/agent/", "x-request-id"} {
					if strings.Contains(said, internal) {
						t.Errorf("answer shows internals (%q): %s", internal, said)
					}
				}
				wantNoNumber(t, "the answer", said, bobPhone)
				h.wantNoCall(calls, views)
			})
		}
	})
}

// TestCallMeAfterPromotionEnded: once a promotion is live, rejected or
// cancelled, its Call me is refused (there is nothing of it to call) and
// nothing rings.
func TestCallMeAfterPromotionEnded(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		tests := []struct {
			name string
			end  func(h *harness, ts string)
			want string
		}{
			{"live", func(h *harness, ts string) {
				h.approve(bob, ts)
				for range 4 {
					h.advance(7 * time.Second)
				}
			}, "live"},
			{"rejected", func(h *harness, ts string) {
				h.bot.reject(bob, ts, "")
			}, "rejected"},
			{"cancelled", func(h *harness, ts string) { h.bot.command(alice, "cancel support-concierge") }, "cancelled"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := m.harness(t, b)
				ts := h.bmPromote(h.bot, "Refund policy update")
				value := h.callMe(ts)
				tt.end(h, ts)
				if p := h.promotionAt(ts); string(p.State) != tt.want {
					t.Fatalf("promotion is %s, want %s", p.State, tt.want)
				}
				if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
					t.Fatal(err)
				}
				calls, views := len(h.conversations()), len(h.state().Views)
				said := h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
				if !strings.Contains(said, "already "+tt.want) {
					t.Errorf("answer: %q", said)
				}
				h.wantNoCall(calls, views)
				if n := threadCount(h, ts, "test-called"); n != 0 {
					t.Errorf("the ended promotion's thread got %d test-call notes", n)
				}
			})
		}
	})
}

// TestCallMeBetweenCommitAndPoll (branch model): the scan committed the
// staged draft as a revision, and the engine has not polled since (its
// record still names no revision). A Call me then rings the committed
// revision, what the approvers approve: it is neither refused because the
// draft is gone, nor played from a draft someone opened on the branch
// since.
func TestCallMeBetweenCommitAndPoll(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		tests := []struct {
			name     string
			newDraft bool // someone opens a new draft on the branch after the commit
		}{
			{"the draft is gone", false},
			{"a new draft was opened since", true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, b, branchModel("v2"))
				a := h.agent(demoAgent)
				feature := h.branch(a.ID, "Refund policy update")
				ts := h.bmPromote(h.bot, "Refund policy update")
				value := h.callMe(ts)
				if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
					t.Fatal(err)
				}
				h.clock.Advance(7 * time.Second) // the scan passes and commits; no poll yet
				revs, _ := h.sim.Revisions(a.ID, feature.ID)
				if len(revs) != 1 {
					t.Fatalf("the scan did not commit: %+v", revs)
				}
				committed := revs[0].ID
				if tt.newDraft {
					if _, err := h.sim.DashboardEditDraft(a.ID, feature.ID, map[string]any{"firstMessage": "Not what the approvers saw"}, "maria.gonzalez"); err != nil {
						t.Fatal(err)
					}
				}
				said := h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
				cs := h.conversations()
				if len(cs) != 1 {
					t.Fatalf("%d calls; bob was told %q", len(cs), said)
				}
				if cs[0].VersionID != committed {
					t.Errorf("the call played %s, want the committed revision %s the approvers approve", cs[0].VersionID, committed)
				}
				if tt.newDraft {
					return // what the release makes of the new draft is not the call's business
				}
				for i := 0; i < 10 && h.promotionAt(ts).VersionID == ""; i++ {
					h.advance(time.Second)
				}
				if p := h.promotionAt(ts); p.VersionID != committed {
					t.Fatalf("the engine names %q, want %s (promotion %s %q)", p.VersionID, committed, p.State, p.Reason)
				}
			})
		}
	})
}

// TestCallMeAfterScanFailedBeforePoll: the check of the request's version
// (v1) or staged draft (branch model) failed, and the engine has not polled
// since. A Call me must not play what failed its check; it says why.
func TestCallMeAfterScanFailedBeforePoll(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		feature := h.agent(demoAgent).Name
		const reason = "prompt asks for card numbers"
		if m.branch {
			br := h.branch(a.ID, "Refund policy update")
			feature = br.Name
			if err := h.sim.SetScanOutcome(a.ID, br.ID, "fail", reason); err != nil {
				t.Fatal(err)
			}
		} else if err := h.sim.FailNextCheck(a.ID, "failed", reason); err != nil {
			t.Fatal(err)
		}
		ts := h.bmPromote(h.bot, "Refund policy update")
		value := h.callMe(ts)
		if err := h.bot.store.SetPhone(t.Context(), bob, bobPhone); err != nil {
			t.Fatal(err)
		}
		h.clock.Advance(7 * time.Second) // the check fails; no poll yet
		if m.branch {
			if got := h.branch(a.ID, feature); got.CheckStatus != "failed" {
				t.Fatalf("the draft's check is %q, want failed", got.CheckStatus)
			}
		}
		if p := h.promotionAt(ts); p.CheckStatus == "failed" {
			t.Fatalf("the engine already knows: %+v", p)
		}
		said := h.clickAnswer(h.bot, bob, ts, render.ActionCall, value)
		if cs := h.conversations(); len(cs) != 0 {
			t.Errorf("what failed its check was called: %+v", cs)
		}
		if !strings.Contains(said, "security check") || !strings.Contains(said, reason) {
			t.Errorf("bob was told %q, want the failed check and its reason", said)
		}
	})
}
