package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestSandboxPageSaysWhenServerIsDown stops the sandbox under an open
// page: a command typed then, and a click on a control, say in the page
// that the server is not answering, and the command goes back into the
// message box instead of vanishing.
func TestSandboxPageSaysWhenServerIsDown(t *testing.T) {
	browser := sbBrowser(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan *sandboxWorld, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveSandbox(ctx, sandboxOptions{Addr: "127.0.0.1:0", Ready: func(w *sandboxWorld) { ready <- w }})
	}()
	var w *sandboxWorld
	select {
	case w = <-ready:
	case err := <-done:
		t.Fatalf("sandbox did not start: %v", err)
	case <-time.After(sbGuard):
		t.Fatal("sandbox did not start")
	}
	d := sbOpen(t, browser, w.URL, sbDesktop)
	d.command("/atoms help", "drafts, diffs, approvals")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("sandbox stopped with %v", err)
		}
	case <-time.After(sbGuard):
		t.Fatal("the sandbox did not stop")
	}
	d.step("the page sees the stream end", chromedp.WaitVisible(chromedp.CSS(".conn.down")))
	const typed = "/atoms agents"
	d.step("a command says the server is down and stays in the box",
		chromedp.SendKeys(chromedp.ID("message-box"), typed+kb.Enter),
		noticeHas("not answering"),
		until(`document.querySelector('#message-box').value === `+jsString(typed)))
	d.step("so does a click on a control",
		until(`(() => { const n = document.querySelector('#notice'); n.hidden = true; n.textContent = ''; return true; })()`),
		chromedp.Click(chromedp.CSS(`#controls button[data-control="change-live"]`)),
		noticeHas("not answering"))
	d.checkConsole("net::ERR_CONNECTION_REFUSED") // the browser's own report of each failed request
}
