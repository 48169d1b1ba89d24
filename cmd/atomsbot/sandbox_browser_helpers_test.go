package main

import (
	"cmp"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// sbBrowser finds a Chromium: $ATOMSBOT_BROWSER, else Debian's chromium (or
// another Chrome) on PATH. Without one the test is skipped, except in CI.
func sbBrowser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ATOMSBOT_BROWSER"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium found (install it: apt-get install -y chromium); CI must run the browser test")
	}
	t.Skip("no chromium found; install it with apt-get install -y chromium to run the browser test")
	return ""
}

// sbViewport is a window size the page is shown at.
type sbViewport struct{ width, height int64 }

var (
	sbDesktop = sbViewport{1280, 1000}
	sbHandset = sbViewport{390, 844} // a phone held upright
)

func (v sbViewport) narrow() bool { return v.width < 760 }

// sbDriver drives one page of the sandbox in a headless browser.
type sbDriver struct {
	t    *testing.T
	ctx  context.Context
	view sbViewport

	mu       sync.Mutex
	problems []string // uncaught exceptions and console errors
}

// sbOpen starts a browser showing the page at url in the viewport, and
// stops it when the test ends. Console errors are collected for
// checkConsole.
func sbOpen(t *testing.T, browser, url string, view sbViewport) *sbDriver {
	t.Helper()
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
		chromedp.WindowSize(int(sbDesktop.width), int(sbDesktop.height)),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	d := &sbDriver{t: t, ctx: ctx, view: view}
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
				d.problems = append(d.problems, m.String()+cmp.Or(" ("+m.URL+")", ""))
				d.mu.Unlock()
			}
		}
	}()
	d.step("open the page", d.resize(view.height), chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(".conn.live")),
		until(`document.querySelector('#channel-name').textContent === '#agent-releases'`))
	return d
}

// resize shows the page at the driver's width and this height.
func (d *sbDriver) resize(height int64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride,
			emulation.SetDeviceMetricsOverrideParams{Width: d.view.width, Height: height, DeviceScaleFactor: 1, Mobile: d.view.narrow()})
		return err
	})
}

// checkConsole fails the test if the page logged errors other than those
// containing one of expected.
func (d *sbDriver) checkConsole(expected ...string) {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	var bad []string
	for _, p := range d.problems {
		if !slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(p, e) }) {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		d.t.Errorf("the page logged errors:\n%s", strings.Join(bad, "\n"))
	}
}

// step runs actions with a deadline, failing the test with the channel's
// text when they do not complete.
func (d *sbDriver) step(name string, actions ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.ctx, sbGuard)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		feed, _ := chromedp.Run(d.ctx, chromedp.Evaluate[string](`(document.querySelector('#feed')?.innerText || '') + '\n[notice] ' + (document.querySelector('#notice')?.innerText || '')`))
		d.t.Fatalf("%s: %v\nthe channel shows:\n%s", name, err, feed)
	}
}

// eval evaluates JavaScript in the page.
func (d *sbDriver) eval(js string) string {
	d.t.Helper()
	v, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatalf("%s: %v", js, err)
	}
	return v
}

