package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// messageAt is the message at ts as it stands, fallback text and blocks decoded.
func (h *harness) messageAt(ts string) string {
	h.t.Helper()
	m, ok := h.state().Find(testChannel, ts)
	if !ok {
		h.t.Fatalf("no message at %s", ts)
	}
	return m.Text + "\n" + decodedJSON(h.t, m.Blocks)
}

// TestRejectAsksForAReason: Reject opens a form (with the click's trigger
// id); the reason given there is shown in the request and in the thread
// note, which mentions the requester; the ended request keeps only what is
// true and offers to reopen the version as a draft.
func TestRejectAsksForAReason(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		ts := h.bmPromote(h.bot, "Refund policy update")
		before := len(h.rejectForms(bob))
		h.sim.ResetCalls()
		h.bot.click(bob, ts, render.ActionReject, buttonValue(t, h.approvalMessageAt(ts), render.ActionReject))
		if calls := h.sim.Calls(); len(calls) != 0 {
			t.Errorf("the Reject click called Atoms %d times before the form opened; it reads Redis only", len(calls))
		}
		forms := h.rejectForms(bob)
		if len(forms) != before+1 {
			t.Fatalf("Reject opened %d forms, want 1:%s", len(forms)-before, h.dump())
		}
		f := forms[len(forms)-1]
		if f.submit != "Reject" || !strings.Contains(f.text, "Reason") {
			t.Errorf("the form's submit is %q, want Reject, with a reason field:\n%s", f.submit, f.text)
		}
		if p := h.promotionAt(ts); p.State != state.Published {
			t.Fatalf("the click alone ended the promotion (%s): the form is the confirmation", p.State)
		}
		h.bot.submitReject(bob, f, "not during the <!channel> sale")
		h.advance(time.Second)
		if p := h.promotionAt(ts); p.State != state.Rejected || p.Reason != "not during the <!channel> sale" {
			t.Fatalf("promotion %s with reason %q, want rejected with the reason", p.State, p.Reason)
		}
		final := h.messageAt(ts)
		for _, want := range []string{":no_entry: Rejected by <@UBOB> — not during the &lt;!channel&gt; sale", render.ActionReopen, "Reopen as a draft"} {
			if !strings.Contains(final, want) {
				t.Errorf("the request does not show %q:\n%s", want, final)
			}
		}
		for _, not := range []string{"pending", "Who may approve", "0 of 1", render.ActionApprove, render.ActionCancel} {
			if strings.Contains(final, not) {
				t.Errorf("the rejected request still shows %q:\n%s", not, final)
			}
		}
		if !threadSays(h, ts, "rejected by <@UBOB> — not during the &lt;!channel&gt; sale. cc <@UALICE>") {
			t.Errorf("no thread note with the reason mentioning the requester:%s", h.dump())
		}
	})
}

// TestCraftedClickOnAnotherMessageIsRefused: Approve, Reject and Cancel act
// only on the promotion of the message they were clicked on. A payload that
// carries a real button value from another message changes nothing.
func TestCraftedClickOnAnotherMessageIsRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, ts := h.promote(h.bot, alice)
		msg := h.approvalMessageAt(ts)
		const otherTS = "1700000000.000100" // another message of the channel
		forms := len(h.rejectForms(bob))
		for _, id := range []string{render.ActionApprove, render.ActionReject, render.ActionCancel} {
			h.bot.click(bob, otherTS, id, buttonValue(t, msg, id))
			if got := h.lastEphemeral(bob); !strings.Contains(got, "does not belong to this promotion") {
				t.Errorf("%s on another message: answer %q", id, got)
			}
		}
		h.bot.click(alice, otherTS, render.ActionCancel, buttonValue(t, msg, render.ActionCancel))
		p := h.promotionAt(ts)
		if approvals, _ := h.bot.store.Approvals(t.Context(), p.ID); p.State != state.Published || len(approvals) != 0 {
			t.Errorf("after crafted clicks: %s with %d approvals, want published with none", p.State, len(approvals))
		}
		if n := len(h.rejectForms(bob)); n != forms {
			t.Errorf("a crafted Reject opened the form")
		}
		// The same buttons on their own message work.
		h.approve(bob, ts)
		if approvals, _ := h.bot.store.Approvals(t.Context(), p.ID); len(approvals) != 1 {
			t.Errorf("%d approvals after a click on the request, want 1", len(approvals))
		}
	})
}

