package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/branches"
	"github.com/atomsbot/atomsbot/atoms/platform/drafts"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

const (
	testSecret  = "test-signing-secret"
	testToken   = "xoxb-test-token"
	testAPIKey  = "sk_test_key_never_logged"
	testChannel = "CDEPLOYS"
	alice       = "UALICE" // requester
	bob         = "UBOB"   // approver
	carol       = "UCAROL" // second approver
)

// backend is a Redis the test runs against.
type backend = statetest.Backend

// eachBackend runs f against miniredis and, when REDIS_URL is set, a real Redis.
func eachBackend(t *testing.T, f func(t *testing.T, b backend)) { statetest.Each(t, f) }

type harnessConfig struct {
	policy   workflow.Policy
	sim      atomsim.Options
	poolSize int
	// api is the bot's ATOMS_API: "v1" (the default here), "v2" or "auto".
	api string
	// slackHTTP is the replicas' HTTP client for Slack (nil: the default).
	slackHTTP *http.Client
}

// branchModel runs the simulator on the branch model and the bot with the
// given ATOMS_API ("v2" or "auto").
func branchModel(api string) func(*harnessConfig) {
	return func(c *harnessConfig) { c.sim.BranchModel, c.api = true, api }
}

// harness is one test world: a simulated Atoms, a fake Slack, a Redis key
// space and any number of bot replicas sharing them.
type harness struct {
	t        *testing.T
	clock    *atomsim.Clock
	sim      *atomsim.Simulator
	simURL   string
	slack    *slackfake.Server
	slackURL string
	rdb      redis.UniversalClient
	prefix   string
	cfg      harnessConfig
	agents   map[string]atomsim.AgentInfo // seeded demo agents by name
	bot      *replica                     // the first replica
}

// replica is one atomsbot process.
type replica struct {
	h       *harness
	store   *state.Store
	engine  *workflow.Engine
	pool    *Pool
	handler *Handler
	server  http.Handler
}

func newHarness(t *testing.T, b backend, mods ...func(*harnessConfig)) *harness {
	t.Helper()
	cfg := harnessConfig{policy: workflow.Policy{Required: 1, TTL: 24 * time.Hour}, poolSize: 4, api: "v1"}
	for _, m := range mods {
		m(&cfg)
	}
	c := atomsim.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	cfg.sim.Now = c.Now
	if cfg.sim.Seed == 0 {
		cfg.sim.Seed = 7
	}
	cfg.sim.Sleep = func(context.Context, time.Duration) {}
	sim := atomsim.New(cfg.sim)
	seeded, err := sim.SeedDemo()
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	fake := slackfake.New(slackfake.Options{Token: testToken, Now: c.Now, BotUserID: "UBOT"})
	slackSrv := httptest.NewServer(fake)
	t.Cleanup(slackSrv.Close)
	fake.SetBaseURL(slackSrv.URL)

	h := &harness{t: t, clock: c, sim: sim, simURL: simSrv.URL, slack: fake, slackURL: slackSrv.URL,
		rdb: b.Client(t), prefix: b.Prefix(t), cfg: cfg, agents: map[string]atomsim.AgentInfo{}}
	for _, a := range seeded {
		h.agents[a.Name] = a
	}
	h.bot = h.replica("replica-a")
	return h
}

func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// platformOf is the platform a replica runs on, per the harness's ATOMS_API.
func (h *harness) platformOf(c *atoms.Client, now func() time.Time) platform.Platform {
	v1, v2 := drafts.New(c), branches.New(c, now)
	switch h.cfg.api {
	case "v1":
		return v1
	case "v2":
		return v2
	}
	return platform.NewAuto(v1, v2, v2, nil, nil)
}

// replica starts another bot process on the same Atoms, Slack and Redis.
func (h *harness) replica(owner string) *replica {
	return h.replicaVia(owner, h.simURL, h.slackURL, 0)
}

// sign returns the Slack signature headers for body at the test's time.
func (h *harness) sign(req *http.Request, body string) {
	ts := strconv.FormatInt(h.clock.Now().Unix(), 10)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", NewVerifier(testSecret, nil).Sign(ts, []byte(body)))
}

// post sends a signed request to a route of r and waits for the work it
// queued, so the test sees its effects.
func (r *replica) post(path, body string) *httptest.ResponseRecorder {
	r.h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.h.sign(req, body)
	rec := httptest.NewRecorder()
	r.server.ServeHTTP(rec, req)
	r.drain()
	return rec
}

func (r *replica) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.pool.Drain(ctx); err != nil {
		r.h.t.Fatalf("async work did not finish: %v", err)
	}
}

