package main

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestSandboxInBrowser drives the whole story in the page with a real
// browser: help, agents, diff, edit in the modal (with a field error first,
// and Escape closing it once), promote, a refused approval by the outsider,
// the approval by bob, the wait for the security check and "is live", then
// a rejection (its confirmation or reason answered). It saves screenshots
// of the channel and of the approval request pending, approved and
// rejected (see sbScreenshotPath for where).
//
// The sandbox simulates the branch model by default, as production runs;
// the same story runs on the drafts + versions model too, and on a
// phone-sized screen, where the sidebar is a drawer. The phone pass also
// tries the sandbox controls (a watch told of a dashboard change, a failing
// security check) and a reload keeping the command history.
func TestSandboxInBrowser(t *testing.T) {
	browser := sbBrowser(t)
	passes := []struct {
		name, model, suffix string
		view                sbViewport
	}{
		{"branch model (default)", "", "", sbDesktop},
		{"v1", "v1", "v1", sbDesktop},
		{"branch model on a phone", "", "phone", sbHandset},
	}
	for _, p := range passes {
		t.Run(p.name, func(t *testing.T) { sbStory(t, browser, p.model, p.suffix, p.view) })
	}
}

// sbStory is the README's story in the sandbox of one model, in one viewport.
func sbStory(t *testing.T, browser, model, suffix string, view sbViewport) {
	w := sbStart(t, sandboxOptions{Model: model, CheckDelay: 2 * time.Second, PollInterval: 200 * time.Millisecond, WatchInterval: 300 * time.Millisecond})
	d := sbOpen(t, browser, w.URL, view)
	if view.narrow() {
		d.step("the sidebar is out of sight until asked for", until(`getComputedStyle(document.querySelector('#sidebar')).visibility === 'hidden'`))
		d.step("☰ opens it as a drawer; Escape closes it and gives focus back", d.openDrawer("menu"),
			until(`document.querySelector('#menu').getAttribute('aria-expanded') === 'true'`),
			chromedp.KeyEvent(kb.Escape),
			until(`document.querySelector('#sidebar.open') === null && document.activeElement === document.querySelector('#menu')`))
	} else {
		sbCheckMrkdwn(t, d)
		sbCheckChips(t, d)
		sbCheckConfirmDialog(t, d)
	}
	d.actAs("UALICE")

	d.command("/atoms help", "drafts, diffs, approvals")
	d.step("the help is only for alice", until(`[...document.querySelectorAll('#feed .msg.ephemeral')].some(m => m.innerText.includes('Only visible to you'))`))
	d.command("/atoms agents", "solar-lead-qualifier")
	d.command(`/atoms diff support-concierge "Refund policy update"`, "Refunds: items can be returned")

	// The edit modal: Escape closes it (and the bot's view with it); then
	// a first message over 500 characters is refused with a field error,
	// and a valid one is saved.
	first := `.modal .bk-input[data-block-id="firstMessage"] .bk-control`
	openEdit := chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("message-box"), `/atoms edit support-concierge "Refund policy update"`+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(first)),
		until(`document.querySelector('.modal [data-block-id="prompt"] textarea').value.includes('Refunds:')`))
	d.step("open the edit modal", openEdit)
	d.step("Escape closes it", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotPresent(chromedp.CSS(".modal")),
		until(`document.activeElement === document.querySelector('#message-box')`))
	if n := len(w.Slack.ViewStack("UALICE")); n != 0 {
		t.Errorf("after Escape alice still has %d modal(s) open", n)
	}
	d.step("open the edit modal again", openEdit)
	d.step("submit an invalid first message",
		chromedp.SetValue(chromedp.CSS(first), strings.Repeat("x", 501)),
		chromedp.Click(chromedp.CSS(".modal-submit")),
		until(`document.querySelector('.modal .bk-input[data-block-id="firstMessage"] .field-error').textContent.includes('500')`))
	const hello = "Hi, this is Northwind Home support. How can I help with your order today?"
	d.step("submit a valid first message",
		chromedp.SetValue(chromedp.CSS(first), hello),
		chromedp.Click(chromedp.CSS(".modal-submit")),
		chromedp.WaitNotPresent(chromedp.CSS(".modal")),
		feedHas("edited draft"), feedHas(hello))

	d.step("promote", chromedp.SendKeys(chromedp.ID("message-box"), `/atoms promote support-concierge "Refund policy update" Refund policy, friendlier greeting`+kb.Enter))
	approved := d.approvalTS()
	d.screenshot(msgSelector(approved), "approval-pending", suffix)

	// Bob listens before approving: Call me asks for his number (an invalid
	// one gets an error under the field), then the sandbox's phone rings in
	// the channel and bob alone sees the number, masked.
	d.actAs("UBOB")
	phone := `.modal .bk-input[data-block-id="phone"] .bk-control`
	d.step("bob clicks Call me on the request", clickInApproval("atoms_call"), chromedp.WaitVisible(chromedp.CSS(phone)))
	d.step("submit an invalid number",
		chromedp.SetValue(chromedp.CSS(phone), "555-0100"),
		chromedp.Click(chromedp.CSS(".modal-submit")),
		until(`document.querySelector('.modal .bk-input[data-block-id="phone"] .field-error').textContent.includes('international form')`))
	d.step("submit bob's number; the phone rings",
		chromedp.SetValue(chromedp.CSS(phone), sbPhone),
		chromedp.Click(chromedp.CSS(".modal-submit")),
		chromedp.WaitNotPresent(chromedp.CSS(".modal")),
		feedHas("Ring ring"), feedHas("+1 ••• ••• 4567"), feedHas("test-called"))
	d.step("the number shows nowhere in full", until(`!document.querySelector('#feed').innerText.includes('5551234567')`))

	// The outsider may not approve; what the bot tells her is hers alone.
	d.actAs("UOLIVIA")
	d.step("olivia does not see bob's number", until(`!document.querySelector('#feed').innerText.includes('••• 4567')`))
	d.step("outsider clicks Approve", clickInApproval("atoms_approve"), feedHas("not on the list of approvers"))
	d.actAs("UBOB")
	d.step("bob does not see olivia's refusal", until(`!document.querySelector('#feed').innerText.includes('not on the list of approvers')`))
	d.step("bob approves; the check passes; the version goes live", clickInApproval("atoms_approve"), feedHas("is live"),
		until(approvalRequest+` === undefined`),
		until(`document.querySelector('#feed .edited') !== null`))
	d.screenshot(msgSelector(approved), "approval-approved", suffix)

	// Another promotion, rejected by bob.
	d.actAs("UALICE")
	d.command(`/atoms promote clinic-scheduler "Insurance questions"`, "Promotion: clinic-scheduler")
	rejected := d.approvalTS()
	d.actAs("UBOB")
	d.step("bob rejects", clickInApproval("atoms_reject"), answerRejection(),
		until(`document.querySelector('.modal') === null`), feedHas("Not before the insurance FAQ is reviewed"))
	d.screenshot(msgSelector(rejected), "approval-rejected", suffix)

	if view.narrow() {
		sbTryControls(t, d)
	}

	st := w.Slack.Snapshot()
	wantLive := 1
	if view.narrow() {
		wantLive++ // the watch's announcement of the dashboard's change
	}
	if n := st.CountText("is live"); n != wantLive {
		t.Errorf("%d posts say 'is live', want %d", n, wantLive)
	}
	sbCheckTestCall(t, st)
	approval := sbApprovalMessage(t, st)
	// Posted while the check was still running (the branch model says
	// "queued", v1 "pending"), then edited in place.
	if first := string(approval.History[0].Blocks); approval.Edits == 0 || !strings.Contains(first, `*Security check*\n:hourglass_flowing_sand:`) {
		t.Errorf("the approval request was not posted while the check was running, then edited in place: %d edits, first %s", approval.Edits, approval.History)
	}
	d.screenshot("", "sandbox-channel", suffix)
	d.checkConsole()
}

