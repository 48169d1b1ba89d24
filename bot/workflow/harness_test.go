package workflow

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// The people, channels and agent of the engine tests.
const (
	requester = "UREQ"
	bob       = "UBOB"   // an approver
	carol     = "UCAROL" // another approver
	mallory   = "UMAL"   // not on any approver list
	deploys   = "CDEPLOYS"
	watchers1 = "CWATCHA"
	watchers2 = "CWATCHB"
	agentID   = "ag1"
	agentName = "Support Bot"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// rig is one test world: a settable clock, a Redis key space, the fake
// platform and the fake Slack, and the engine (more replicas on demand).
type rig struct {
	t       *testing.T
	ctx     context.Context
	clk     *atomsim.Clock
	rdb     *redis.Client
	prefix  string
	store   *state.Store
	plat    *fakePlatform
	slack   *fakeSlack
	metrics *fakeMetrics
	cfg     Config
	eng     *Engine
}

func newRig(t *testing.T, b statetest.Backend, tune ...func(*Config)) *rig {
	t.Helper()
	clk := atomsim.NewClock(t0)
	r := &rig{
		t: t, ctx: context.Background(), clk: clk,
		rdb: b.Client(t), prefix: b.Prefix(t),
		plat: newFakePlatform(clk.Now), slack: newFakeSlack(), metrics: &fakeMetrics{},
	}
	r.plat.addAgent(agentID, agentName)
	r.cfg = Config{
		Policy:       Policy{Required: 1, TTL: 24 * time.Hour},
		PollInterval: time.Second, CheckTimeout: 10 * time.Minute, WatchInterval: 15 * time.Second,
		Lease: 2 * time.Minute, RPS: 5, Owner: "replica-1", Now: clk.Now, Metrics: r.metrics,
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range tune {
		f(&r.cfg)
	}
	r.store = state.New(r.rdb, r.prefix, clk.Now)
	r.eng = New(r.plat, r.store, r.slack, r.cfg)
	return r
}

// replica is another engine process on the same Redis, platform and Slack.
func (r *rig) replica(owner string) *Engine {
	cfg := r.cfg
	cfg.Owner = owner
	return New(r.plat, state.New(r.rdb, r.prefix, r.clk.Now), r.slack, cfg)
}

func withPolicy(p Policy) func(*Config) {
	return func(c *Config) {
		if p.TTL == 0 {
			p.TTL = c.Policy.TTL
		}
		c.Policy = p
	}
}

// promoteReq is `/atoms promote` of the agent's draft by the requester.
func (r *rig) promoteReq(agent string) PromoteRequest {
	return PromoteRequest{
		Agent: r.plat.agent(agent), Draft: r.plat.draft(agent),
		Requester: requester, RequesterName: "Rita", Channel: deploys,
	}
}

// promote starts a promotion of agentID's draft; it must not be refused.
func (r *rig) promote() state.Promotion {
	r.t.Helper()
	p, err := r.eng.Promote(r.ctx, r.promoteReq(agentID))
	if err != nil {
		r.t.Fatalf("Promote: %v", err)
	}
	return p
}

// published promotes and checks that the approval request is out.
func (r *rig) published() state.Promotion {
	r.t.Helper()
	p := r.promote()
	if p.State != state.Published || p.MessageTS == "" {
		r.t.Fatalf("promotion is %s with message %q, want published with its approval request", p.State, p.MessageTS)
	}
	return p
}

// poll runs one poll of e (the rig's engine when nil).
func (r *rig) pollWith(e *Engine) int {
	r.t.Helper()
	n, err := e.PollOnce(r.ctx)
	if err != nil {
		r.t.Fatalf("PollOnce: %v", err)
	}
	return n
}

func (r *rig) poll() int { r.t.Helper(); return r.pollWith(r.eng) }

// advance moves the clock on and polls.
func (r *rig) advance(d time.Duration) {
	r.t.Helper()
	r.clk.Advance(d)
	r.poll()
}

// ticks polls n times, a POLL_INTERVAL apart.
func (r *rig) ticks(n int) {
	r.t.Helper()
	for range n {
		r.advance(r.cfg.PollInterval)
	}
}

func (r *rig) get(id string) state.Promotion {
	r.t.Helper()
	p, err := r.store.Promotion(r.ctx, id)
	if err != nil {
		r.t.Fatalf("read promotion %s: %v", id, err)
	}
	return p
}

func (r *rig) wantState(id string, want state.PromotionState) state.Promotion {
	r.t.Helper()
	p := r.get(id)
	if p.State != want {
		r.t.Fatalf("promotion %s is %s (reason %q), want %s", id, p.State, p.Reason, want)
	}
	return p
}

func (r *rig) approve(p state.Promotion, user string) ApprovalResult {
	r.t.Helper()
	res, err := r.eng.Approve(r.ctx, p.ID, p.ApprovalKey(), user)
	if err != nil {
		r.t.Fatalf("Approve by %s: %v", user, err)
	}
	return res
}

// live approves p, lets its check pass, and checks that it went live.
func (r *rig) live(p state.Promotion) state.Promotion {
	r.t.Helper()
	r.approve(p, bob)
	r.advance(r.plat.checkAfter)
	return r.wantState(p.ID, state.Live)
}

// wantSettled checks that p's due item is gone and the agent is free.
func (r *rig) wantSettled(p state.Promotion) {
	r.t.Helper()
	if at, owner, ok, err := r.store.Scheduled(r.ctx, state.PromotionItem(p.ID)); err != nil || ok {
		r.t.Errorf("promotion %s is still queued (due %s, lease %q, err %v)", p.ID, at, owner, err)
	}
	if h, err := r.store.LockHolder(r.ctx, state.AgentLock(p.AgentID)); err != nil || h != "" {
		r.t.Errorf("agent %s is still locked by %q (err %v)", p.AgentID, h, err)
	}
}

// due is when p's item is due next (fatal when it is not queued).
func (r *rig) due(p state.Promotion) time.Time {
	r.t.Helper()
	at, _, ok, err := r.store.Scheduled(r.ctx, state.PromotionItem(p.ID))
	if err != nil || !ok {
		r.t.Fatalf("promotion %s is not queued (err %v)", p.ID, err)
	}
	return at
}

// wantAnnounced checks that exactly n "is live" announcements went out, all
// containing sub, and that no other post said "is live".
func (r *rig) wantAnnounced(n int, sub string) []slackCall {
	r.t.Helper()
	got := r.slack.of(kindAnnounce)
	if len(got) != n {
		r.t.Fatalf("%d announcements, want %d: %v", len(got), n, texts(got))
	}
	for _, c := range got {
		if !strings.Contains(c.Msg.Text, "is live") || !strings.Contains(c.Text(), sub) {
			r.t.Errorf("announcement %q does not say “is live” with %q", c.Text(), sub)
		}
	}
	for _, c := range r.slack.of(kindPost) {
		if strings.Contains(c.Text(), "is live") {
			r.t.Errorf("a plain post says “is live”: %q", c.Text())
		}
	}
	return got
}

// wantFinalLook checks that the approval message was last updated to show
// sub, without buttons.
func (r *rig) wantFinalLook(p state.Promotion, sub string) {
	r.t.Helper()
	p = r.get(p.ID)
	up, ok := r.slack.lastUpdate(p.Channel, p.MessageTS)
	if !ok {
		r.t.Fatalf("the approval message %s was never updated", p.MessageTS)
	}
	if !strings.Contains(up.Text(), sub) {
		r.t.Errorf("the approval message's last update does not show %q:\n%s", sub, up.Text())
	}
	if strings.Contains(up.Text(), "atoms_approve") {
		r.t.Errorf("the approval message still has its buttons:\n%s", up.Text())
	}
}

// wantEndNote checks that exactly one note says how p ended (in its thread,
// or in the channel when there is no approval message) and that it has sub.
func (r *rig) wantEndNote(p state.Promotion, word, sub string) {
	r.t.Helper()
	p = r.get(p.ID)
	var notes []slackCall
	for _, c := range r.slack.postsContaining("Promotion of") {
		if c.Channel == p.Channel && c.Thread == p.MessageTS {
			notes = append(notes, c)
		}
	}
	if len(notes) != 1 {
		r.t.Fatalf("%d end notes, want 1: %v", len(notes), texts(notes))
	}
	if txt := notes[0].Msg.Text; !strings.Contains(txt, " "+word) || !strings.Contains(txt, sub) {
		r.t.Errorf("end note %q does not say %q with %q", txt, word, sub)
	}
	if !p.Announced {
		r.t.Errorf("the end note went out but Announced is not recorded")
	}
}

// threadHas counts the replies in p's thread whose text contains sub.
func (r *rig) threadHas(p state.Promotion, sub string) int {
	n := 0
	for _, c := range r.slack.thread(p.Channel, r.get(p.ID).MessageTS) {
		if strings.Contains(c.Text(), sub) {
			n++
		}
	}
	return n
}

func texts(cs []slackCall) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Kind + " " + c.Channel + "/" + c.Thread + ": " + c.Msg.Text
	}
	return out
}

// Errors the fake platform answers with.
var (
	errUnclear     = &platform.Error{Kind: platform.ErrUnclear, Msg: "Atoms did not answer in time", Err: errors.New("read tcp: i/o timeout")}
	errUnavailable = &platform.Error{Kind: platform.ErrUnavailable, Msg: "Atoms is unavailable (503)"}
	errWrongModel  = platform.Errorf(platform.ErrWrongModel, "it was begun on Atoms' v1 versioning model, which this atomsbot no longer uses")
)

func refusedErr(msg string) error { return platform.Errorf(platform.ErrRefused, msg) }

func wantRefused(t *testing.T, err error, sub string) {
	t.Helper()
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want a *RefusedError", err, err)
	}
	if !strings.Contains(re.Msg, sub) {
		t.Errorf("refusal %q does not contain %q", re.Msg, sub)
	}
}

func wantCount(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d, want %d", what, got, want)
	}
}