// TestCancelButtonIsTheRequesters: the requester's Cancel ends their own
// request; anyone else's click gets a polite refusal and changes nothing.
func TestCancelButtonIsTheRequesters(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		ts := h.bmPromote(h.bot, "Refund policy update")
		value := buttonValue(t, h.approvalMessageAt(ts), render.ActionCancel)
		h.bot.click(bob, ts, render.ActionCancel, value)
		if got := h.lastEphemeral(bob); !strings.Contains(got, "Only <@UALICE>, who requested it, can cancel this request") {
			t.Errorf("bob's Cancel: answer %q", got)
		}
		if p := h.promotionAt(ts); p.State != state.Published {
			t.Fatalf("bob's Cancel changed the promotion to %s", p.State)
		}
		h.bot.click(alice, ts, render.ActionCancel, value)
		if p := h.promotionAt(ts); p.State != state.Cancelled || p.EndedBy != alice {
			t.Fatalf("alice's Cancel: %s by %q, want cancelled by her", p.State, p.EndedBy)
		}
		if got := h.lastEphemeral(alice); !strings.Contains(got, "Cancelled your request") {
			t.Errorf("alice's Cancel: answer %q", got)
		}
	})
}

// TestRollBackButtonStartsTheRollbackFlow: "is live" names the version it
// replaced; its "Roll back to …" button asks for approval of that rollback
// like /atoms rollback, and is refused cleanly while something is in flight
// or when the version is gone.
func TestRollBackButtonStartsTheRollbackFlow(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		ts := h.bmPromote(h.bot, "Refund policy update")
		h.approve(bob, ts)
		for range 4 {
			h.advance(7 * time.Second)
		}
		var live string
		var liveTS string
		for _, msg := range h.state().ChannelMessages(testChannel) {
			if strings.Contains(msg.Text, "is live") && msg.ThreadTS == "" && !strings.Contains(msg.Text, "Approval") {
				live, liveTS = msg.Text+"\n"+decodedJSON(t, msg.Blocks), msg.TS
			}
		}
		if live == "" {
			t.Fatalf("no is-live message:%s", h.dump())
		}
		p := h.promotionAt(ts)
		if !strings.Contains(live, "it replaces ") || !strings.Contains(live, "Roll back to ") || !strings.Contains(live, "<@UALICE>") {
			t.Fatalf("the is-live message does not name the replaced version, offer to roll back and mention the requester:\n%s", live)
		}
		value := render.RollbackValue(p.AgentID, p.PreviousVersionID)
		if !strings.Contains(live, value) {
			t.Errorf("the Roll back button does not carry %q:\n%s", value, live)
		}

		h.bot.click(carol, liveTS, render.ActionRollback, "")
		if got := h.lastEphemeral(carol); !strings.Contains(got, "does not name a version") {
			t.Errorf("a Roll back button without a value: answer %q", got)
		}
		h.bot.click(carol, liveTS, render.ActionRollback, render.RollbackValue(p.AgentID, "000000000000000000000000"))
		if got := h.lastEphemeral(carol); !strings.Contains(got, "no longer on Atoms") {
			t.Errorf("a Roll back to a version that is gone: answer %q", got)
		}

		h.bot.click(carol, liveTS, render.ActionRollback, value)
		back := h.newestApproval()
		if back == ts {
			t.Fatalf("no rollback request:%s", h.dump())
		}
		rb := h.promotionAt(back)
		if rb.Kind != state.KindRollback || rb.Requester != carol || rb.VersionID != p.PreviousVersionID {
			t.Errorf("the button asked for %s of %s by %s, want a rollback to %s by carol", rb.Kind, rb.VersionID, rb.Requester, p.PreviousVersionID)
		}
		if got := h.messageAt(back); !strings.Contains(got, "a rollback to an earlier version") {
			t.Errorf("the rollback request does not say it goes back:\n%s", got)
		}

		h.bot.click(dave, liveTS, render.ActionRollback, value)
		if got := h.lastEphemeral(dave); !strings.Contains(got, "in flight") {
			t.Errorf("a second Roll back while one is in flight: answer %q", got)
		}
	})
}

