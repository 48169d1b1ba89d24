package workflow

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

const testPhone = "+15551234567"

// testCalls is what the fake platform was asked to call.
func (f *fakePlatform) testCallReqs() []platform.CallRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]platform.CallRequest(nil), f.testCalls...)
}

// callOf asks for a test call of p by user.
func callOf(p state.Promotion, user string) TestCallRequest {
	return TestCallRequest{User: user, Channel: deploys, AgentID: p.AgentID, AgentName: agentName, PromotionID: p.ID, Phone: testPhone}
}

// TestTestCallPermission: a promotion may be called by its requester or by
// whoever may approve it; a draft or a version only by someone who may
// approve. Refusals are *RefusedError and reach no platform.
func TestTestCallPermission(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		tests := []struct {
			name   string
			policy Policy
			user   string
			target string // "promotion", "draft", "version"
			refuse string // "" : allowed
		}{
			{"requester, promotion", Policy{Required: 1}, requester, "promotion", ""},
			{"approver, promotion", Policy{Required: 1}, bob, "promotion", ""},
			{"anyone, draft, no approver list", Policy{Required: 1}, mallory, "draft", ""},
			{"listed approver, promotion", Policy{Required: 1, Approvers: []string{bob, carol}}, carol, "promotion", ""},
			{"requester not listed, promotion", Policy{Required: 1, Approvers: []string{bob, carol}}, requester, "promotion", ""},
			{"requester not listed, draft", Policy{Required: 1, Approvers: []string{bob, carol}}, requester, "draft", "not on the list of approvers"},
			{"outsider, promotion", Policy{Required: 1, Approvers: []string{bob, carol}}, mallory, "promotion", "Only the requester"},
			{"outsider, draft", Policy{Required: 1, Approvers: []string{bob, carol}}, mallory, "draft", "not on the list of approvers"},
			{"outsider, version", Policy{Required: 1, Approvers: []string{bob, carol}}, mallory, "version", "not on the list of approvers"},
			{"listed approver, version", Policy{Required: 1, Approvers: []string{bob, carol}}, bob, "version", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b, withPolicy(tt.policy))
				p := r.published()
				v := r.plat.addVersion(agentID, platform.Check{Status: "passed"})
				req := callOf(p, tt.user)
				switch tt.target {
				case "draft":
					req = TestCallRequest{User: tt.user, Channel: deploys, AgentID: agentID, DraftID: "draft-" + agentID, Target: "the draft", Phone: testPhone}
				case "version":
					req = TestCallRequest{User: tt.user, Channel: deploys, AgentID: agentID, VersionID: v.ID, Target: "v3", Phone: testPhone}
				}
				res, err := r.eng.TestCall(r.ctx, req)
				calls := r.plat.testCallReqs()
				if tt.refuse != "" {
					wantRefused(t, err, tt.refuse)
					wantCount(t, "platform test calls", len(calls), 0)
					wantCount(t, "thread notes", r.threadHas(p, "test-called"), 0)
					return
				}
				if err != nil || res.ConversationID != "CALL-1" {
					t.Fatalf("TestCall = %+v, %v", res, err)
				}
				if len(calls) != 1 {
					t.Fatalf("%d platform test calls", len(calls))
				}
				c := calls[0]
				if c.Phone != testPhone || c.AgentID != agentID {
					t.Errorf("call request %+v", c)
				}
				switch tt.target {
				case "promotion":
					if c.Release == nil || c.Release.ID != p.ID || c.Release.VersionID != p.VersionID || c.DraftID != "" || c.VersionID != "" {
						t.Errorf("a promotion's call names %+v (release %+v), want its release of %s", c, c.Release, p.VersionID)
					}
				case "draft":
					if c.Release != nil || c.DraftID != "draft-"+agentID || c.VersionID != "" {
						t.Errorf("a draft's call names %+v", c)
					}
				case "version":
					if c.Release != nil || c.VersionID != v.ID || c.DraftID != "" {
						t.Errorf("a version's call names %+v", c)
					}
				}
			})
		}
	})
}

