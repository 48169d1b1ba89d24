package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
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
	shutdownGrace = 25 * time.Second // within Kubernetes' default 30 s
	jobTimeout    = 2 * time.Minute
	poolWorkers   = 16
	poolQueue     = 256
)

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
}

// appOptions are the process's own dependencies, injectable for tests.
type appOptions struct {
	Logger     *slog.Logger
	Now        func() time.Time
	HTTPClient *http.Client // outgoing calls (Atoms, Slack)
	KeyPrefix  string       // Redis key prefix; default "atomsbot"
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
	a := &app{cfg: cfg, log: o.Logger, metrics: metrics.New()}
	if cfg.RedisURL == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("embedded redis: %w", err)
		}
		a.embedded = mr
		a.rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
		a.log.Warn("REDIS_URL is empty: using an EMBEDDED, IN-MEMORY Redis. Promotions, approvals and locks are lost on restart and are not shared between replicas. Set REDIS_URL for anything but a trial.")
	} else {
		opt, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", errors.New("cannot be parsed")) // the URL may hold a password: not echoed
		}
		a.rdb = redis.NewClient(opt)
	}
	a.store = state.New(a.rdb, o.KeyPrefix, o.Now)

	ac, err := atoms.New(atoms.Options{
		BaseURL: cfg.AtomsBaseURL, APIKey: cfg.APIKey, HTTPClient: o.HTTPClient,
		RPS: cfg.AtomsRPS, Logger: a.log, Observer: a.metrics,
	})
	if err != nil {
		return nil, fmt.Errorf("atoms client: %w", err)
	}
	sc := slackweb.New(slackweb.Options{Token: cfg.BotToken, APIURL: cfg.SlackAPIURL, HTTPClient: o.HTTPClient, Observer: a.metrics})
	a.engine = workflow.New(ac, a.store, sc, workflow.Config{
		Policy: workflow.Policy{
			Required: cfg.ApprovalsRequired, Approvers: cfg.Approvers,
			AllowSelf: cfg.AllowSelfApproval, TTL: cfg.ApprovalTTL,
		},
		PollInterval: cfg.PollInterval, CheckTimeout: cfg.SecurityCheckTimeout,
		RPS: cfg.AtomsRPS, Now: o.Now, Logger: a.log, Metrics: a.metrics,
	})
	a.pool = bot.NewPool(poolWorkers, poolQueue, jobTimeout)
	a.handler = bot.NewHandler(ac, a.store, sc, a.engine, a.pool, bot.Config{Now: o.Now, Logger: a.log, Metrics: a.metrics})
	a.http = bot.NewServer(a.handler, bot.ServerOptions{
		Verifier: bot.NewVerifier(cfg.SigningSecret, o.Now), Logger: a.log, Metrics: a.metrics,
		Ready: a.store.Ping, MetricsHandler: a.metrics.Handler(), Now: o.Now,
	})
	return a, nil
}

// waitRedis retries Redis with capped backoff until it answers or ctx ends;
// /readyz reports not-ready meanwhile.
func (a *app) waitRedis(ctx context.Context) error {
	delay := 100 * time.Millisecond
	for {
		err := a.store.Ping(ctx)
		if err == nil {
			return nil
		}
		a.log.Warn("redis not reachable yet; retrying", "in", delay.String(), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}

// run serves until ctx ends, then shuts down gracefully: stop accepting, let
// acks and queued work finish, let the poller finish its steps and release
// its leases, close Redis. wrap may add routes around the bot's (sandbox).
func (a *app) run(ctx context.Context, ln net.Listener, wrap func(http.Handler) http.Handler) error {
	h := a.http
	if wrap != nil {
		h = wrap(h)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 15 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	a.log.Info("atomsbot listening", "addr", ln.Addr().String(), "socket_mode", a.cfg.SocketMode())

	var wg sync.WaitGroup
	pollCtx, stopPoll := context.WithCancel(context.WithoutCancel(ctx))
	wg.Go(func() {
		if err := a.waitRedis(pollCtx); err != nil {
			return
		}
		a.log.Info("redis ready; poller running", "owner", a.engine.Owner())
		_ = a.engine.Run(pollCtx)
	})

	if a.cfg.SocketMode() {
		// Slack reaches us over a WebSocket instead of the /slack/* routes;
		// the HTTP server still serves health, readiness and metrics.
		wg.Go(func() {
			if err := a.runSocketMode(ctx); err != nil {
				a.log.Error("socket mode stopped", "err", err)
			}
		})
	}

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	a.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	poolErr := a.pool.Shutdown(sctx)
	stopPoll()
	wg.Wait()
	a.close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, shutdownErr, poolErr)
}

func (a *app) close() {
	_ = a.rdb.Close()
	if a.embedded != nil {
		a.embedded.Close()
	}
}
