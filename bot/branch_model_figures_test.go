package bot

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/branches"
	"github.com/atomsbot/atomsbot/atoms/platform/drafts"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

var (
	objectIDPart = regexp.MustCompile(`/[0-9a-f]{24}`)
	uuidPart     = regexp.MustCompile(`/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// callSummary counts calls by method and templated path.
func callSummary(calls []atomsim.Call) string {
	n := map[string]int{}
	for _, c := range calls {
		p := uuidPart.ReplaceAllString(objectIDPart.ReplaceAllString(c.Path, "/{id}"), "/{draft}")
		n[c.Method+" "+p]++
	}
	var out []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range n {
			if !yield(k) {
				return
			}
		}
	}) {
		out = append(out, fmt.Sprintf("%d× %s", n[k], k))
	}
	return strings.Join(out, ", ")
}

// promotionCalls is what one promotion costs on Atoms, from `promote` to
// the "is live" post, approved at once, polled every POLL_INTERVAL (1 s):
// the calls of the security-check polls (passes that found the check still
// running) and all the others.
type promotionCalls struct {
	polls, pollPasses, others int
	pollCalls, otherCalls     []atomsim.Call
	// liveCalls are those of the pass that noticed the check had ended and
	// went live: the calls between the commit and "is live".
	liveCalls []atomsim.Call
}

func measurePromotion(t *testing.T, h *harness, promote func() string) promotionCalls {
	t.Helper()
	h.sim.ResetCalls()
	ts := promote()
	h.approve(bob, ts)
	var m promotionCalls
	m.otherCalls = h.sim.Calls()
	for i := 0; h.state().CountText("is live") == 0; i++ {
		if i == 30 {
			t.Fatalf("not live after 30 polls:%s", h.dump())
		}
		before := len(h.sim.Calls())
		h.advance(time.Second)
		pass := h.sim.Calls()[before:]
		if p := h.promotionAt(ts); p.State == state.Published && p.CheckStatus != "passed" {
			m.pollPasses++
			m.pollCalls = append(m.pollCalls, pass...)
		} else {
			m.otherCalls = append(m.otherCalls, pass...)
			m.liveCalls = pass
		}
	}
	m.polls, m.others = len(m.pollCalls), len(m.otherCalls)
	return m
}

// The Atoms calls of one promotion, per model, with upper bounds that guard
// against regressions. The security check takes 6 s, so five polls find it
// running on either model; what differs is the rest. Each promotion's
// calls include the draft's diff against the live version (two calls on
// either model), read before publishing to refuse a draft without changes.
func TestBranchModelCallsPerPromotion(t *testing.T) {
	cases := []struct {
		name      string
		mods      []func(*harnessConfig)
		promote   func(h *harness) string
		maxOthers int // calls besides the polls
		maxPoll   int // calls per poll
		maxLive   int // calls from the commit to "is live"
	}{
		{"v1 draft", nil, func(h *harness) string { _, ts := h.promote(h.bot, alice); return ts }, 14, 1, 5},
		{"branch model, feature-branch draft", []func(*harnessConfig){branchModel("v2")}, func(h *harness) string { return h.bmPromote(h.bot, "Refund policy update") }, 22, 1, 8},
		{"branch model, live-branch draft", []func(*harnessConfig){branchModel("v2")}, func(h *harness) string { return h.bmPromote(h.bot, "Main") }, 26, 1, 8},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, tc.mods...)
				m := measurePromotion(t, h, func() string { return tc.promote(h) })
				t.Logf("%s: %d calls from promote to “is live”: %d besides the check polls + %d in %d security-check polls",
					tc.name, m.others+m.polls, m.others, m.polls, m.pollPasses)
				t.Logf("  besides the polls: %s", callSummary(m.otherCalls))
				t.Logf("  polls: %s", callSummary(m.pollCalls))
				t.Logf("  from the commit to “is live” (%d): %s", len(m.liveCalls), callSummary(m.liveCalls))
				if m.pollPasses != 5 {
					t.Errorf("%d polls found the check running, want 5 (a 6 s check polled every second)", m.pollPasses)
				}
				if m.others > tc.maxOthers {
					t.Errorf("%d calls besides the polls, want at most %d", m.others, tc.maxOthers)
				}
				if n := len(m.liveCalls); n > tc.maxLive {
					t.Errorf("%d calls from the commit to “is live”, want at most %d", n, tc.maxLive)
				}
				if m.polls > tc.maxPoll*m.pollPasses {
					t.Errorf("%d calls in %d polls, want at most %d per poll", m.polls, m.pollPasses, tc.maxPoll)
				}
			})
		})
	}
}

// commitWorld is one bot process (engine only) on a simulator and a fake
// Slack, for the benchmark (the harness needs a *testing.T).
type commitWorld struct {
	clock *atomsim.Clock
	sim   *atomsim.Simulator
	slack *slackfake.Server
	plat  platform.Platform
	eng   *workflow.Engine
}

func newCommitWorld(b *testing.B, be statetest.Backend, branchModel bool) *commitWorld {
	c := atomsim.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	sim := atomsim.New(atomsim.Options{Now: c.Now, Seed: 7, BranchModel: branchModel, Sleep: func(context.Context, time.Duration) {}})
	if _, err := sim.SeedDemo(); err != nil {
		b.Fatal(err)
	}
	simSrv := httptest.NewServer(sim)
	b.Cleanup(simSrv.Close)
	fake := slackfake.New(slackfake.Options{Token: testToken, Now: c.Now, BotUserID: "UBOT"})
	slackSrv := httptest.NewServer(fake)
	b.Cleanup(slackSrv.Close)
	fake.SetBaseURL(slackSrv.URL)
	ac, err := atoms.New(atoms.Options{BaseURL: simSrv.URL, APIKey: testAPIKey, RPS: 100000, Sleep: noSleep, MaxRetries: 8})
	if err != nil {
		b.Fatal(err)
	}
	var plat platform.Platform = drafts.New(ac)
	if branchModel {
		plat = branches.New(ac, c.Now)
	}
	store := state.New(be.Client(b), be.Prefix(b), c.Now)
	sc := slackweb.New(slackweb.Options{Token: testToken, APIURL: slackSrv.URL + "/", Sleep: noSleep})
	eng := workflow.New(plat, store, sc, workflow.Config{
		Policy: workflow.Policy{Required: 1, TTL: 24 * time.Hour}, PollInterval: time.Second, CheckTimeout: 10 * time.Minute,
		Now: c.Now, Owner: "bench", RPS: 100000,
	})
	return &commitWorld{clock: c, sim: sim, slack: fake, plat: plat, eng: eng}
}

// BenchmarkCommitToLive measures, on the injected clock, how long after the
// security check ends (the scan commits the revision, or the v1 check
// passes) an approved promotion is announced live, with POLL_INTERVAL = 1 s
// and the poller looking every 250 ms as Run does; and the Atoms calls made
// in between. The check's length varies over iterations (6.0–6.9 s), so the
// commit falls anywhere between two polls.
func BenchmarkCommitToLive(b *testing.B) {
	for _, bc := range []struct {
		name        string
		branchModel bool
		draft       string
	}{
		{"v1", false, "Refund policy update"},
		{"branch-model/feature-branch", true, "Refund policy update"},
		{"branch-model/live-branch", true, "Main"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			be := statetest.Bench(b)
			ctx := context.Background()
			var lagSum, lagMax time.Duration
			calls := 0
			for i := range b.N {
				b.StopTimer()
				w := newCommitWorld(b, be, bc.branchModel)
				delay := 6*time.Second + time.Duration(i%10)*100*time.Millisecond
				w.sim.SetCheckDelay(delay)
				agents, err := w.plat.Agents(ctx, demoAgent)
				if err != nil || len(agents) != 1 {
					b.Fatalf("agents: %v %v", agents, err)
				}
				agent, err := w.plat.Agent(ctx, agents[0].ID)
				if err != nil {
					b.Fatal(err)
				}
				ds, err := w.plat.Drafts(ctx, agent.ID)
				if err != nil {
					b.Fatal(err)
				}
				di := slices.IndexFunc(ds, func(d platform.Draft) bool { return d.Name == bc.draft })
				b.StartTimer()
				start := w.clock.Now()
				p, err := w.eng.Promote(ctx, workflow.PromoteRequest{Agent: agent, Draft: ds[di], Label: "bench", Requester: alice, Channel: testChannel})
				if err != nil || p.State != state.Published {
					b.Fatalf("promote: %s %v", p.State, err)
				}
				if _, err := w.eng.Approve(ctx, p.ID, p.ApprovalKey(), bob); err != nil {
					b.Fatal(err)
				}
				commit := start.Add(delay)
				atCommit := -1
				for w.slack.Snapshot().CountText("is live") == 0 {
					if w.clock.Now().Sub(start) > time.Minute {
						b.Fatalf("not live a minute after the promotion")
					}
					w.clock.Advance(250 * time.Millisecond)
					if atCommit < 0 && !w.clock.Now().Before(commit) {
						atCommit = len(w.sim.Calls())
					}
					if _, err := w.eng.PollOnce(ctx); err != nil {
						b.Fatal(err)
					}
				}
				lag := w.clock.Now().Sub(commit)
				lagSum += lag
				lagMax = max(lagMax, lag)
				calls += len(w.sim.Calls()) - atCommit
			}
			b.ReportMetric(lagSum.Seconds()/float64(b.N), "commit-to-live-s")
			b.ReportMetric(lagMax.Seconds(), "max-commit-to-live-s")
			b.ReportMetric(float64(calls)/float64(b.N), "calls-commit-to-live")
		})
	}
}
