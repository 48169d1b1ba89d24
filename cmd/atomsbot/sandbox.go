package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/cmd/atomsbot/sandbox"
)

// Sandbox defaults: the page at http://localhost:3000/ (loopback only: the
// page signs requests for anyone who can reach it), security checks slow
// enough to watch, a poller quick enough not to add to the wait.
const (
	sandboxAddr          = "localhost:3000"
	sandboxPollInterval  = 500 * time.Millisecond
	sandboxWatchInterval = 2 * time.Second // a dashboard change is announced soon after
)

// sandboxOptions tune the sandbox; tests shorten the check and poll.
type sandboxOptions struct {
	Addr string
	// Model is the versioning model the simulated Atoms runs: "v2" (the
	// branch model, as production) or "v1"; "" is v2.
	Model        string
	CheckDelay   time.Duration // 0: the simulator's default (about 6 s)
	PollInterval time.Duration // 0: sandboxPollInterval
	// WatchInterval is how often watched agents are looked at; 0:
	// sandboxWatchInterval.
	WatchInterval time.Duration
	// Log receives the text logs (secrets redacted); nil discards them.
	Log io.Writer
	// RedisURL is empty for the embedded Redis (what the sandbox uses,
	// REDIS_URL=memory); tests may point it at a real one, with KeyPrefix to
	// keep apart.
	RedisURL  string
	KeyPrefix string
	// Ready is called once the page is being served, with its URL and the
	// parts a test may inspect.
	Ready func(sb *sandboxWorld)
}

// sandboxWorld is what a running sandbox is made of.
type sandboxWorld struct {
	URL   string // the page
	Sim   *atomsim.Simulator
	Slack *slackfake.Server
	Page  *sandbox.Page
}

// runSandbox is `atomsbot -sandbox`: everything in one process, no
// credentials, the page's URL on stdout and text logs on stderr.
func runSandbox(ctx context.Context, addr, model string, stdout, stderr io.Writer) int {
	if addr == "" {
		addr = sandboxAddr
	}
	err := serveSandbox(ctx, sandboxOptions{Addr: addr, Model: model, Log: stderr, Ready: func(sb *sandboxWorld) {
		fmt.Fprintf(stdout, "\natomsbot sandbox: open %s (Atoms %s)\n", sb.URL, modelName(model))
		fmt.Fprintln(stdout, "  The real bot, with an in-memory Redis, a simulated Atoms API seeded with demo agents and")
		fmt.Fprintln(stdout, "  this page standing in for Slack. Try `/atoms help`. Ctrl-C stops it.")
		fmt.Fprintln(stdout)
	}})
	var inUse *addrInUseError
	if errors.As(err, &inUse) {
		fmt.Fprintf(stderr, "atomsbot sandbox: %s is already in use (another sandbox?); pick another address: make run ADDR=%s (or atomsbot -sandbox -addr %[2]s)\n", inUse.addr, inUse.next())
		return 1
	}
	if err != nil {
		fmt.Fprintln(stderr, "atomsbot sandbox:", err)
		return 1
	}
	return 0
}

// addrInUseError is the sandbox's address taken by another process.
type addrInUseError struct {
	addr string
	err  error
}

func (e *addrInUseError) Error() string { return "listen on " + e.addr + ": " + e.err.Error() }
func (e *addrInUseError) Unwrap() error { return e.err }