// until waits for a JavaScript condition, re-checked on every DOM change.
func until(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

// untilNow waits for a JavaScript condition that changes without the DOM
// changing (an element sliding in), re-checked every 50 ms.
func untilNow(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// feedHas waits until the channel's text contains s.
func feedHas(s string) chromedp.Action[chromedp.Void] {
	return until(`document.querySelector('#feed').innerText.includes(` + jsString(s) + `)`)
}

// noticeHas waits until the notice above the message box contains s.
func noticeHas(s string) chromedp.Action[chromedp.Void] {
	return until(`!document.querySelector('#notice').hidden && document.querySelector('#notice').innerText.includes(` + jsString(s) + `)`)
}

// command types a slash command into the message box and sends it with Enter.
func (d *sbDriver) command(text string, wantInFeed string) {
	d.t.Helper()
	d.step(text, chromedp.SendKeys(chromedp.ID("message-box"), text+kb.Enter), feedHas(wantInFeed))
}

// drawerOpen is a JavaScript condition: the narrow screen's drawer is open
// and has slid all the way in.
const drawerOpen = `document.querySelector('#sidebar.open') !== null && document.querySelector('#sidebar').getBoundingClientRect().left === 0`

// openDrawer opens the sidebar on a narrow screen from the header's button.
func (d *sbDriver) openDrawer(button string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(chromedp.Click(chromedp.ID(button)), untilNow(drawerOpen))
}

// actAs switches user with a real click: in the sidebar, or on a narrow
// screen in the drawer opened from the "as @user" button.
func (d *sbDriver) actAs(user string) {
	d.t.Helper()
	sel := `.user-switch[data-user="` + user + `"]`
	var steps []chromedp.Action[chromedp.Void]
	if d.view.narrow() {
		steps = append(steps, d.openDrawer("acting-as"),
			until(`document.activeElement.matches('.user-switch[aria-pressed="true"]')`))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(sel)), until(`document.querySelector('`+sel+`').getAttribute('aria-pressed') === 'true'`))
	if d.view.narrow() {
		steps = append(steps, until(`document.querySelector('#sidebar.open') === null`))
	}
	d.step("switch to "+user, steps...)
}

// control runs a sandbox control on an agent as a person would: the drawer
// first on a narrow screen.
func (d *sbDriver) control(control, agent, wantNotice string) {
	d.t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	if d.view.narrow() {
		steps = append(steps, d.openDrawer("menu"))
	}
	steps = append(steps,
		chromedp.SetValue(chromedp.ID("control-agent"), agent),
		chromedp.Click(chromedp.CSS(`#controls button[data-control="`+control+`"]`)),
		noticeHas(wantNotice))
	d.step(control+" "+agent, steps...)
}

// approvalRequest is JavaScript for the approval request on screen: the
// channel message with an Approve button (alice's diff of the draft offers
// Call me too, and it may still be on the page for a moment after
// switching users).
const approvalRequest = `[...document.querySelectorAll('#feed .msg:not(.ephemeral)')].find(m => m.querySelector('button[data-action-id="atoms_approve"]'))`

// clickInApproval clicks the approval request's button with this
// action_id. Finding and clicking happen in one page-side step, retried
// until the button exists: the feed re-renders as messages are updated, so
// a node looked up first and clicked later may be gone.
func clickInApproval(actionID string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`(() => {
		const m = `+approvalRequest+`;
		const b = m && m.querySelector('button[data-action-id=`+jsString(actionID)+`]');
		if (!b) return false;
		b.click();
		return true;
	})()`, chromedp.WithPollingMutation(), chromedp.WithPollingTimeout(0))
}

// approvalTS waits for the approval request and returns its ts.
func (d *sbDriver) approvalTS() string {
	d.t.Helper()
	d.step("the approval request", until(approvalRequest+` !== undefined`))
	return d.eval(`(` + approvalRequest + `).dataset.ts`)
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

// sbScreenshotPath is where a screenshot named name ("sandbox-channel",
// "approval-pending"…) of a pass goes: $SANDBOX_SCREENSHOT's directory when
// set (its file name for the channel of the default pass), else
// testdata/screenshots/ at the repository's root (git-ignored, so it
// survives the run for a look), else the test's temp dir. suffix ("v1",
// "phone") tells the passes apart.
func sbScreenshotPath(t *testing.T, name, suffix string) string {
	file := name + ".png"
	if suffix != "" {
		file = name + "-" + suffix + ".png"
	}
	if p := os.Getenv("SANDBOX_SCREENSHOT"); p != "" {
		if name == "sandbox-channel" {
			if suffix == "" {
				return p
			}
			ext := filepath.Ext(p)
			return strings.TrimSuffix(p, ext) + "-" + suffix + ext
		}
		return filepath.Join(filepath.Dir(p), file)
	}
	root := filepath.Join("..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
		dir := filepath.Join(root, "testdata", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err == nil {
			if abs, err := filepath.Abs(filepath.Join(dir, file)); err == nil {
				return abs
			}
		}
	}
	return filepath.Join(t.TempDir(), file)
}

// screenshot saves a picture of the page (sel "") or of one element: the
// viewport is made as tall as the page first, so the sticky header, sidebar
// and message box sit where a very tall screen would show them and cover
// nothing; it is restored after.
func (d *sbDriver) screenshot(sel, name, suffix string) {
	d.t.Helper()
	h, err := chromedp.Run(d.ctx, chromedp.Evaluate[int64](`window.scrollTo(0, 0), document.scrollingElement.scrollHeight`))
	if err != nil {
		d.t.Fatal(err)
	}
	if err := chromedp.Do(d.ctx, d.resize(h)); err != nil {
		d.t.Fatal(err)
	}
	var shot []byte
	for try := 0; ; try++ { // the feed re-renders on every event: a node may go while it is taken
		ctx, cancel := context.WithTimeout(d.ctx, sbGuard)
		if sel == "" {
			shot, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
		} else {
			shot, err = chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
		}
		cancel()
		if err == nil || try == 2 {
			break
		}
	}
	if err != nil {
		d.t.Fatalf("screenshot of %s: %v", name, err)
	}
	if err := chromedp.Do(d.ctx, d.resize(d.view.height)); err != nil {
		d.t.Fatal(err)
	}
	path := sbScreenshotPath(d.t, name, suffix)
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.t.Logf("screenshot: %s", path)
}

// msgSelector is the CSS selector of the message with this ts.
func msgSelector(ts string) string { return "#m" + strings.ReplaceAll(ts, ".", "-") }
