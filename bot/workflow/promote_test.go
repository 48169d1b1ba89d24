package workflow

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// TestPromotePublishes follows `/atoms promote` through Stage and Publish to
// the approval request, for every way a publish can answer.
func TestPromotePublishes(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig)
		check func(t *testing.T, r *rig, p state.Promotion)
	}{
		{
			name: "publish committed at once",
			check: func(t *testing.T, r *rig, p state.Promotion) {
				if p.State != state.Published || p.VersionID != "ag1-v2" || p.VersionRef != "v2" || p.ApprovalKey() != "ag1-v2" || p.Platform != "v1" {
					t.Fatalf("promotion = %+v, want published v2 (ag1-v2) on v1", p)
				}
				retries, publishes, _, _, _ := r.plat.snapshot()
				wantCount(t, "publish effects", publishes, 1)
				if !slices.Equal(retries, []bool{false}) {
					t.Errorf("publish retries = %v, want [false]", retries)
				}
				msg, ok := r.slack.message(deploys, p.MessageTS)
				if !ok || msg.Thread != "" {
					t.Fatalf("no approval request in the channel at %q", p.MessageTS)
				}
				for _, want := range []string{"Promotion: Support Bot → v2", render.ButtonValue(p.ID, "ag1-v2"), "atoms_approve", "very helpful", "Main draft (promoted by Rita via atomsbot)"} {
					if !strings.Contains(msg.Text(), want) {
						t.Errorf("approval request lacks %q:\n%s", want, msg.Text())
					}
				}
				if got := r.due(p); !got.Equal(r.clk.Now().Add(time.Second)) {
					t.Errorf("next look at %s, want one POLL_INTERVAL on (%s)", got, r.clk.Now().Add(time.Second))
				}
				if r.plat.draft(agentID).Open {
					t.Error("the draft is still open after publishing")
				}
			},
		},
		{
			name:  "publish scanning, the version named later by Refresh",
			setup: func(r *rig) { r.plat.setModel(platform.ModelV2) },
			check: func(t *testing.T, r *rig, p state.Promotion) {
				if p.State != state.Published || p.VersionID != "" || p.ApprovalKey() != "draft-ag1@1" || p.Platform != "v2" {
					t.Fatalf("promotion = %+v, want published without a version, approvals bound to the draft", p)
				}
				if _, ok := r.slack.message(deploys, p.MessageTS); !ok {
					t.Fatal("no approval request while the scan runs")
				}
				r.approve(p, bob)
				r.poll()
				r.wantState(p.ID, state.Published) // scanning: nothing to activate yet
				r.advance(6 * time.Second)
				np := r.wantState(p.ID, state.Live)
				if np.VersionID != "ag1-v2" || np.VersionRef != "v2" {
					t.Errorf("live promotion names %q (%q), want ag1-v2 (v2)", np.VersionID, np.VersionRef)
				}
				wantCount(t, "“passed” notes", r.threadHas(p, "security check of v2 passed"), 1)
				r.wantAnnounced(1, "Support Bot v2")
			},
		},
		{
			name: "scan passed, the version named only a read later",
			setup: func(r *rig) {
				r.plat.setModel(platform.ModelV2)
				r.plat.unnamedReads = 2
			},
			check: func(t *testing.T, r *rig, p state.Promotion) {
				r.approve(p, bob)
				r.advance(6 * time.Second)
				r.ticks(1)
				np := r.wantState(p.ID, state.Published)
				if np.CheckStatus != "passed" || np.VersionID != "" {
					t.Fatalf("promotion = %+v, want passed and not yet named", np)
				}
				wantCount(t, "Activate calls before the version is named", r.plat.count("Activate"), 0)
				r.ticks(1)
				if np := r.wantState(p.ID, state.Live); np.VersionID != "ag1-v2" {
					t.Errorf("live version %q, want ag1-v2", np.VersionID)
				}
			},
		},
		{
			name:  "unclear answer after the publish acted",
			setup: func(r *rig) { r.plat.queue("Publish", fakeOutcome{err: errUnclear, act: true}) },
			check: func(t *testing.T, r *rig, p state.Promotion) {
				wantUnclearThenPublished(t, r, p)
			},
		},
		{
			name:  "unclear answer, nothing published",
			setup: func(r *rig) { r.plat.queue("Publish", fakeOutcome{err: errUnclear}) },
			check: func(t *testing.T, r *rig, p state.Promotion) {
				wantUnclearThenPublished(t, r, p)
			},
		},
		{
			name: "clear refusal",
			setup: func(r *rig) {
				r.plat.fail("Publish", 1, refusedErr("the draft changes nothing against the live version"))
			},
			check: func(t *testing.T, r *rig, p state.Promotion) {
				if p.State != state.Failed || p.Reason != "publishing failed: the draft changes nothing against the live version" {
					t.Fatalf("promotion is %s (%q), want failed with the platform's reason", p.State, p.Reason)
				}
				wantEndedBeforeApproval(t, r, p, "publishing failed: the draft changes nothing")
			},
		},
		{
			name: "stage refused",
			setup: func(r *rig) {
				r.plat.fail("Stage", 1, platform.Errorf(platform.ErrNotFound, "the draft was discarded"))
			},
			check: func(t *testing.T, r *rig, p state.Promotion) {
				if p.State != state.Failed || p.Reason != "publishing failed: the draft was discarded" {
					t.Fatalf("promotion is %s (%q), want failed", p.State, p.Reason)
				}
				wantCount(t, "Publish calls", r.plat.count("Publish"), 0)
				wantEndedBeforeApproval(t, r, p, "the draft was discarded")
			},
		},
		{
			name:  "stage unavailable, staged again later",
			setup: func(r *rig) { r.plat.fail("Stage", 1, errUnavailable) },
			check: func(t *testing.T, r *rig, p state.Promotion) {
				if p.State != state.Requested {
					t.Fatalf("promotion is %s, want requested", p.State)
				}
				r.advance(ambiguousRetry)
				r.wantState(p.ID, state.Published)
				wantCount(t, "Stage calls", r.plat.count("Stage"), 2)
				_, publishes, _, _, _ := r.plat.snapshot()
				wantCount(t, "publish effects", publishes, 1)
			},
		},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				if tt.setup != nil {
					tt.setup(r)
				}
				tt.check(t, r, r.promote())
			})
		}
	})
}

