// Package bot is atomsbot's Slack front door: request verification, the HTTP
// and Socket Mode transports, the /atoms commands, the approval buttons and the
// edit modal. Handlers are transport-neutral: they take a parsed slash command
// or interaction and return the acknowledgement; slow work runs afterwards on a
// bounded pool and reports through response_url or the Web API.
package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// Slack is what the front door needs of the Slack Web API (*slackweb.Client).
type Slack interface {
	Post(ctx context.Context, channel, threadTS string, m render.Message) (string, error)
	Ephemeral(ctx context.Context, channel, user string, m render.Message) error
	Respond(ctx context.Context, responseURL string, m render.Message, inChannel, replace bool) error
	OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (viewID, hash string, err error)
	UpdateView(ctx context.Context, viewID, hash string, v slack.ModalViewRequest) error
	Upload(ctx context.Context, channel, threadTS, filename, title, content string) error
}

// Metrics receives the front door's observations; nil is allowed.
type Metrics interface {
	ObserveRequest(route, outcome string, d time.Duration)
	ObserveSignatureFailure(reason string)
	ObservePool(depth int, rejected bool)
}

// Ack is the immediate answer to a Slack request: a nil Body is an empty 200;
// any other Body is sent as JSON (a slack.Msg for messages, a
// *slack.ViewSubmissionResponse for modal answers).
type Ack struct {
	Body any
	// raw, when set, is Body already marshalled (the HTTP transport writes
	// it as is): the usual answers are rendered once, not per request.
	raw json.RawMessage
}

// Config holds the front door's settings.
type Config struct {
	Now        func() time.Time
	Logger     *slog.Logger
	Metrics    Metrics
	SessionTTL time.Duration // how long an open edit form stays valid
	DedupeTTL  time.Duration // how long a delivery is remembered
	// AckReadTimeout bounds a Redis read on the ack path (the edit form's
	// owner check); past it the request is refused. Default 1 s.
	AckReadTimeout time.Duration
}

// Handler turns Slack requests into work.
type Handler struct {
	atoms   platform.Platform
	store   *state.Store
	slack   Slack
	engine  *workflow.Engine
	pool    *Pool
	now     func() time.Time
	log     *slog.Logger
	metrics Metrics
	cfg     Config
	acks    cannedAcks
}

// NewHandler wires the front door.
func NewHandler(a platform.Platform, s *state.Store, sl Slack, eng *workflow.Engine, pool *Pool, cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 2 * time.Hour
	}
	if cfg.DedupeTTL <= 0 {
		cfg.DedupeTTL = 10 * time.Minute
	}
	if cfg.AckReadTimeout <= 0 {
		cfg.AckReadTimeout = sessionReadTimeout
	}
	return &Handler{atoms: a, store: s, slack: sl, engine: eng, pool: pool,
		now: cfg.Now, log: cfg.Logger, metrics: cfg.Metrics, cfg: cfg, acks: newCannedAcks()}
}

// cannedAcks are the answers given in the ack itself that never change. They
// are rendered once: rendering and marshalling the usage text costs more than
// the rest of an ack together.
type cannedAcks struct {
	help      map[string]Ack // by topic; "" is the full usage
	helpBlock slack.Block    // the full usage's block, after an intro
	helpJSON  json.RawMessage
	helpText  string // the full usage's fallback text, after an intro's
	busy      Ack
}

func newCannedAcks() cannedAcks {
	c := cannedAcks{help: map[string]Ack{}}
	for _, topic := range append([]string{""}, command.Order...) {
		c.help[topic] = cannedAck(helpMessage(topic, ""))
	}
	full := helpMessage("", "")
	c.helpBlock, c.helpText = full.Blocks[0], full.Text
	c.helpJSON = mustJSON(c.helpBlock)
	c.busy = cannedAck(render.Note(":hourglass: atomsbot is busy right now and did nothing. Please try again in a few seconds."))
	return c
}

// submit runs job after the ack; false when the pool is full.
func (h *Handler) submit(job func(context.Context)) bool {
	ok := h.pool.Submit(job)
	if h.metrics != nil {
		h.metrics.ObservePool(h.pool.Depth(), !ok)
	}
	return ok
}

// notifyBusy tells user, in an ephemeral message, that the click did
// nothing because the pool is full. It runs as a pool notice (bounded,
// tracked by shutdown), never as a goroutine of its own.
func (h *Handler) notifyBusy(channel, user, mrkdwn string) {
	if !h.pool.Notice(func(ctx context.Context) { h.tell(ctx, channel, user, mrkdwn) }) {
		h.log.Warn("busy notice dropped: too many on their way", "user", user)
	}
}

// busy is the answer when the pool is full: fast, honest, and nothing changed.
func (h *Handler) busy() Ack { return h.acks.busy }

// ephemeralAck answers with a message shown only to the user.
func ephemeralAck(m render.Message) Ack { return Ack{Body: ephemeralMsg(m)} }

// cannedAck is ephemeralAck marshalled once, for answers that never change.
func cannedAck(m render.Message) Ack {
	msg := ephemeralMsg(m)
	return Ack{Body: msg, raw: mustJSON(msg)}
}

func ephemeralMsg(m render.Message) slack.Msg {
	return slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: m.Text, Blocks: slack.Blocks{BlockSet: m.Blocks}}
}

// mustJSON marshals values that always marshal (strings, Block Kit blocks).
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("bot: cannot marshal %T: %v", v, err))
	}
	return b
}

// once reports whether key is seen for the first time (a replayed request or
// a double submission is processed once). Redis trouble fails open: the
// operations behind it are idempotent or guarded by their own compare-and-set.
func (h *Handler) once(ctx context.Context, key string) bool {
	if key == "" {
		return true
	}
	first, err := h.store.FirstSeen(ctx, key, h.cfg.DedupeTTL)
	if err != nil {
		h.log.Warn("dedupe", "err", err)
		return true
	}
	return first
}