// answerRejection answers whatever a click on Reject asks: a confirmation
// dialog (focus on its safe button, then confirmed) or a modal asking for
// a reason (given, then submitted), until the request says it was
// rejected and offers no buttons any more.
func answerRejection() chromedp.Action[chromedp.Void] {
	return until(`(() => {
		const dialog = document.querySelector('.confirm');
		if (dialog) {
			if (!document.activeElement.matches('.confirm-deny')) throw new Error('the confirmation does not start on its safe button');
			dialog.querySelector('.confirm-ok').click();
			return false;
		}
		const modal = document.querySelector('.modal[data-view-id]');
		if (modal) {
			for (const c of modal.querySelectorAll('.bk-control')) {
				if (c.tagName === 'SELECT' && !c.value && c.options.length > 1) c.value = c.options[1].value;
				else if (c.tagName !== 'SELECT' && !c.value) c.value = 'Not before the insurance FAQ is reviewed';
			}
			const submit = modal.querySelector('.modal-submit');
			if (submit && !submit.disabled) submit.click();
			return false;
		}
		const m = [...document.querySelectorAll('#feed .msg:not(.ephemeral)')].find(m => m.innerText.includes('clinic-scheduler') && /rejected/i.test(m.innerText));
		return m !== undefined && !m.querySelector('button[data-action-id="atoms_reject"]');
	})()`)
}

