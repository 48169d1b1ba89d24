package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// sbWaitText waits until a message of the channel (or an edit of one)
// contains s.
func sbWaitText(t *testing.T, w *sandboxWorld, s string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), sbGuard)
	defer cancel()
	err := w.Slack.WaitFor(ctx, func(st slackfake.State) bool {
		for _, m := range st.Messages {
			if strings.Contains(m.Text+string(m.Blocks), s) {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no message says %q: %v", s, err)
	}
}

func sbControl(t *testing.T, w *sandboxWorld, control, agent string) map[string]any {
	t.Helper()
	return sbPost(t, w.URL+"sandbox/api/control", `{"control":"`+control+`","agent":"`+agent+`"}`)
}

// TestSandboxControlsChangeLiveVersion: the dashboard control changes the
// agent's live version on either model, each time to another one, and a
// watch in the channel announces it.
func TestSandboxControlsChangeLiveVersion(t *testing.T) {
	for _, model := range []string{"v2", "v1"} {
		t.Run(model, func(t *testing.T) {
			sbBackends(t, func(t *testing.T, o sandboxOptions) {
				o.Model, o.CheckDelay, o.WatchInterval = model, -1, 100*time.Millisecond
				w := sbStart(t, o)
				if got := sbPost(t, w.URL+"sandbox/api/command", `{"user":"UALICE","text":"/atoms watch support-concierge"}`); got["ok"] != true {
					t.Fatalf("watch = %v", got)
				}
				sbWaitText(t, w, "will be told when the active version")
				before := sbLiveID(t, w, "support-concierge")
				got := sbControl(t, w, "change-live", "support-concierge")
				if got["ok"] != true || !strings.Contains(got["notice"].(string), "is live now") {
					t.Fatalf("change-live = %v", got)
				}
				after := sbLiveID(t, w, "support-concierge")
				if after == before {
					t.Fatalf("the live version is still %s", before)
				}
				sbWaitText(t, w, "activated outside atomsbot by "+dashboardUser)
				if got := sbControl(t, w, "change-live", "support-concierge"); got["ok"] != true {
					t.Fatalf("change-live again = %v", got)
				}
				if again := sbLiveID(t, w, "support-concierge"); again == after {
					t.Errorf("a second change left %s live", again)
				}
			})
		})
	}
}

// sbLiveID is what serves calls of the agent now: its active version, or
// the live branch's head.
func sbLiveID(t *testing.T, w *sandboxWorld, name string) string {
	t.Helper()
	for _, a := range w.Sim.Agents() {
		if a.Name != name {
			continue
		}
		if a.LiveBranchID == "" {
			return a.ActiveVersionID
		}
		for _, b := range a.Branches {
			if b.Live {
				return b.HeadRevisionID
			}
		}
	}
	t.Fatalf("no live version of %s", name)
	return ""
}

// TestSandboxControlsFailNextCheck: after the control, the agent's next
// promotion ends with its security check failed, on either model.
func TestSandboxControlsFailNextCheck(t *testing.T) {
	for _, model := range []string{"v2", "v1"} {
		t.Run(model, func(t *testing.T) {
			sbBackends(t, func(t *testing.T, o sandboxOptions) {
				o.Model, o.CheckDelay, o.PollInterval = model, 50*time.Millisecond, 50*time.Millisecond
				w := sbStart(t, o)
				got := sbControl(t, w, "fail-next-check", "payment-reminders")
				if got["ok"] != true || !strings.Contains(got["notice"].(string), "will fail") {
					t.Fatalf("fail-next-check = %v", got)
				}
				if got := sbPost(t, w.URL+"sandbox/api/command", `{"user":"UALICE","text":"/atoms promote payment-reminders \"Hardship options\""}`); got["ok"] != true {
					t.Fatalf("promote = %v", got)
				}
				sbWaitText(t, w, simFailReason)
			})
		})
	}
}

// TestSandboxControlsRefuse: an unknown agent or control is told, and
// changes nothing.
func TestSandboxControlsRefuse(t *testing.T) {
	w := sbStart(t, sandboxOptions{CheckDelay: -1})
	before := sbLiveID(t, w, "support-concierge")
	tests := []struct{ name, control, agent, want string }{
		{"unknown agent", "change-live", "no-such-agent", `no agent named "no-such-agent"`},
		{"no agent", "change-live", "", "choose an agent"},
		{"unknown control", "delete-everything", "support-concierge", "no such control"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := sbControl(t, w, tc.control, tc.agent)
			if got["ok"] == true || !strings.Contains(fmt.Sprint(got["error"]), tc.want) {
				t.Errorf("answer %v, want an error with %q", got, tc.want)
			}
		})
	}
	if after := sbLiveID(t, w, "support-concierge"); after != before {
		t.Errorf("the live version changed from %s to %s", before, after)
	}
}

// TestSandboxControlsChangeLiveFromNewBranch: on the branch model, a live
// branch with one revision (as a promotion leaves it) has nothing older to
// restore, so the control makes another branch live, Main first.
func TestSandboxControlsChangeLiveFromNewBranch(t *testing.T) {
	w := sbStart(t, sandboxOptions{CheckDelay: -1})
	a := sbAgent(t, w, "support-concierge")
	var feature, main string
	for _, b := range a.Branches {
		if b.Default {
			main = b.ID
		} else if b.HeadRevisionID != "" && feature == "" {
			feature = b.ID
		}
	}
	if feature == "" {
		if _, err := w.Sim.DashboardPublish(a.ID, a.Branches[1].ID, nil, "test"); err != nil {
			t.Fatalf("publish the feature branch: %v", err)
		}
		feature = a.Branches[1].ID
	}
	if err := w.Sim.DashboardMakeLive(a.ID, feature, "test"); err != nil {
		t.Fatal(err)
	}
	if got := sbControl(t, w, "change-live", "support-concierge"); got["ok"] != true {
		t.Fatalf("change-live = %v", got)
	}
	if live := sbAgent(t, w, "support-concierge").LiveBranchID; live != main {
		t.Errorf("live branch %s, want Main %s", live, main)
	}
}

func sbAgent(t *testing.T, w *sandboxWorld, name string) atomsim.AgentInfo {
	t.Helper()
	for _, a := range w.Sim.Agents() {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no agent %s", name)
	return atomsim.AgentInfo{}
}