// command types `/atoms <text>` as user in the test channel.
func (r *replica) command(user, text string) *httptest.ResponseRecorder {
	return r.commandIn(testChannel, user, text)
}

func (r *replica) commandIn(channel, user, text string) *httptest.ResponseRecorder {
	f := url.Values{
		"token": {"ignored"}, "team_id": {"T1"}, "team_domain": {"acme"},
		"channel_id": {channel}, "channel_name": {"deploys"}, "user_id": {user}, "user_name": {strings.ToLower(user[1:])},
		"command": {"/atoms"}, "text": {text}, "api_app_id": {"A1"},
		"response_url": {r.h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: channel, User: user})},
		"trigger_id":   {r.h.slack.IssueTrigger(user)},
	}
	return r.post("/slack/commands", f.Encode())
}

// interact posts an interaction payload.
func (r *replica) interact(ic any) *httptest.ResponseRecorder {
	b, err := json.Marshal(ic)
	if err != nil {
		r.h.t.Fatal(err)
	}
	return r.post("/slack/interactions", url.Values{"payload": {string(b)}}.Encode())
}

// actionSeq makes every click a distinct delivery, as Slack's action_ts does.
var actionSeq atomic.Int64

// click presses a button of the message at ts.
func (r *replica) click(user, ts, actionID, value string) *httptest.ResponseRecorder {
	return r.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team":      map[string]any{"id": "T1"},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": testChannel},
		"channel":   map[string]any{"id": testChannel}, "trigger_id": r.h.slack.IssueTrigger(user),
		"response_url": r.h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user, MessageTS: ts}),
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "approval_actions", "value": value,
			"action_ts": strconv.FormatInt(r.h.clock.Now().Unix(), 10) + "." + strconv.FormatInt(actionSeq.Add(1), 10)}},
	})
}

// poll runs one poller pass of r.
func (r *replica) poll() int {
	r.h.t.Helper()
	n, err := r.engine.PollOnce(context.Background())
	if err != nil {
		r.h.t.Fatalf("poll: %v", err)
	}
	return n
}

// advance moves time on and lets every given replica poll.
func (h *harness) advance(d time.Duration, rs ...*replica) {
	h.clock.Advance(d)
	if len(rs) == 0 {
		rs = []*replica{h.bot}
	}
	for _, r := range rs {
		r.poll()
	}
}

// state is a snapshot of the fake Slack.
func (h *harness) state() slackfake.State { return h.slack.Snapshot() }

// ephemeralTo returns the texts shown only to user, oldest first.
func (h *harness) ephemeralTo(user string) []string {
	var out []string
	for _, m := range h.state().Messages {
		if m.User == user && (m.Ephemeral || m.ResponseType == slack.ResponseTypeEphemeral) {
			out = append(out, m.Text)
		}
	}
	return out
}

// lastEphemeral is the newest text shown only to user.
func (h *harness) lastEphemeral(user string) string {
	all := h.ephemeralTo(user)
	if len(all) == 0 {
		h.t.Fatalf("no ephemeral message to %s; messages: %s", user, h.dump())
	}
	return all[len(all)-1]
}

// dump describes every message, for failure output.
func (h *harness) dump() string {
	var b strings.Builder
	for _, m := range h.state().Messages {
		b.WriteString("\n  [" + m.Method + " " + m.Channel + " ts=" + m.TS + " thread=" + m.ThreadTS + " to=" + m.User + "] " + m.Text)
	}
	return b.String()
}

// approvalMessage finds the approval request in the channel, as first posted.
func (h *harness) approvalMessage() slackfake.Message {
	h.t.Helper()
	m, ok := h.findApproval()
	if !ok {
		h.t.Fatalf("no approval message; messages: %s", h.dump())
	}
	if len(m.History) > 0 {
		m.Blocks = m.History[0].Blocks
	}
	return m
}

// buttonValue returns the value of the approval message's button.
func buttonValue(t *testing.T, m slackfake.Message, actionID string) string {
	t.Helper()
	var blocks []struct {
		Type     string `json:"type"`
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, m.Blocks)
	return ""
}

// agent returns a seeded demo agent.
func (h *harness) agent(name string) atomsim.AgentInfo {
	a, ok := h.agents[name]
	if !ok {
		h.t.Fatalf("no seeded agent %q", name)
	}
	return a
}

// live returns the simulator's view of an agent now.
func (h *harness) live(id string) atomsim.AgentInfo {
	a, ok := h.sim.Agent(id)
	if !ok {
		h.t.Fatalf("agent %s gone", id)
	}
	return a
}