// sbTryControls is what only the sandbox's controls show: a watched agent
// changed in the dashboard is announced, channel names read as names, a
// failing security check ends a promotion, and the command history
// survives a reload.
func sbTryControls(t *testing.T, d *sbDriver) {
	d.actAs("UALICE")
	d.command("/atoms watch support-concierge", "support-concierge")
	d.command("/atoms status support-concierge", "Watched in")
	d.step("a channel reads as its name", feedHas("Watched in #agent-releases"), until(`!document.querySelector('#feed').innerText.includes('#CRELEASES')`))
	d.control("change-live", "support-concierge", "is live now")
	d.step("the watch announces it", feedHas("activated outside atomsbot"))

	d.control("fail-next-check", "payment-reminders", "will fail")
	d.command(`/atoms promote payment-reminders "Hardship options"`, "Promotion: payment-reminders")
	d.step("the check fails; the promotion ends", feedHas(simFailReason))

	d.step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".conn.live")), until(`document.querySelector('#chips [data-subcommand]') !== null`))
	d.step("↑ recalls the last command after a reload", chromedp.SendKeys(chromedp.ID("message-box"), kb.ArrowUp),
		until(`document.querySelector('#message-box').value === `+jsString(`/atoms promote payment-reminders "Hardship options"`)))
	d.step("↑ again, the one before", chromedp.SendKeys(chromedp.ID("message-box"), kb.ArrowUp),
		until(`document.querySelector('#message-box').value === '/atoms status support-concierge'`))
}

// sbCheckChips: the hint chips under the message box name every subcommand
// the parser knows, in the help's order, and one fills in the box.
func sbCheckChips(t *testing.T, d *sbDriver) {
	got := d.eval(`[...document.querySelectorAll('#chips [data-subcommand]')].map(b => b.dataset.subcommand).join(' ')`)
	if want := strings.Join(command.Order, " "); got != want {
		t.Errorf("chips %q, want %q", got, want)
	}
	d.step("a chip fills in the box", chromedp.Click(chromedp.CSS(`#chips [data-subcommand="diff"]`)),
		until(`document.querySelector('#message-box').value === '/atoms diff '`),
		until(`document.querySelector('#usage-hint').textContent.includes(`+jsString(command.UsageOf(command.Diff))+`)`),
		until(`(() => { const b = document.querySelector('#message-box'); b.value = ''; b.dispatchEvent(new Event('input')); return true; })()`))
}

// sbCheckConfirmDialog opens the page's confirmation dialog as a button's
// confirm object would: focus starts on the safe choice, and Escape
// declines.
func sbCheckConfirmDialog(t *testing.T, d *sbDriver) {
	d.eval(`import("/sandbox/static/modal.js").then(m => {
		window.sbConfirmed = 'open';
		m.confirmDialog({title: {type: "plain_text", text: "Reject?"}, text: {type: "mrkdwn", text: "Sure?"},
			confirm: {type: "plain_text", text: "Reject"}, deny: {type: "plain_text", text: "Keep it"}, style: "danger"}, {})
			.then(v => window.sbConfirmed = String(v));
		return '';
	})`)
	d.step("the confirmation starts on its safe button", until(`document.activeElement.matches('.confirm .confirm-deny')`))
	d.step("Escape declines", chromedp.KeyEvent(kb.Escape), until(`window.sbConfirmed === 'false' && document.querySelector('.confirm') === null`))
}

// sbPhone is bob's number in the browser story.
const sbPhone = "+15551234567"

