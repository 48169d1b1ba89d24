package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// longDiff changes n fields of the prompt section, each by about a
// kilobyte.
func longDiff(n int) platform.Diff {
	s := platform.SectionDiff{Section: "prompt"}
	for i := range n {
		old, _ := json.Marshal(strings.Repeat(fmt.Sprintf("old text %d ", i), 40))
		nu, _ := json.Marshal(strings.Repeat(fmt.Sprintf("new text %d ", i), 40))
		s.Changes = append(s.Changes, platform.Change{Path: fmt.Sprintf("field%d", i), Old: old, New: nu})
	}
	return platform.Diff{Sections: []platform.SectionDiff{s}}
}

// TestApprovalRequestDiff: the approval request shows what the promotion
// changes against the live version: in the message, continued in its thread,
// and as a file when even the thread cannot hold it.
func TestApprovalRequestDiff(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *rig, req *PromoteRequest)
		shows   string // in the message
		replies bool   // pages in the thread
		upload  bool
		diffs   int // DiffRelease calls
	}{
		{name: "short diff in the message", shows: "very helpful", diffs: 1},
		{
			name:  "long diff continues in the thread",
			setup: func(r *rig, _ *PromoteRequest) { r.plat.diff = longDiff(30) },
			shows: "more messages).", replies: true, diffs: 1,
		},
		{
			name:  "diff too long for the thread goes up as a file",
			setup: func(r *rig, _ *PromoteRequest) { r.plat.diff = longDiff(400) },
			shows: "more messages).", replies: true, upload: true, diffs: 1,
		},
		{
			name:  "diff cannot be loaded",
			setup: func(r *rig, _ *PromoteRequest) { r.plat.fail("DiffRelease", 1, errUnavailable) },
			shows: "The diff could not be loaded: Atoms is unavailable (503)", diffs: 1,
		},
		{
			name:  "nothing live to compare with",
			setup: func(r *rig, req *PromoteRequest) { req.Agent.LiveVersionID = "" },
			shows: "Promotion: Support Bot → v2", diffs: 0,
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				req := r.promoteReq(agentID)
				if tt.setup != nil {
					tt.setup(r, &req)
				}
				p, err := r.eng.Promote(r.ctx, req)
				if err != nil || p.MessageTS == "" {
					t.Fatalf("Promote = %+v, %v", p, err)
				}
				msg, _ := r.slack.message(deploys, p.MessageTS)
				if !strings.Contains(msg.Text(), tt.shows) {
					t.Errorf("approval request lacks %q:\n%s", tt.shows, msg.Text())
				}
				thread := r.slack.thread(deploys, p.MessageTS)
				pages, uploads := 0, 0
				for _, c := range thread {
					switch {
					case c.Kind == kindUpload:
						uploads++
						if c.File != "Support Bot-diff.txt" || !strings.Contains(c.Content, "field399") {
							t.Errorf("upload %s is not the whole diff", c.File)
						}
					case strings.Contains(c.Text(), "Changes in Support Bot v2"):
						pages++
					}
				}
				if (pages > 0) != tt.replies || (uploads == 1) != tt.upload || uploads > 1 {
					t.Errorf("%d diff pages and %d uploads in the thread; want pages %v, upload %v", pages, uploads, tt.replies, tt.upload)
				}
				if tt.upload && pages != maxDiffPages-1 {
					t.Errorf("%d pages in the thread, want %d", pages, maxDiffPages-1)
				}
				if tt.replies && !strings.Contains(msg.Text(), "The diff continues in the thread ("+render.Count(pages, "more message", "more messages")+").") {
					t.Errorf("the message does not say how many pages follow (%d):\n%s", pages, msg.Text())
				}
				// Later looks of the message reuse the stored diff.
				r.advance(6 * time.Second)
				r.ticks(2)
				wantCount(t, "DiffRelease calls", r.plat.count("DiffRelease"), tt.diffs)
				if up, ok := r.slack.lastUpdate(deploys, p.MessageTS); !ok || !strings.Contains(up.Text(), tt.shows) {
					t.Errorf("the refreshed message lost %q", tt.shows)
				}
			})
		}
	})
}

