package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/atomsbot/atomsbot/bot"
	"github.com/atomsbot/atomsbot/bot/metrics"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ackFlush is how long the WebSocket stays open after the last in-flight ack
// was queued: slack-go writes acks from its own goroutine, and hanging up at
// once could drop the last ones.
const ackFlush = 500 * time.Millisecond

// socketRunner owns the Socket Mode connection of one process.
type socketRunner struct {
	client    *socketmode.Client
	handler   *socketmode.SocketmodeHandler
	transport *bot.SocketMode
	log       *slog.Logger
}

func newSocketRunner(cfg Config, h *bot.Handler, log *slog.Logger, m *metrics.Metrics, hc *http.Client, now func() time.Time) *socketRunner {
	// slack-go's own loggers only speak in debug mode, which stays off
	// (its payload dumps carry user content); what they do say goes through
	// the redacting slog handler.
	std := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	api := slack.New(cfg.BotToken, slack.OptionAppLevelToken(cfg.AppToken), slack.OptionAPIURL(withSlash(cfg.SlackAPIURL)),
		slack.OptionHTTPClient(hc), slack.OptionLog(std))
	client := socketmode.New(api, socketmode.OptionLog(std))
	transport := bot.NewSocketMode(h, bot.SocketOptions{Ack: client.AckCtx, Logger: log, Metrics: m, Now: now})
	sh := socketmode.NewSocketmodeHandler(client)
	transport.Register(sh)
	return &socketRunner{client: client, handler: sh, transport: transport, log: log}
}

func withSlash(u string) string {
	if u != "" && u[len(u)-1] != '/' {
		return u + "/"
	}
	return u
}

// run connects and dispatches envelopes until ctx ends, then stops taking
// envelopes, lets the in-flight ones be acknowledged (within grace) and
// hangs up. It returns early with an error only when the connection fails
// for good (slack-go retries everything else, e.g. a revoked app token does
// not come back by itself).
func (r *socketRunner) run(ctx context.Context, grace time.Duration) error {
	connCtx, hangUp := context.WithCancel(context.WithoutCancel(ctx))
	defer hangUp()
	connErr := make(chan error, 1)
	go func() { connErr <- r.client.RunContext(connCtx) }()
	for {
		select {
		case evt := <-r.client.Events:
			r.handler.DispatchEvent(evt)
		case err := <-connErr:
			// slack-go retries everything but a refused token.
			return fmt.Errorf("socket mode connection failed for good (check SLACK_APP_TOKEN: an app-level token with connections:write): %w", err)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), grace)
			defer cancel()
			err := r.transport.Shutdown(sctx)
			if err == nil {
				t := time.NewTimer(ackFlush)
				select {
				case <-t.C:
				case <-sctx.Done():
				}
				t.Stop()
			}
			hangUp()
			<-connErr
			if err != nil {
				r.log.Warn("socket mode shutdown", "err", err)
			}
			return err
		}
	}
}