// sbCheckTestCall checks what Slack holds of bob's test call: one "Ring
// ring" in the channel naming the call, the number masked in bob's
// ephemeral only, and in full nowhere.
func sbCheckTestCall(t *testing.T, st slackfake.State) {
	t.Helper()
	rings, masked := 0, 0
	for _, m := range st.Messages {
		all := m.Text + string(m.Blocks)
		for _, v := range m.History {
			all += v.Text + string(v.Blocks)
		}
		if strings.Contains(all, strings.TrimPrefix(sbPhone, "+")) {
			t.Errorf("a message shows bob's number in full: %s", m.Text)
		}
		if strings.Contains(m.Text, "Ring ring") && strings.Contains(m.Text, "CALL-") && !m.Ephemeral {
			rings++
		}
		if strings.Contains(all, "+1 ••• ••• 4567") {
			masked++
			if m.User != "UBOB" || !m.Ephemeral {
				t.Errorf("the masked number was shown to %q (ephemeral %v)", m.User, m.Ephemeral)
			}
		}
	}
	if rings != 1 || masked != 1 {
		t.Errorf("%d Ring ring message(s), %d masked number(s); want 1 and 1", rings, masked)
	}
}

// sbCheckMrkdwn renders mrkdwn with the page's own module and compares the
// DOM it builds: formatting, Slack's entities, mentions, links (only http(s)
// and mailto become links), code blocks, quotes, emoji and dates.
func sbCheckMrkdwn(t *testing.T, d *sbDriver) {
	tests := []struct{ name, in, want string }{
		{"formatting", "*bold* and _italic_ and ~gone~", "<b>bold</b> and <i>italic</i> and <s>gone</s>"},
		{"underscores inside words", "snake_case_name and a_b", "snake_case_name and a_b"},
		{"entities stay text", "`a &lt;b&gt;` &amp; &lt;!channel&gt;", `<code class="code">a &lt;b&gt;</code> &amp; &lt;!channel&gt;`},
		{"mentions", "<@UALICE> in <#C1|deploys>", `<span class="mention">@alice</span> in <span class="mention">#deploys</span>`},
		{"links", "<https://example.com/x|docs> <javascript:alert(1)|x>", `<a class="link" href="https://example.com/x" target="_blank" rel="noopener noreferrer">docs</a> &lt;javascript:alert(1)|x&gt;`},
		{"bold around a link", "*see <https://example.com|this>*", `<b>see <a class="link" href="https://example.com" target="_blank" rel="noopener noreferrer">this</a></b>`},
		{"code block", "before\n```\nline 1\n  *line* 2\n```\nafter", "before<pre class=\"code-block\">line 1\n  *line* 2</pre>after"},
		{"quote", "> quoted\nplain", `<blockquote class="quote">quoted</blockquote>plain`},
		{"emoji", ":white_check_mark: done :not_an_emoji:", "✅ done :not_an_emoji:"},
		{"date", "<!date^1793696400^{date_num}|fallback>", `<time class="date">2026-11-03</time>`},
		{"a date with an unknown token shows its fallback as typed", "*a <!date^0^{_}|*>b<!date^0^{_}|*>*", `<b>a <time class="date">*</time>b<time class="date">*</time></b>`},
		{"a known channel by its name", "<#CRELEASES> and <#CRELEASES|old-name>", `<span class="mention">#agent-releases</span> and <span class="mention">#agent-releases</span>`},
		{"an unknown channel by its label, else its id", "<#C2|deploys> <#C3>", `<span class="mention">#deploys</span> <span class="mention">#C3</span>`},
	}
	for _, tc := range tests {
		t.Run("mrkdwn/"+tc.name, func(t *testing.T) {
			js := `import("/sandbox/static/mrkdwn.js").then(m => { const d = document.createElement("div"); d.append(m.mrkdwn(` +
				jsString(tc.in) + `, {userName: id => ({UALICE: "alice"})[id] || id, channelName: id => ({CRELEASES: "agent-releases"})[id]})); return d.innerHTML; })`
			got, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

// sbApprovalMessage finds the approval request: the top-level bot message
// that had Approve buttons.
func sbApprovalMessage(t *testing.T, st slackfake.State) slackfake.Message {
	t.Helper()
	for _, m := range st.Messages {
		if m.Method == slackfake.MethodPostMessage && m.ThreadTS == "" && len(m.History) > 0 && strings.Contains(string(m.History[0].Blocks), `"atoms_approve"`) {
			return m
		}
	}
	t.Fatal("no approval request was posted")
	return slackfake.Message{}
}
