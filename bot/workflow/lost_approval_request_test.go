package workflow

import (
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// requests are the approval requests the fake Slack took.
func (r *rig) requests() []slackCall {
	var out []slackCall
	for _, c := range r.slack.of(kindPost) {
		if c.Tag.Event == render.TagRequest {
			out = append(out, c)
		}
	}
	return out
}

// TestApprovalRequestAnswerLost: when Slack ran the approval request's post
// but its answer was lost, the next try — on this replica or another —
// finds the post in the channel by its tag instead of posting a second
// request, records its ts, and the request works: approving it takes the
// promotion live. A post refused without a clear answer is simply made on
// the next try.
func TestApprovalRequestAnswerLost(t *testing.T) {
	tests := []struct {
		name  string
		arm   func(r *rig)
		ran   bool // the first post reached the channel
		other bool // another replica makes the next try
	}{
		{name: "post ran, answer lost", arm: func(r *rig) { r.slack.loseNext(kindPost, 1) }, ran: true},
		{name: "post ran, answer lost, another replica tries next", arm: func(r *rig) { r.slack.loseNext(kindPost, 1) }, ran: true, other: true},
		{name: "post refused without a clear answer", arm: func(r *rig) { r.slack.failNext(kindPost, 1) }},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				tt.arm(r)
				p := r.promote()
				if p.MessageTS != "" {
					t.Fatalf("the request's ts %q recorded though its answer was lost", p.MessageTS)
				}
				if got := len(r.requests()); tt.ran != (got == 1) {
					t.Fatalf("%d approval requests after the first try", got)
				}
				next := r.eng
				if tt.other {
					next = r.replica("replica-2")
				}
				for range 5 {
					r.clk.Advance(r.cfg.PollInterval)
					r.pollWith(next)
				}
				reqs := r.requests()
				if len(reqs) != 1 {
					t.Fatalf("%d approval requests, want 1: %v", len(reqs), texts(reqs))
				}
				if got := r.get(p.ID).MessageTS; got != reqs[0].TS {
					t.Fatalf("recorded ts %q, want the request's %q", got, reqs[0].TS)
				}
				if tt.ran && r.slack.finds == 0 {
					t.Error("the channel's history was never searched")
				}
				r.approve(r.get(p.ID), bob)
				r.advance(r.plat.checkAfter)
				r.wantState(p.ID, state.Live)
				r.ticks(3)
				if n := len(r.requests()); n != 1 {
					t.Errorf("%d approval requests by the end, want 1", n)
				}
			})
		}
	})
}

// TestLostApprovalRequestEndsBeforeFound: the request went out with its
// answer lost, and the promotion ended (cancelled) before a try found it.
// The ending finds it: the request gets its final look, with no buttons
// left to click, and the end note goes in its thread.
func TestLostApprovalRequestEndsBeforeFound(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.slack.loseNext(kindPost, 1)
		p := r.promote()
		reqs := r.requests()
		if p.MessageTS != "" || len(reqs) != 1 {
			t.Fatalf("ts %q and %d requests after the lost answer", p.MessageTS, len(reqs))
		}
		if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
			t.Fatal(err)
		}
		r.ticks(3)
		np := r.wantState(p.ID, state.Cancelled)
		if np.MessageTS != reqs[0].TS || !np.Announced {
			t.Fatalf("recorded ts %q (announced %v), want the lost request's %q", np.MessageTS, np.Announced, reqs[0].TS)
		}
		var last *slackCall
		for _, c := range r.slack.of(kindUpdate) {
			if c.TS == reqs[0].TS {
				last = &c
			}
		}
		if last == nil || strings.Contains(last.Text(), render.ActionApprove) {
			t.Errorf("the lost request was not given its final look: %v", last)
		}
		notes := 0
		for _, c := range r.slack.of(kindPost) {
			if c.Thread == reqs[0].TS {
				notes++
			}
			if c.Thread == "" && c.Tag.Event == "" {
				t.Errorf("a note went to the channel instead of the request's thread: %q", c.Text())
			}
		}
		if notes == 0 {
			t.Error("no end note in the request's thread")
		}
		if n := len(r.requests()); n != 1 {
			t.Errorf("%d approval requests, want 1", n)
		}
	})
}
