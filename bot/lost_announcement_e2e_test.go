package bot

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// giveUp is an HTTP transport that stops waiting for an answer the fake
// Slack holds (HoldNext), as a client's timeout would, without the test
// waiting for a real timeout.
type giveUp struct {
	fake *slackfake.Server
	base http.RoundTripper
}

func held(st slackfake.State) int {
	n := 0
	for _, c := range st.Calls {
		if c.Status == 0 {
			n++
		}
	}
	return n
}

func (g *giveUp) RoundTrip(req *http.Request) (*http.Response, error) {
	before := held(g.fake.Snapshot())
	ctx, cancel := context.WithCancel(req.Context())
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		wctx, wcancel := context.WithCancel(ctx)
		defer wcancel()
		go func() {
			<-stop
			wcancel()
		}()
		if g.fake.WaitFor(wctx, func(st slackfake.State) bool { return held(st) > before }) == nil {
			cancel()
		}
	}()
	resp, err := g.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	// The body is read after RoundTrip returns: cancel only once it is.
	resp.Body = cancelOnClose{resp.Body, cancel}
	return resp, nil
}

type cancelOnClose struct {
	body   io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Read(p []byte) (int, error) { return c.body.Read(p) }
func (c cancelOnClose) Close() error               { err := c.body.Close(); c.cancel(); return err }

// isAnnouncement matches the post of the "is live" announcement.
func isAnnouncement(c slackfake.Call) bool {
	return strings.Contains(c.Form.Get("metadata"), "atomsbot_live")
}

// lostAnswer is a way Slack runs a post and the bot never hears it did.
type lostAnswer struct {
	name string
	arm  func(*slackfake.Server)
}

// lostAnswers arms the next post that matches: a 500 after the post, or no
// answer before the client gives up.
func lostAnswers(match func(slackfake.Call) bool) []lostAnswer {
	return []lostAnswer{
		{name: "500 after the post", arm: func(f *slackfake.Server) {
			f.FailAfterNextIf("chat.postMessage", 1, http.StatusInternalServerError, match)
		}},
		{name: "answer after the client's timeout", arm: func(f *slackfake.Server) {
			f.HoldNextIf("chat.postMessage", 1, match)
		}},
	}
}

// newGiveUpHarness is a harness whose Slack client gives up on an answer
// the fake Slack holds.
func newGiveUpHarness(t *testing.T, b backend) *harness {
	g := &giveUp{base: http.DefaultTransport}
	h := newHarness(t, b, func(c *harnessConfig) { c.slackHTTP = &http.Client{Transport: g} })
	g.fake = h.slack // made by the harness
	return h
}

// When Slack runs the announcement but its answer is lost — a 500 after the
// post, or no answer before the client gives up — the next try, on another
// replica, finds the post in the channel's history: exactly one "is live".
func TestLostAnnouncementAnswerAcrossReplicas(t *testing.T) {
	for _, tt := range lostAnswers(isAnnouncement) {
		t.Run(tt.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newGiveUpHarness(t, b)
				first, other := h.bot, h.replica("replica-b")
				agent, ts := h.promote(first, alice)
				tt.arm(h.slack)
				first.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
				h.advance(7*time.Second, first)
				if n := len(h.announcements()); n != 1 {
					t.Fatalf("%d announcements after the first try, want the one whose answer was lost:%s", n, h.dump())
				}
				for range 10 {
					h.advance(5*time.Second, other)
				}
				h.advance(time.Minute, first, other)
				h.assertLiveOnce(agent.ID, 4)
				if n := len(h.announcements()); n != 1 {
					t.Errorf("%d announcements, want 1", n)
				}
				if len(h.state().CallsTo("conversations.history")) == 0 {
					t.Error("the channel's history was never searched")
				}
			})
		})
	}
}
