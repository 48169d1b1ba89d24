package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
)

// An activation made outside atomsbot (the dashboard, the API) is announced
// in the watching channel once, with who, what and the diff.
func TestWatchAnnouncesExternalActivation(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		h.bot.command(alice, "watch support-concierge")
		if got := h.state().ChannelMessages(testChannel); len(got) == 0 || !strings.Contains(got[len(got)-1].Text, "will be told") {
			t.Fatalf("no watch confirmation in the channel:%s", h.dump())
		}
		h.advance(time.Minute) // nothing changed: nothing said
		if n := h.state().CountText("is live"); n != 0 {
			t.Fatalf("announced without a change")
		}
		if err := h.sim.ActivateDirect(a.ID, a.Versions[1].ID, "dana@acme.test"); err != nil {
			t.Fatal(err)
		}
		h.advance(20 * time.Second)
		h.advance(20 * time.Second)
		if n := h.state().CountText("is live"); n != 1 {
			t.Fatalf("%d 'is live' posts for one external activation:%s", n, h.dump())
		}
		var post string
		for _, m := range h.state().ChannelMessages(testChannel) {
			if strings.Contains(m.Text, "is live") {
				post = m.Text + string(m.Blocks)
			}
		}
		for _, want := range []string{"v2", "dana@acme.test", "outside atomsbot", "Prompt"} {
			if !strings.Contains(post, want) {
				t.Errorf("announcement lacks %q: %s", want, post)
			}
		}
		h.bot.command(alice, "unwatch support-concierge")
		if err := h.sim.ActivateDirect(a.ID, a.Versions[2].ID, "dana@acme.test"); err != nil {
			t.Fatal(err)
		}
		h.advance(time.Minute)
		if n := h.state().CountText("is live"); n != 1 {
			t.Fatalf("announced after unwatch: %d", n)
		}
	})
}

// A promotion by atomsbot in a watched channel is announced once, not twice.
func TestWatchDoesNotRepeatOwnPromotion(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		other := h.replica("replica-b")
		h.bot.command(alice, "watch support-concierge")
		h.bot.commandIn("CWATCHERS", carol, "watch support-concierge")
		a, ts := h.promote(h.bot, alice)
		h.bot.click(bob, ts, render.ActionApprove, buttonValue(t, h.approvalMessage(), render.ActionApprove))
		for range 6 {
			h.advance(10*time.Second, h.bot, other)
		}
		h.assertLiveOnce(a.ID, 4)
		var told bool
		for _, m := range h.state().ChannelMessages("CWATCHERS") {
			told = told || strings.Contains(m.Text, "went live")
		}
		if !told {
			t.Errorf("the other watching channel was not told:%s", h.dump())
		}
	})
}