// TestTestCallLimitAcrossReplicas: the hourly limit counts a user's calls
// on every replica together (they share Redis); the next call is a
// *LimitError saying when one may go again, reaching no platform; other
// users are not counted; an hour later calls go again. 0 means 5.
func TestTestCallLimitAcrossReplicas(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		tests := []struct {
			name    string
			perHour int
			want    int
		}{
			{"TEST_CALLS_PER_HOUR=3", 3, 3},
			{"default", 0, 5},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b, func(c *Config) { c.TestCallsPerHour = tt.perHour })
				p := r.published()
				engines := []*Engine{r.eng, r.replica("replica-2")}
				first := r.clk.Now()
				for i := range tt.want {
					if _, err := engines[i%2].TestCall(r.ctx, callOf(p, bob)); err != nil {
						t.Fatalf("call %d: %v", i+1, err)
					}
					r.clk.Advance(time.Minute)
				}
				for i, e := range engines {
					_, err := e.TestCall(r.ctx, callOf(p, bob))
					var le *LimitError
					if !errors.As(err, &le) {
						t.Fatalf("replica %d: over the limit err = %v, want a *LimitError", i+1, err)
					}
					if le.Limit != tt.want || !le.Next.Equal(first.Add(time.Hour)) {
						t.Errorf("LimitError %+v, want limit %d, next %s", le, tt.want, first.Add(time.Hour))
					}
					if !strings.Contains(le.Error(), "last hour") {
						t.Errorf("limit message %q", le.Error())
					}
				}
				wantCount(t, "platform test calls", len(r.plat.testCallReqs()), tt.want)
				if _, err := engines[1].TestCall(r.ctx, callOf(p, carol)); err != nil {
					t.Errorf("carol is limited by bob's calls: %v", err)
				}
				r.clk.Set(first.Add(time.Hour + time.Millisecond))
				if _, err := engines[1].TestCall(r.ctx, callOf(p, bob)); err != nil {
					t.Errorf("an hour after the first call: %v", err)
				}
				wantCount(t, "platform test calls", len(r.plat.testCallReqs()), tt.want+2)
			})
		}
	})
}

// TestTestCallLimitConcurrent: replicas racing for the last call of the
// hour let exactly the limit through.
func TestTestCallLimitConcurrent(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b, func(c *Config) { c.TestCallsPerHour = 4 })
		p := r.published()
		engines := []*Engine{r.eng, r.replica("replica-2"), r.replica("replica-3")}
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, limited := 0, 0
		for i := range 12 {
			wg.Go(func() {
				_, err := engines[i%3].TestCall(r.ctx, callOf(p, bob))
				var le *LimitError
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.As(err, &le):
					limited++
				default:
					t.Errorf("call: %v", err)
				}
			})
		}
		wg.Wait()
		if ok != 4 || limited != 8 {
			t.Errorf("%d calls went, %d limited; want 4 and 8", ok, limited)
		}
		wantCount(t, "platform test calls", len(r.plat.testCallReqs()), 4)
	})
}