// TestApprovalRequestRetried: an approval request Slack refused is posted at
// the next look, once.
func TestApprovalRequestRetried(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		r.slack.failNext(kindPost, 1)
		p := r.promote()
		if p.State != state.Published || p.MessageTS != "" {
			t.Fatalf("promotion = %s with message %q, want published without one", p.State, p.MessageTS)
		}
		r.ticks(1)
		if np := r.get(p.ID); np.MessageTS == "" {
			t.Fatal("approval request not posted at the next look")
		}
		r.ticks(3)
		wantCount(t, "approval requests", len(r.slack.postsContaining("atoms_approve")), 1)
		r.live(r.get(p.ID))
	})
}

// TestRefreshRacingApproval: an approval recorded while the message is
// being updated is shown by a further update; the last update is current.
func TestRefreshRacingApproval(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b, withPolicy(Policy{Required: 2}))
		p := r.published()
		done := false
		r.slack.on(kindUpdate, func(slackCall) {
			if done {
				return
			}
			done = true
			// Another replica's approval lands meanwhile.
			if _, _, err := r.store.Approve(r.ctx, p.ID, state.Approval{UserID: carol, VersionID: p.ApprovalKey()}); err != nil {
				t.Error(err)
			}
		})
		before := len(r.slack.of(kindUpdate))
		r.advance(6 * time.Second) // the check passed: the message is refreshed
		if n := len(r.slack.of(kindUpdate)) - before; n < 2 {
			t.Errorf("%d updates, want a second one showing the approval", n)
		}
		up, _ := r.slack.lastUpdate(deploys, p.MessageTS)
		if !strings.Contains(up.Text(), "1 of 2 — <@UCAROL>") || !strings.Contains(up.Text(), ":white_check_mark: passed") {
			t.Errorf("the last update is not current:\n%s", up.Text())
		}
	})
}

// TestMessageUpdateRefused: a refused chat.update of a passing check changes
// nothing of the promotion; the next change updates the message.
func TestMessageUpdateRefused(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		r.slack.failNext(kindUpdate, 1)
		r.advance(6 * time.Second)
		r.wantState(p.ID, state.Published)
		r.live(p)
		r.wantFinalLook(p, ":rocket: Live")
	})
}

// TestCancelWhileApprovalRequestPosted: a cancel that lands while the
// approval request is on its way to Slack still leaves that message with its
// final look (cancelled, no buttons).
func TestCancelWhileApprovalRequestPosted(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		cancelled := false
		r.slack.on(kindPost, func(c slackCall) {
			if cancelled || !strings.Contains(c.Text(), "atoms_approve") {
				return
			}
			cancelled = true
			if _, err := r.eng.Cancel(r.ctx, agentID, agentName, requester); err != nil {
				t.Errorf("Cancel: %v", err)
			}
		})
		p := r.promote()
		if !cancelled {
			t.Fatal("no approval request was posted")
		}
		r.ticks(10)
		np := r.wantState(p.ID, state.Cancelled)
		if np.MessageTS == "" {
			t.Fatal("the approval request's ts was not recorded")
		}
		r.wantSettled(p)
		r.wantFinalLook(np, ":heavy_multiplication_x: Cancelled by <@UREQ>")
	})
}

// TestThreadDiffRefused: Slack refusing a page of the diff in the thread
// stops the rest of the pages (not the promotion); refusing the file too.
func TestThreadDiffRefused(t *testing.T) {
	tests := []struct {
		name  string
		diff  int
		kind  string
		pages int // diff pages that made it to the thread
	}{
		{"a page refused", 30, kindPost, 0},
		{"the file refused", 400, kindUpload, maxDiffPages - 1},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				r.plat.diff = longDiff(tt.diff)
				var once sync.Once
				r.slack.on(tt.kind, func(c slackCall) {
					if c.Thread != "" {
						once.Do(func() { r.slack.failNext(tt.kind, 1) })
					}
				})
				p := r.published()
				pages := 0
				for _, c := range r.slack.thread(deploys, p.MessageTS) {
					if strings.Contains(c.Text(), "Changes in Support Bot v2") {
						pages++
					}
				}
				wantCount(t, "diff pages in the thread", pages, tt.pages)
				wantCount(t, "uploads", len(r.slack.of(kindUpload)), 0)
				r.live(p)
			})
		}
	})
}
