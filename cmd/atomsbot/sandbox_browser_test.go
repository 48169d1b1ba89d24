package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// sbBrowser finds a Chromium: $ATOMSBOT_BROWSER, else Debian's chromium (or
// another Chrome) on PATH.
func sbBrowser() string {
	if p := os.Getenv("ATOMSBOT_BROWSER"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// sbDriver drives one page of the sandbox in a headless browser.
type sbDriver struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string // uncaught exceptions and console errors
}

// step runs actions with a deadline, failing the test with the channel's
// text when they do not complete.
func (d *sbDriver) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, sbGuard)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		feed, _ := chromedp.Run(d.ctx, chromedp.Evaluate[string](`document.querySelector('#feed') ? document.querySelector('#feed').innerText : ''`))
		d.t.Fatalf("%s: %v\nthe channel shows:\n%s", name, err, feed)
	}
}

// until waits for a JavaScript condition, re-checked on every DOM change.
func until(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// feedHas waits until the channel's text contains s.
func feedHas(s string) chromedp.Action[chromedp.Void] {
	return until(`document.querySelector('#feed').innerText.includes(` + jsString(s) + `)`)
}

// command types a slash command into the message box and sends it with Enter.
func (d *sbDriver) command(text string, wantInFeed string) {
	d.t.Helper()
	d.step("/atoms "+text, chromedp.SendKeys(chromedp.ID("message-box"), text+kb.Enter), feedHas(wantInFeed))
}

func (d *sbDriver) actAs(user string) {
	d.t.Helper()
	d.step("switch to "+user,
		chromedp.Click(chromedp.CSS(`.user-switch[data-user="`+user+`"]`)),
		until(`document.querySelector('.user-switch[data-user="`+user+`"]').getAttribute('aria-pressed') === 'true'`))
}

// clickInFeed clicks the first button of the channel with exactly this text.
// Finding and clicking happen in one page-side step, retried until the button
// exists: the feed re-renders as messages are updated, so a node looked up
// first and clicked later may be gone.
func clickInFeed(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		const b = document.evaluate('//div[@id="feed"]//button[normalize-space(.)="`+text+`"]', document, null,
			XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
		if (!b) return false;
		b.click();
		return true;
	})()`, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

// clickInApproval clicks the button with exactly this text in the approval
// request (the channel message that has an Approve button), not in another
// message: alice's diff of the draft offers Call me too, and it may still
// be on the page for a moment after switching users.
func clickInApproval(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		for (const m of document.querySelectorAll('#feed .msg:not(.ephemeral)')) {
			const bs = [...m.querySelectorAll('button')];
			if (!bs.some(b => b.innerText.trim() === "Approve")) continue;
			const b = bs.find(b => b.innerText.trim() === `+jsString(text)+`);
			if (b) { b.click(); return true; }
		}
		return false;
	})()`, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

// buttonShown is a JavaScript condition: the channel shows a button with
// exactly this text.
func buttonShown(text string) string {
	return `document.evaluate('//div[@id="feed"]//button[normalize-space(.)="` + text + `"]', document, null, XPathResult.BOOLEAN_TYPE, null).booleanValue`
}

// TestSandboxInBrowser drives the whole story in the page with a real
// browser: help, agents, diff, edit in the modal (with a field error first),
// promote, a refused approval by the outsider, the approval by bob, the wait
// for the security check and "is live", then a rejection confirmed in the
// button's dialog. It ends with a screenshot of the channel (see
// sbScreenshotPath for where).
//
// The sandbox simulates the branch model by default, as production runs;
// the same story runs on the drafts + versions model too.
func TestSandboxInBrowser(t *testing.T) {
	browser := sbBrowser()
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium found (install it: apt-get install -y chromium); CI must run the browser test")
		}
		t.Skip("no chromium found; install it with apt-get install -y chromium to run the browser test")
	}
	for _, model := range []string{"", "v1"} {
		name := "branch model (default)"
		if model != "" {
			name = model
		}
		t.Run(name, func(t *testing.T) { sbStory(t, browser, model) })
	}
}

