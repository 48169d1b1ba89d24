package workflow

import (
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// An announcement whose answer was lost is looked for before it is posted
// again: exactly one "is live" per activation, whether the post ran or not,
// and whichever replica tries next.
func TestAnnouncementAnswerLost(t *testing.T) {
	tests := []struct {
		name  string
		arm   func(r *rig)
		ran   bool // the first post reached the channel
		other bool // another replica makes the next try
	}{
		{name: "post ran, answer lost", arm: func(r *rig) { r.slack.loseNext(kindAnnounce, 1) }, ran: true},
		{name: "post ran, answer lost, another replica tries next", arm: func(r *rig) { r.slack.loseNext(kindAnnounce, 1) }, ran: true, other: true},
		{name: "post refused without a clear answer", arm: func(r *rig) { r.slack.failNext(kindAnnounce, 1) }},
		{name: "refused unclearly, then ran with its answer lost", arm: func(r *rig) {
			r.slack.failNext(kindAnnounce, 1)
			r.slack.loseNext(kindAnnounce, 1)
		}},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := r.published()
				tt.arm(r)
				r.approve(p, bob)
				r.advance(r.plat.checkAfter)
				np := r.wantState(p.ID, state.Live)
				if np.Announced {
					t.Fatal("announced recorded though the post's answer was lost")
				}
				if got := len(r.slack.of(kindAnnounce)); tt.ran != (got == 1) {
					t.Fatalf("%d announcements after the first try", got)
				}
				next := r.eng
				if tt.other {
					next = r.replica("replica-2")
				}
				for range 10 {
					r.clk.Advance(r.cfg.PollInterval)
					r.pollWith(next)
				}
				r.wantAnnounced(1, agentName)
				if !r.get(p.ID).Announced {
					t.Error("announcement not recorded")
				}
				if r.slack.finds == 0 {
					t.Error("the channel's history was never searched")
				}
				r.wantSettled(p)
			})
		}
	})
}

// The watch's "is live" for a change made outside atomsbot: after a lost
// answer no other channel is told "is live"; the next look finds the post
// and tells the other channels in other words.
func TestWatchAnnouncementAnswerLost(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.watch(watchers1)
		r.clk.Advance(time.Second)
		r.watch(watchers2)
		v3 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
		r.plat.activateElsewhere(agentID, v3.ID, "Dana")
		r.slack.loseNext(kindAnnounce, 1)
		for range 4 {
			r.advance(15 * time.Second)
		}
		announced, noted := r.externalNews()
		if len(announced) != 1 || announced[0].Channel != watchers1 {
			t.Fatalf("announcements %v, want one in %s", texts(announced), watchers1)
		}
		if len(noted) != 1 || noted[0].Channel != watchers2 {
			t.Errorf("notes %v, want one in %s", texts(noted), watchers2)
		}
		if r.seen() != v3.ID {
			t.Errorf("seen %q, want %s", r.seen(), v3.ID)
		}
	})
}

// When no watching channel will ever take the news (the bot was removed
// from all of them), it is given up instead of retried at every look.
func TestWatchNewsNoChannelTakes(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.watch(watchers1)
		r.slack.removeBot(watchers1, "not_in_channel")
		v3 := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
		r.plat.activateElsewhere(agentID, v3.ID, "Dana")
		r.advance(15 * time.Second)
		calls := r.slackCalls()
		for range 10 {
			r.advance(15 * time.Second)
		}
		if n := r.slackCalls(); n != calls {
			t.Errorf("Slack called %d more times after the news was refused for good", n-calls)
		}
		if r.seen() != v3.ID {
			t.Errorf("seen %q, want %s", r.seen(), v3.ID)
		}
	})
}