// TestNothingToPromoteOnBothModels: a draft with no changes against the
// live version is refused before anything is published.
func TestNothingToPromoteOnBothModels(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		if m.branch {
			id, err := h.sim.DashboardFork(a.ID, h.liveBranch(a.ID).ID, "unchanged", "dana")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.sim.DashboardEditDraft(a.ID, id, map[string]any{}, "dana"); err != nil {
				t.Fatal(err)
			}
		} else {
			if _, err := h.atomsClient().CreateDraft(t.Context(), a.ID, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: "unchanged"}); err != nil {
				t.Fatal(err)
			}
		}
		versions := len(h.live(a.ID).Versions)
		got := h.reply(`promote support-concierge unchanged`)
		if !strings.Contains(got, "has no changes against the active") || !strings.Contains(got, "nothing to promote") {
			t.Errorf("answer %q, want nothing to promote", got)
		}
		for _, e := range h.ephemeralTo(alice) {
			if strings.Contains(e, "Publishing") {
				t.Errorf("the refusal followed a promise: %q", e)
			}
		}
		if n := h.publishes(a.ID, versions); n != 0 {
			t.Errorf("%d versions published", n)
		}
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("the agent is locked by %s", holder)
		}
	})
}

// TestRequestNamesWhoEditedTheDraft: saves made through atomsbot's form
// are remembered, and the approval request names their authors.
func TestRequestNamesWhoEditedTheDraft(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		for i, user := range []string{carol, dave, carol} {
			f := h.openEdit(user, `support-concierge "Refund policy update"`)
			if rec := h.submit(user, f, map[string]string{"firstMessage": "Hello from edit " + string(rune('A'+i))}); rec.Code != 200 || rec.Body.Len() != 0 {
				t.Fatalf("save by %s: %d %q", user, rec.Code, rec.Body)
			}
		}
		ts := h.bmPromote(h.bot, "Refund policy update")
		if got := h.messageAt(ts); !strings.Contains(got, "Requested by <@UALICE> · edited by <@UCAROL>, <@UDAVE>") {
			t.Errorf("the request does not name the editors in order:\n%s", got)
		}
	})
}

// TestRequestWarnsOfAForkFromAnotherVersion: a draft forked before the
// active version changed carries more than its own edits; the request says
// so in one line.
func TestRequestWarnsOfAForkFromAnotherVersion(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		a := h.agent(demoAgent)
		if m.branch {
			main := h.liveBranch(a.ID)
			fork, err := h.sim.DashboardFork(a.ID, main.ID, "experiment", "dana")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.sim.DashboardEditDraft(a.ID, fork, map[string]any{"firstMessage": "Hello from the experiment"}, "dana"); err != nil {
				t.Fatal(err)
			}
			if _, err := h.sim.DashboardPublish(a.ID, main.ID, map[string]any{"firstMessage": "Hello from the dashboard"}, "erin"); err != nil {
				t.Fatal(err)
			}
		} else {
			if _, err := h.atomsClient().CreateDraft(t.Context(), a.ID, atoms.CreateDraftRequest{SourceVersionID: a.Versions[0].ID, DraftName: "experiment"}); err != nil {
				t.Fatal(err)
			}
		}
		want := map[bool]string{false: "forked from v1, not from the active v3", true: "forked from v3, not from the active v4"}[m.branch]
		ts := h.bmPromote(h.bot, "experiment")
		if got := h.messageAt(ts); !strings.Contains(got, ":warning: This draft was "+want+": the diff also carries what differs between them.") {
			t.Errorf("no fork warning saying %q:\n%s", want, got)
		}
	})
}

// TestRollbackToARejectedNewerVersion: `/atoms rollback` to the version
// whose promotion was just rejected does not ask for "a rollback to an
// earlier version": it says the version is newer and who rejected it.
func TestRollbackToARejectedNewerVersion(t *testing.T) {
	eachCallModel(t, func(t *testing.T, b backend, m callModel) {
		h := m.harness(t, b)
		ts := h.bmPromote(h.bot, "Refund policy update")
		h.advance(7 * time.Second) // the check passes
		h.bot.reject(bob, ts, "wrong refund window")
		h.advance(2 * time.Minute)
		ref := workflow.VersionName(h.promotionAt(ts))
		if got := h.reply(`rollback support-concierge "` + ref + `"`); !strings.Contains(got, "ready") {
			t.Fatalf("rollback to %s: %s", ref, got)
		}
		back := h.newestApproval()
		got := h.messageAt(back)
		for _, want := range []string{"v3 (active) → *" + ref + "*", ":warning: " + ref + " is newer than the active v3", "was rejected by <@UBOB> <!date^", "— wrong refund window"} {
			if !strings.Contains(got, want) {
				t.Errorf("the rollback request does not show %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "— a rollback to an earlier version") {
			t.Errorf("the request calls a newer version an earlier one:\n%s", got)
		}
	})
}