// TestTestCallThreadNote: a call of a promotion is noted in its request's
// thread ("📞 @bob test-called v2 (conversation …)") and audited; a call of a
// draft or a version is not noted; the number is in neither, nor in the log.
func TestTestCallThreadNote(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		var logs bytes.Buffer
		var mu sync.Mutex
		r := newRig(t, b, func(c *Config) {
			c.Logger = slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		})
		p := r.published()
		res, err := r.eng.TestCall(r.ctx, callOf(p, bob))
		if err != nil {
			t.Fatal(err)
		}
		notes := r.slack.thread(p.Channel, r.get(p.ID).MessageTS)
		var note string
		for _, c := range notes {
			if strings.Contains(c.Text(), "test-called") {
				note = c.Msg.Text
			}
		}
		for _, w := range []string{":telephone_receiver:", "<@" + bob + ">", "test-called v2", res.ConversationID} {
			if !strings.Contains(note, w) {
				t.Errorf("thread note %q lacks %q", note, w)
			}
		}
		if !strings.Contains(res.Target, agentName) || !strings.Contains(res.Target, "v2") {
			t.Errorf("result target %q", res.Target)
		}
		before := len(r.slack.of(""))
		if _, err := r.eng.TestCall(r.ctx, TestCallRequest{User: bob, Channel: deploys, AgentID: agentID, DraftID: "draft-" + agentID, Target: "the draft", Phone: testPhone}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.eng.TestCall(r.ctx, TestCallRequest{User: bob, Channel: deploys, AgentID: agentID, VersionID: agentID + "-v1", Target: "v1", Phone: testPhone}); err != nil {
			t.Fatal(err)
		}
		if n := len(r.slack.of("")); n != before {
			t.Errorf("calls of a draft and a version made %d Slack calls", n-before)
		}
		entries, err := r.store.AuditLog(r.ctx, agentID, 20)
		if err != nil {
			t.Fatal(err)
		}
		audited := 0
		for _, e := range entries {
			if e.Action == "test-call" {
				audited++
				if e.Actor != bob {
					t.Errorf("audit entry %+v", e)
				}
			}
			if strings.Contains(e.Detail, "5551234567") {
				t.Errorf("the audit log holds the number: %+v", e)
			}
		}
		wantCount(t, "audited test calls", audited, 3)
		for _, c := range r.slack.of("") {
			if strings.Contains(c.Text(), "5551234567") {
				t.Errorf("Slack was sent the number: %s", c.Text())
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(logs.String(), "5551234567") {
			t.Errorf("the log holds the number:\n%s", logs.String())
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestTestCallRefusesByPromotionState: a promotion still being published,
// or one that ended, is not called; one being activated still is.
func TestTestCallRefusesByPromotionState(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		tests := []struct {
			name   string
			setup  func(r *rig) state.Promotion
			refuse string
		}{
			{"requested", func(r *rig) state.Promotion {
				r.plat.fail("Publish", 1, errUnavailable)
				return r.promote()
			}, "still being published"},
			{"live", func(r *rig) state.Promotion { return r.live(r.published()) }, "already live"},
			{"rejected", func(r *rig) state.Promotion {
				p := r.published()
				if _, err := r.eng.Reject(r.ctx, p.ID, p.ApprovalKey(), bob, ""); err != nil {
					r.t.Fatal(err)
				}
				return p
			}, "already rejected"},
			{"unknown", func(r *rig) state.Promotion { return state.Promotion{ID: "pr_nope", AgentID: agentID} }, "no longer exists"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := tt.setup(r)
				_, err := r.eng.TestCall(r.ctx, callOf(p, bob))
				wantRefused(t, err, tt.refuse)
				wantCount(t, "platform test calls", len(r.plat.testCallReqs()), 0)
			})
		}
	})
}

// TestTestCallCheckFailedRefused: a promotion whose check is recorded as
// failed is refused with the reason and reaches no platform, whether the
// engine has moved it to failed yet or not.
func TestTestCallCheckFailedRefused(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		const reason = "prompt asks for card numbers"
		tests := []struct {
			name string
			fail func(r *rig, p state.Promotion)
		}{
			{"recorded, not yet failed", func(r *rig, p state.Promotion) {
				st, why := "failed", reason
				if _, err := r.store.Update(r.ctx, p.ID, state.Published, state.Patch{CheckStatus: &st, CheckReason: &why}); err != nil {
					r.t.Fatal(err)
				}
			}},
			{"the promotion failed", func(r *rig, p state.Promotion) {
				r.plat.setCheck(agentID, p.ID, "failed", reason)
				r.ticks(2)
				r.wantState(p.ID, state.Failed)
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				r.plat.checkAfter = 0
				p := r.published()
				tt.fail(r, p)
				_, err := r.eng.TestCall(r.ctx, callOf(p, bob))
				wantRefused(t, err, reason)
				wantRefused(t, err, "security check")
				wantCount(t, "platform test calls", len(r.plat.testCallReqs()), 0)
				wantCount(t, "thread notes", r.threadHas(p, "test-called"), 0)
			})
		}
	})
}

