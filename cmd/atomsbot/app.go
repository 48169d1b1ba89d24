package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot"
	"github.com/atomsbot/atomsbot/bot/metrics"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/redis/go-redis/v9"
)

// Timing of the process lifecycle.
const (
	shutdownGrace   = 25 * time.Second // within Kubernetes' default 30 s
	jobTimeout      = 2 * time.Minute
	poolWorkers     = 16
	poolQueue       = 256
	redisRetryFirst = 100 * time.Millisecond
	redisRetryMax   = 10 * time.Second
	releaseTimeout  = 3 * time.Second
	idleTimeout     = 60 * time.Second // keep-alive connections idle longer are closed
)

// errDraining makes /readyz fail while the process shuts down, so a load
// balancer stops sending it requests before the listener closes.
var errDraining = errors.New("shutting down")

// app is one atomsbot process, wired from a Config.
type app struct {
	cfg      Config
	log      *slog.Logger
	rdb      redis.UniversalClient
	embedded *miniredis.Miniredis
	store    *state.Store
	metrics  *metrics.Metrics
	engine   *workflow.Engine
	pool     *bot.Pool
	handler  *bot.Handler
	http     http.Handler
	socket   *socketRunner // nil in HTTP mode

	sleep      func(ctx context.Context, d time.Duration) error
	drainDelay time.Duration
	grace      time.Duration
	draining   atomic.Bool
}

// appOptions are the process's own dependencies, injectable for tests.
type appOptions struct {
	Logger     *slog.Logger
	Now        func() time.Time
	HTTPClient *http.Client // outgoing calls (Atoms, Slack)
	KeyPrefix  string       // Redis key prefix; default "atomsbot"
	// Owner is this replica's lease identity; default host name + random.
	Owner string
	// Sleep waits between Redis connection attempts; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// DrainDelay is how long /readyz fails before the listener closes at
	// shutdown (lets Kubernetes take the pod out of the Service); default 0.
	DrainDelay time.Duration
	// ShutdownGrace bounds the whole graceful shutdown; default 25 s.
	ShutdownGrace time.Duration
	// WatchInterval is how often watched agents are looked at; 0 is the
	// engine's default.
	WatchInterval time.Duration
}

// newApp wires every part from cfg. Redis is not required to answer yet: the
// process starts, reports not-ready, and retries (see waitRedis).
func newApp(cfg Config, o appOptions) (*app, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.ShutdownGrace <= 0 {
		o.ShutdownGrace = shutdownGrace
	}
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	a := &app{cfg: cfg, log: o.Logger, metrics: metrics.New(), sleep: o.Sleep, drainDelay: o.DrainDelay, grace: o.ShutdownGrace}
	rdb, embedded, err := openRedis(cfg.RedisURL, a.log)
	if err != nil {
		return nil, err
	}
	a.rdb, a.embedded = rdb, embedded
	a.store = state.New(a.rdb, o.KeyPrefix, o.Now)

	ac, err := atoms.New(atoms.Options{
		BaseURL: cfg.AtomsBaseURL, APIKey: cfg.APIKey, HTTPClient: o.HTTPClient,
		RPS: cfg.AtomsRPS, Logger: a.log, Observer: a.metrics,
	})
	if err != nil {
		a.close()
		return nil, fmt.Errorf("atoms client: %w", err)
	}
	plat := newPlatform(cfg.AtomsAPI, ac, o.Now, a.log, a.metrics.SetAtomsModel)
	sc := slackweb.New(slackweb.Options{Token: cfg.BotToken, APIURL: cfg.SlackAPIURL, HTTPClient: o.HTTPClient, Observer: a.metrics, Logger: a.log})
	a.engine = workflow.New(plat, a.store, sc, workflow.Config{
		Policy: workflow.Policy{
			Required: cfg.ApprovalsRequired, Approvers: cfg.Approvers,
			AllowSelf: cfg.AllowSelfApproval, TTL: cfg.ApprovalTTL,
		},
		PollInterval: cfg.PollInterval, CheckTimeout: cfg.SecurityCheckTimeout, TestCallsPerHour: cfg.TestCallsPerHour,
		RPS: cfg.AtomsRPS, Owner: o.Owner, Now: o.Now, Logger: a.log, Metrics: a.metrics, WatchInterval: o.WatchInterval,
		// Steps end in time for their reschedule and the final lease release.
		StopGrace:    max(o.ShutdownGrace-o.DrainDelay-2*releaseTimeout, time.Second),
		DashboardURL: cfg.DashboardURL,
	})
	a.pool = bot.NewPool(poolWorkers, poolQueue, jobTimeout, bot.PoolLogger(a.log))
	a.handler = bot.NewHandler(plat, a.store, sc, a.engine, a.pool, bot.Config{Now: o.Now, Logger: a.log, Metrics: a.metrics})
	var h http.Handler = bot.NewServer(a.handler, bot.ServerOptions{
		Verifier: bot.NewVerifier(cfg.SigningSecret, o.Now), Logger: a.log, Metrics: a.metrics,
		Ready: a.ready, MetricsHandler: a.metrics.Handler(), Now: o.Now,
	})
	if cfg.SocketMode() {
		h = withoutSlackRoutes(h)
		a.socket = newSocketRunner(cfg, a.handler, a.log, a.metrics, o.HTTPClient, o.Now)
	}
	a.http = withRequestID(h)
	return a, nil
}