// sbStory is the README's story in the sandbox of one model.
func sbStory(t *testing.T, browser, model string) {
	w := sbStart(t, sandboxOptions{Model: model, CheckDelay: 2 * time.Second, PollInterval: 200 * time.Millisecond})

	profile := sbProfileDir(t)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	d := &sbDriver{t: t, ctx: ctx}
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start %s: %v", browser, err)
	}
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				d.mu.Lock()
				d.problems = append(d.problems, m.String())
				d.mu.Unlock()
			}
		}
	}()

	d.step("open the page", chromedp.Navigate(w.URL), chromedp.WaitVisible(chromedp.CSS(".conn.live")),
		until(`document.querySelector('#channel-name').textContent === '#agent-releases'`))
	sbCheckMrkdwn(t, ctx)
	d.actAs("UALICE")

	d.command("/atoms help", "drafts, diffs, approvals")
	d.step("the help is only for alice", until(`[...document.querySelectorAll('#feed .msg.ephemeral')].some(m => m.innerText.includes('Only visible to you'))`))
	d.command("/atoms agents", "solar-lead-qualifier")
	d.command(`/atoms diff support-concierge "Refund policy update"`, "Refunds: items can be returned")

	// The edit modal: a first message over 500 characters is refused with
	// a field error, then a valid one is saved.
	first := `.modal .bk-input[data-block-id="firstMessage"] .bk-control`
	d.step("open the edit modal",
		chromedp.SendKeys(chromedp.ID("message-box"), `/atoms edit support-concierge "Refund policy update"`+kb.Enter),
		chromedp.WaitVisible(chromedp.CSS(first)),
		until(`document.querySelector('.modal [data-block-id="prompt"] textarea').value.includes('Refunds:')`))
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

	d.step("promote", chromedp.SendKeys(chromedp.ID("message-box"), `/atoms promote support-concierge "Refund policy update" Refund policy, friendlier greeting`+kb.Enter),
		until(buttonShown("Approve")))

	// Bob listens before approving: Call me asks for his number (an invalid
	// one gets an error under the field), then the sandbox's phone rings in
	// the channel and bob alone sees the number, masked.
	d.actAs("UBOB")
	phone := `.modal .bk-input[data-block-id="phone"] .bk-control`
	d.step("bob clicks Call me on the request", clickInApproval("Call me"), chromedp.WaitVisible(chromedp.CSS(phone)))
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
	d.step("outsider clicks Approve", clickInFeed("Approve"), feedHas("not on the list of approvers"))
	d.actAs("UBOB")
	d.step("bob does not see olivia's refusal", until(`!document.querySelector('#feed').innerText.includes('not on the list of approvers')`))
	d.step("bob approves; the check passes; the version goes live", clickInFeed("Approve"), feedHas("is live"),
		until("!"+buttonShown("Approve")),
		until(`document.querySelector('#feed .edited') !== null`))

	// Another promotion, rejected through the button's confirmation dialog.
	d.actAs("UALICE")
	d.command(`/atoms promote clinic-scheduler "Insurance questions"`, "Promotion: clinic-scheduler")
	d.actAs("UBOB")
	d.step("bob rejects, confirming", clickInFeed("Reject"), chromedp.WaitVisible(chromedp.CSS(".confirm .confirm-ok")),
		chromedp.Click(chromedp.CSS(".confirm .confirm-ok")), feedHas("rejected"),
		until(`document.querySelector('.confirm') === null`))

	st := w.Slack.Snapshot()
	if n := st.CountText("is live"); n != 1 {
		t.Errorf("%d posts say 'is live', want 1", n)
	}
	sbCheckTestCall(t, st)
	approval := sbApprovalMessage(t, st)
	// Posted while the check was still running (the branch model says
	// "queued", v1 "pending"), then edited in place.
	if first := string(approval.History[0].Blocks); approval.Edits == 0 || !strings.Contains(first, `*Security check*\n:hourglass_flowing_sand:`) {
		t.Errorf("the approval request was not posted while the check was running, then edited in place: %d edits, first %s", approval.Edits, approval.History)
	}

	shot, err := sbScreenshot(ctx)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := sbScreenshotPath(t, model)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the channel: %s", path)

	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.problems) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(d.problems, "\n"))
	}
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
func sbCheckMrkdwn(t *testing.T, ctx context.Context) {
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
	}
	for _, tc := range tests {
		t.Run("mrkdwn/"+tc.name, func(t *testing.T) {
			js := `import("/sandbox/static/mrkdwn.js").then(m => { const d = document.createElement("div"); d.append(m.mrkdwn(` +
				jsString(tc.in) + `, {userName: id => ({UALICE: "alice"})[id] || id})); return d.innerHTML; })`
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tc.in, got, tc.want)
			}
		})
	}
}

// sbProfileDir is a fresh user-data dir for the browser. It is removed
// after the browser has stopped (its cleanup is registered first, so it runs
// last), retrying because Chromium's helper processes may still be writing
// there for a moment after the browser exits.
func sbProfileDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "atomsbot-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 50 {
			if os.RemoveAll(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("could not remove the browser profile %s", dir)
	})
	return dir
}

// sbScreenshotPath is where the channel's screenshot of a model's story
// goes: $SANDBOX_SCREENSHOT (with "-v1" before the extension for the v1
// story), else testdata/screenshots/ at the repository's root (git-ignored,
// so it survives the run for a look), else the test's temp dir.
func sbScreenshotPath(t *testing.T, model string) string {
	name := "sandbox-channel.png"
	if model != "" {
		name = "sandbox-channel-" + model + ".png"
	}
	if p := os.Getenv("SANDBOX_SCREENSHOT"); p != "" {
		if model != "" {
			ext := filepath.Ext(p)
			return strings.TrimSuffix(p, ext) + "-" + model + ext
		}
		return p
	}
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
		dir := filepath.Join(root, "testdata", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			if abs, err := filepath.Abs(filepath.Join(dir, name)); err == nil {
				return abs
			}
		}
	}
	return filepath.Join(t.TempDir(), name)
}

// sbScreenshot captures the whole channel: the viewport is made as tall as
// the page first, so the sticky header, sidebar and message box sit where a
// very tall screen would show them.
func sbScreenshot(ctx context.Context) ([]byte, error) {
	h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`window.scrollTo(0, 0), document.scrollingElement.scrollHeight`))
	if err != nil {
		return nil, err
	}
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride,
			emulation.SetDeviceMetricsOverrideParams{Width: 1280, Height: h, DeviceScaleFactor: 1})
		return err
	}))
	if err != nil {
		return nil, err
	}
	return chromedp.Run(ctx, chromedp.CaptureScreenshot())
}

// sbApprovalMessage finds the approval request: the top-level bot message
// that had Approve buttons.
func sbApprovalMessage(t *testing.T, st slackfake.State) slackfake.Message {
	t.Helper()
	for _, m := range st.Messages {
		if m.Method == slackfake.MethodPostMessage && m.ThreadTS == "" && len(m.History) > 0 && strings.Contains(string(m.History[0].Blocks), `"Approve"`) {
			return m
		}
	}
	t.Fatal("no approval request was posted")
	return slackfake.Message{}
}