// wantUnclearThenPublished: a publish without a clear answer leaves the
// promotion requested, is retried as a retry, and publishes exactly once.
func wantUnclearThenPublished(t *testing.T, r *rig, p state.Promotion) {
	t.Helper()
	if p.State != state.Requested || p.MessageTS != "" {
		t.Fatalf("promotion is %s with message %q, want requested without an approval request", p.State, p.MessageTS)
	}
	if got := r.due(p); !got.Equal(r.clk.Now().Add(ambiguousRetry)) {
		t.Errorf("retry due at %s, want %s", got, r.clk.Now().Add(ambiguousRetry))
	}
	r.poll()
	wantCount(t, "Publish calls before the retry is due", r.plat.count("Publish"), 1)
	r.advance(ambiguousRetry)
	np := r.wantState(p.ID, state.Published)
	retries, publishes, _, _, _ := r.plat.snapshot()
	if !slices.Equal(retries, []bool{false, true}) {
		t.Errorf("publish retries = %v, want [false true]", retries)
	}
	wantCount(t, "publish effects", publishes, 1)
	wantCount(t, "Stage calls", r.plat.count("Stage"), 1)
	if np.VersionID != "ag1-v2" || np.MessageTS == "" {
		t.Errorf("promotion = %+v, want v2 with its approval request", np)
	}
	wantCount(t, "approval requests", len(r.slack.postsContaining("atoms_approve")), 1)
}

// wantEndedBeforeApproval: a promotion that failed before its approval
// request says so in the channel, undoes what it staged and frees the agent.
func wantEndedBeforeApproval(t *testing.T, r *rig, p state.Promotion, sub string) {
	t.Helper()
	r.wantEndNote(p, "failed", sub)
	if n := len(r.slack.postsContaining("atoms_approve")); n != 0 {
		t.Errorf("%d approval requests for a promotion that never published", n)
	}
	_, _, _, abandoned, _ := r.plat.snapshot()
	if !slices.Equal(abandoned, []string{p.ID}) {
		t.Errorf("abandoned %v, want [%s]", abandoned, p.ID)
	}
	r.poll()
	r.wantSettled(p)
}

func TestPromoteRefusedUpFront(t *testing.T) {
	tests := []struct {
		name  string
		draft func(d *platform.Draft)
		want  string
	}{
		{"draft not open", func(d *platform.Draft) { d.Open = false }, "has no open draft"},
		{"draft being scanned", func(d *platform.Draft) { d.Scanning = true }, "being published already"},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				req := r.promoteReq(agentID)
				tt.draft(&req.Draft)
				_, err := r.eng.Promote(r.ctx, req)
				wantRefused(t, err, tt.want)
				wantCount(t, "Stage calls", r.plat.count("Stage"), 0)
				if h, _ := r.store.LockHolder(r.ctx, state.AgentLock(agentID)); h != "" {
					t.Errorf("agent locked by %q after a refusal", h)
				}
				if n, _ := r.store.QueueLen(r.ctx); n != 0 {
					t.Errorf("%d items queued after a refusal", n)
				}
			})
		}
	})
}

func TestPromoteSecondInFlight(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		first := r.published()
		r.plat.reopenDraft(agentID)
		_, err := r.eng.Promote(r.ctx, r.promoteReq(agentID))
		var ife *InFlightError
		if !errors.As(err, &ife) {
			t.Fatalf("second promotion: err = %v, want *InFlightError", err)
		}
		if ife.Holder.ID != first.ID || ife.AgentName != agentName || !strings.Contains(ife.Error(), "already has a promotion in flight") {
			t.Errorf("InFlightError = %+v (%q), want held by %s", ife, ife.Error(), first.ID)
		}
		wantCount(t, "Stage calls", r.plat.count("Stage"), 1)

		// Once the first ends, the agent takes a promotion again.
		r.live(first)
		if p := r.promote(); p.State != state.Published {
			t.Errorf("promotion after the first went live is %s", p.State)
		}
	})
}

func TestPromoteLabel(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		req := r.promoteReq(agentID)
		req.Label = "Friendlier greeting"
		p, err := r.eng.Promote(r.ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if p.Label != "Friendlier greeting" || r.plat.version(agentID, p.VersionID).Label != "Friendlier greeting" {
			t.Errorf("label = %q (version %q), want the one asked for", p.Label, r.plat.version(agentID, p.VersionID).Label)
		}
		if got := Permalink(deploys, "1700000000.000001"); got != "https://slack.com/archives/CDEPLOYS/p1700000000000001" {
			t.Errorf("Permalink = %q", got)
		}
		if Permalink("", "1.2") != "" || Permalink(deploys, "") != "" {
			t.Error("a permalink without channel or ts is not empty")
		}
		if got := platform.Explain(refusedErr("Atoms said no")); got != "Atoms said no" {
			t.Errorf("UserMessage = %q", got)
		}
	})
}