// next is the address with the following port, a likely free one.
func (e *addrInUseError) next() string {
	host, port, err := net.SplitHostPort(e.addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || n <= 0 || n >= 65535 {
		return "localhost:3001"
	}
	return net.JoinHostPort(host, strconv.Itoa(n+1))
}

// serveSandbox runs the sandbox until ctx ends. The simulated Atoms API and
// the fake Slack Web API get their own loopback listener, which outlives the
// bot's server: work the bot finishes while shutting down can still reach
// them.
func serveSandbox(ctx context.Context, o sandboxOptions) error {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.PollInterval <= 0 {
		o.PollInterval = sandboxPollInterval
	}
	if o.WatchInterval <= 0 {
		o.WatchInterval = sandboxWatchInterval
	}
	secret, token, apiKey := randomHex(32), "xoxb-sandbox-"+randomHex(16), "sk_sandbox_"+randomHex(16)

	if o.Model == "" {
		o.Model = "v2"
	}
	sim := atomsim.New(atomsim.Options{APIKey: apiKey, CheckDelay: o.CheckDelay, BranchModel: o.Model == "v2"})
	agents, err := sim.SeedDemo()
	if err != nil {
		return fmt.Errorf("seed demo agents: %w", err)
	}
	fake := slackfake.New(slackfake.Options{Token: token, BotUserID: "UATOMSBOT"})

	backLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for the simulated APIs: %w", err)
	}
	backURL := "http://" + backLn.Addr().String()
	fake.SetBaseURL(backURL + "/slack-api")
	back := http.NewServeMux()
	back.Handle("/atoms/", sim)
	back.Handle("/slack-api/", http.StripPrefix("/slack-api", fake))
	backSrv := &http.Server{Handler: back, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = backSrv.Serve(backLn) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = backSrv.Shutdown(sctx)
	}()

	ln, err := net.Listen("tcp", o.Addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return &addrInUseError{addr: o.Addr, err: err}
	}
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	users, channel := sandbox.DemoUsers(), sandbox.DemoChannel()
	cfg := Config{
		ListenAddr: ln.Addr().String(), SigningSecret: secret, BotToken: token,
		SlackAPIURL: backURL + "/slack-api/", APIKey: apiKey, AtomsBaseURL: backURL + "/atoms/v1",
		AtomsRPS: 5, AtomsAPI: "auto", RedisURL: cmp.Or(o.RedisURL, RedisMemory), ApprovalsRequired: 1, LogLevel: slog.LevelInfo,
		// The requester and the approver may approve each other's
		// promotions; the outsider may not.
		Approvers:   []string{users[0].ID, users[1].ID},
		ApprovalTTL: 24 * time.Hour, PollInterval: o.PollInterval, SecurityCheckTimeout: 10 * time.Minute, TestCallsPerHour: 5,
	}
	log, _ := newLogger(o.Log, "text", cfg.LogLevel, cfg.Secrets())
	// No phone rings in the sandbox: the simulator's call shows in the
	// channel instead, with its conversation id and never the number.
	sim.SetOnCall(func(c atomsim.Conversation) {
		text := fmt.Sprintf(":telephone_receiver: *Ring ring* — the sandbox's simulated phone picks up test call `%s` (it plays `%s`).", c.ID, c.VersionID)
		if _, err := fake.RecordAck(channel.ID, "", text, nil, true); err != nil {
			log.Warn("show a simulated call", "err", err)
		}
	})
	a, err := newApp(cfg, appOptions{Logger: log, KeyPrefix: o.KeyPrefix, WatchInterval: o.WatchInterval})
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("start the bot: %w", err)
	}
	page, err := sandbox.New(sandbox.Options{
		Slack: fake, Secret: secret, BotURL: "http://" + dialAddr(ln.Addr()),
		Channel: channel, Users: users, Commands: subcommands(), Controls: simControls{sim}, Logger: log,
	})
	if err != nil {
		_ = ln.Close()
		a.close()
		return err
	}
	defer page.Close()
	stop := context.AfterFunc(ctx, page.Close) // end event streams so shutdown is not held up
	defer stop()

	for _, ag := range agents {
		log.Info("demo agent", "name", ag.Name, "versions", len(ag.Versions))
	}
	world := &sandboxWorld{URL: pageURL(ln.Addr()), Sim: sim, Slack: fake, Page: page}
	log.Info("sandbox ready", "url", world.URL)
	if o.Ready != nil {
		o.Ready(world)
	}
	if err := a.run(ctx, ln, page.Handler); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// modelName says which versioning model the sandbox simulates.
func modelName(model string) string {
	if model == "v1" {
		return "v1: drafts and versions"
	}
	return "v2: the branch model, as production runs"
}

// subcommands are the message box's hint chips: every subcommand the
// parser knows, in the help's order, with its usage and summary.
func subcommands() []sandbox.Subcommand {
	out := make([]sandbox.Subcommand, 0, len(command.Order))
	for _, name := range command.Order {
		out = append(out, sandbox.Subcommand{Name: name, Usage: command.UsageOf(name), Summary: command.SummaryOf(name)})
	}
	return out
}

// pageURL is the URL to open for a listener: localhost when it listens on
// every interface.
func pageURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// dialAddr is where this process reaches its own listener: loopback when it
// listens on every interface.
func dialAddr(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