func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "atomsbot"
	}
	return host + "-" + newRequestID()[:8]
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ready is /readyz: Redis answers and the process is not shutting down.
func (a *app) ready(ctx context.Context) error {
	if a.draining.Load() {
		return errDraining
	}
	return a.store.Ping(ctx)
}

// waitRedis retries Redis with capped exponential backoff until it answers
// or ctx ends; /readyz reports not-ready meanwhile.
func (a *app) waitRedis(ctx context.Context) error {
	delay := redisRetryFirst
	for {
		err := a.store.Ping(ctx)
		if err == nil {
			return nil
		}
		a.log.Warn("redis not reachable yet; retrying", "in", delay.String(), "err", err)
		if err := a.sleep(ctx, delay); err != nil {
			return err
		}
		delay = min(2*delay, redisRetryMax)
	}
}

// run serves until ctx ends (or the server or Socket Mode fails), then shuts
// down gracefully within the grace period:
//
//  1. /readyz fails (and, with a drain delay, the load balancer notices);
//  2. the poller stops claiming: started steps finish and reschedule, claimed
//     but unstarted items are released; Socket Mode stops taking envelopes;
//  3. the HTTP server stops accepting and finishes in-flight acks, Socket
//     Mode finishes its acks and hangs up;
//  4. the worker pool finishes the work queued after acks;
//  5. every lease this replica still holds is released, so another replica
//     claims its items at once instead of waiting for the lease to lapse;
//  6. Redis is closed.
//
// wrap may add routes around the bot's (the sandbox).
func (a *app) run(ctx context.Context, ln net.Listener, wrap func(http.Handler) http.Handler) error {
	h := a.http
	if wrap != nil {
		h = wrap(h)
	}
	lim := newConnLimiter(ln, a.cfg.MaxConnections)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 15 * time.Second,
		IdleTimeout: idleTimeout, ConnState: lim.track}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lim) }()
	a.log.Info("atomsbot listening", "addr", ln.Addr().String(), "socket_mode", a.cfg.SocketMode(),
		"owner", a.engine.Owner(), "config", a.cfg)

	// Background work outlives ctx by design: it is stopped in order below.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	redisUp := make(chan struct{})
	pollDone := make(chan struct{})
	go func() {
		defer close(pollDone)
		if err := a.waitRedis(bg); err != nil {
			return
		}
		close(redisUp)
		a.log.Info("redis ready; poller running", "owner", a.engine.Owner())
		_ = a.engine.Run(bg)
	}()
	socketErr := make(chan error, 1)
	socketDone := make(chan struct{})
	go func() {
		defer close(socketDone)
		if a.socket == nil {
			return
		}
		// A replica that cannot reach Redis takes no envelopes: Slack would
		// route commands to it that it could only fail.
		select {
		case <-redisUp:
		case <-bg.Done():
			return
		}
		err := a.socket.run(bg, a.grace)
		switch {
		case bg.Err() != nil: // shutting down; run logged any trouble
		case err != nil:
			socketErr <- err
		default:
			socketErr <- errors.New("socket mode stopped unexpectedly")
		}
	}()

	var err error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down", "reason", "signal")
	case err = <-serveErr:
		a.log.Error("shutting down", "reason", "http server failed", "err", err)
	case err = <-socketErr:
		a.log.Error("shutting down", "reason", "socket mode failed", "err", err)
	}
	a.draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), a.grace)
	defer cancel()
	if a.drainDelay > 0 {
		_ = a.sleep(sctx, a.drainDelay)
	}
	stopBG()
	shutdownErr := srv.Shutdown(sctx)
	socketWaitErr := waitFor(sctx, socketDone, "socket mode")
	poolErr := a.pool.Shutdown(sctx)
	pollErr := waitFor(sctx, pollDone, "poller")
	releaseErr := a.releaseLeases()
	a.close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if all := errors.Join(err, shutdownErr, socketWaitErr, poolErr, pollErr, releaseErr); all != nil {
		return all
	}
	a.log.Info("stopped")
	return nil
}

// waitFor waits for done until ctx ends.
func waitFor(ctx context.Context, done <-chan struct{}, what string) error {
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s still running at the shutdown deadline: %w", what, ctx.Err())
	}
}

// releaseLeases makes every due-queue item this replica still leases due
// now. After the poller stopped this is normally nothing; it matters when a
// step overran the shutdown deadline (the step is abandoned, and its
// compare-and-set transitions make a second run by another replica safe).
func (a *app) releaseLeases() error {
	ctx, cancel := context.WithTimeout(context.Background(), releaseTimeout)
	defer cancel()
	if err := a.store.Release(ctx, a.engine.Owner()); err != nil {
		a.log.Warn("release leases at shutdown", "owner", a.engine.Owner(), "err", err)
		return err
	}
	return nil
}

func (a *app) close() {
	_ = a.rdb.Close()
	if a.embedded != nil {
		a.embedded.Close()
	}
}
