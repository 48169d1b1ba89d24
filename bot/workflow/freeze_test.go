package workflow

import (
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

const freezeWhy = "Atoms is in a configuration freeze for maintenance and takes no changes until it ends; atomsbot goes on by itself after it"

var (
	errFrozen = platform.Errorf(platform.ErrFrozen, "Atoms is in a configuration freeze")
	errBusy   = platform.Errorf(platform.ErrBusy, "branch “main” is being published already")
)

// TestWaitingForAtoms: a step Atoms refuses for now (a configuration freeze,
// a publish being scanned) waits and says what it waits for, once; the
// promotion goes on by itself afterwards and forgets the wait.
func TestWaitingForAtoms(t *testing.T) {
	tests := []struct {
		name   string
		method string
		err    error
		why    string
	}{
		{"publish during a freeze", "Publish", errFrozen, freezeWhy},
		{"publish while another is scanned", "Publish", errBusy, "branch “main” is being published already; atomsbot goes on by itself after it"},
		{"activation during a freeze", "Activate", errFrozen, freezeWhy},
		{"activation while a publish is scanned", "Activate", errBusy, "branch “main” is being published already; atomsbot goes on by itself after it"},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				r.plat.failAlways(tt.method, tt.err)
				var p state.Promotion
				if tt.method == "Publish" {
					p = r.promote()
					if p.State != state.Requested || p.Reason != tt.why {
						t.Fatalf("promotion is %s (%q), want requested waiting for %q", p.State, p.Reason, tt.why)
					}
					for range 4 {
						r.advance(ambiguousRetry)
					}
					r.wantState(p.ID, state.Requested)
				} else {
					p = r.published()
					r.approve(p, bob)
					r.advance(6 * time.Second)
					r.ticks(8)
					np := r.wantState(p.ID, state.Activating)
					if np.Reason != tt.why {
						t.Errorf("reason while activating %q, want %q", np.Reason, tt.why)
					}
					wantCount(t, "notes of the wait", r.threadHas(p, ":snowflake: Not activated yet: "+tt.why+"."), 1)
				}
				r.plat.failAlways(tt.method, nil)
				r.advance(ambiguousRetry)
				np := r.get(p.ID)
				if np.State == state.Published {
					r.live(np)
				}
				np = r.wantState(p.ID, state.Live)
				if np.Reason != "" {
					t.Errorf("reason %q kept after the wait", np.Reason)
				}
				r.wantAnnounced(1, "Support Bot v2")
				if n := len(r.slack.postsContaining("Not activated yet")); tt.method == "Publish" && n != 0 {
					t.Errorf("%d activation wait notes for a publish wait", n)
				}
			})
		}
	})
}

// TestWatchNewsNamesBranch: news of a change made outside atomsbot names
// the branch that went live.
func TestWatchNewsNamesBranch(t *testing.T) {
	tests := []struct {
		name, branch, ref, want string
	}{
		{"version of another branch", "feature", "v2", "Support Bot feature/v2"},
		{"ref naming its branch already", "feature", "feature/v2", "Support Bot feature/v2"},
		{"no branches", "", "v2", "Support Bot v2"},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				r.watch(watchers1)
				v := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
				r.plat.setRef(agentID, v.ID, tt.branch, tt.ref)
				r.plat.activateElsewhere(agentID, v.ID, "Dana")
				r.advance(15 * time.Second)
				announced, _ := r.externalNews()
				if len(announced) != 1 || !strings.Contains(announced[0].Msg.Text, tt.want+" “version 2” is live") {
					t.Fatalf("announcements %v, want one naming %q", texts(announced), tt.want)
				}
				if tt.branch != "" && strings.Contains(announced[0].Text(), "feature/feature") {
					t.Errorf("branch named twice: %s", announced[0].Msg.Text)
				}
			})
		}
	})
}