// TestTestCallPlatformErrors: the platform's refusal reaches the caller as
// it is (its kind and its words), once; an unclear answer is passed on as
// unclear and the call is not repeated (a repeat could ring twice). No
// thread note says a call happened.
func TestTestCallPlatformErrors(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		tests := []struct {
			name  string
			out   fakeOutcome
			kind  error
			words string
			acted int // calls the platform placed
		}{
			{"refused (archived agent)", fakeOutcome{err: refusedErr("Agent is archived and cannot initiate calls")}, platform.ErrRefused, "archived", 0},
			{"not found", fakeOutcome{err: platform.Errorf(platform.ErrNotFound, "that branch has no open draft")}, platform.ErrNotFound, "no open draft", 0},
			{"busy", fakeOutcome{err: platform.Errorf(platform.ErrBusy, "it is still being published")}, platform.ErrBusy, "still being published", 0},
			{"unavailable", fakeOutcome{err: errUnavailable}, platform.ErrUnavailable, "unavailable", 0},
			{"unclear after the call was placed", fakeOutcome{err: errUnclear, act: true}, platform.ErrUnclear, "did not answer", 1},
			{"unclear before", fakeOutcome{err: errUnclear}, platform.ErrUnclear, "did not answer", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				p := r.published()
				r.plat.queue("TestCall", tt.out)
				_, err := r.eng.TestCall(r.ctx, callOf(p, bob))
				if !errors.Is(err, tt.kind) || !strings.Contains(platform.Explain(err), tt.words) {
					t.Fatalf("err = %v, want %v with %q", err, tt.kind, tt.words)
				}
				if platform.Ambiguous(err) != (tt.kind == platform.ErrUnclear) {
					t.Errorf("Ambiguous(%v) = %v", err, platform.Ambiguous(err))
				}
				wantCount(t, "TestCall calls", r.plat.count("TestCall"), 1)
				wantCount(t, "calls placed", len(r.plat.testCallReqs()), tt.acted)
				wantCount(t, "thread notes", r.threadHas(p, "test-called"), 0)
				// Nothing retries it later either.
				r.ticks(3)
				wantCount(t, "TestCall calls after polls", r.plat.count("TestCall"), 1)
			})
		}
	})
}

// TestTestCallChangesNothingLive: calls of a promotion, a draft and a
// version leave the live version, the promotion and its approvals as they
// were.
func TestTestCallChangesNothingLive(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		r := newRig(t, b)
		p := r.published()
		live := r.plat.liveID(agentID)
		for _, req := range []TestCallRequest{
			callOf(p, bob),
			{User: bob, Channel: deploys, AgentID: agentID, DraftID: "draft-" + agentID, Phone: testPhone},
			{User: bob, Channel: deploys, AgentID: agentID, VersionID: p.VersionID, Phone: testPhone},
			{User: bob, Channel: deploys, AgentID: agentID, Phone: testPhone},
		} {
			if _, err := r.eng.TestCall(r.ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		if got := r.plat.liveID(agentID); got != live {
			t.Errorf("live moved %s → %s", live, got)
		}
		for _, m := range []string{"Activate", "Publish", "Stage", "Abandon", "Tidy"} {
			if n := r.plat.count(m); n > 1 {
				t.Errorf("%s called %d times", m, n)
			}
		}
		wantCount(t, "activations", r.plat.activatedCount(), 0)
		got := r.get(p.ID)
		if got.State != state.Published || got.VersionID != p.VersionID {
			t.Errorf("promotion %s %s, want published %s", got.State, got.VersionID, p.VersionID)
		}
		if _, approvals, err := r.store.PromotionWithApprovals(r.ctx, p.ID); err != nil || len(approvals) != 0 {
			t.Errorf("approvals after test calls: %+v %v", approvals, err)
		}
	})
}
