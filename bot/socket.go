package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maxSocketAck is Slack's limit for one Socket Mode response on the wire
// (20 KB). Slack silently drops anything larger and slack-go refuses it, so
// a bigger answer is acknowledged empty and delivered through the Web API.
const maxSocketAck = 20 * 1024

// AckFunc acknowledges one envelope with an optional payload (nil: none).
// In production it is (*socketmode.Client).AckCtx; tests inject their own,
// because the real one enqueues into the client's unexported channel.
type AckFunc func(ctx context.Context, envelopeID string, payload any) error

// SocketMetrics is implemented by a Metrics that also tracks the Socket Mode
// connection; it is optional.
type SocketMetrics interface {
	ObserveSocketConnected(up bool)
}

// SocketOptions configure the Socket Mode transport.
type SocketOptions struct {
	Ack     AckFunc // required
	Logger  *slog.Logger
	Metrics Metrics
	Now     func() time.Time
	// AckTimeout bounds the handler and the ack of one envelope; Slack waits
	// 3 s. Default 2.5 s.
	AckTimeout time.Duration
	// DeliverTimeout bounds the Web API call that carries an answer too large
	// for the ack. Default 10 s.
	DeliverTimeout time.Duration
}

// SocketMode receives slash commands and interactions as Socket Mode
// envelopes and answers them through the same transport-neutral handlers as
// the HTTP routes: the ack carries what the HTTP body would. Slack has
// already authenticated the WebSocket, so there is no signature to check.
type SocketMode struct {
	command     func(context.Context, slack.SlashCommand) Ack
	interaction func(context.Context, slack.InteractionCallback) Ack
	web         Slack // delivers answers too large for the ack
	o           SocketOptions

	mu     sync.Mutex
	active int           // envelopes being handled
	closed bool          // Shutdown called: new envelopes are refused
	idle   chan struct{} // closed when active reaches 0 after Shutdown
}

// NewSocketMode returns the transport; register it with Register.
func NewSocketMode(h *Handler, o SocketOptions) *SocketMode {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 2500 * time.Millisecond
	}
	if o.DeliverTimeout <= 0 {
		o.DeliverTimeout = 10 * time.Second
	}
	return &SocketMode{command: h.Command, interaction: h.Interaction, web: h.slack, o: o}
}

// Register adds the transport's handlers to sh. Call it before sh dispatches
// anything: slack-go's handler maps are not synchronised.
func (s *SocketMode) Register(sh *socketmode.SocketmodeHandler) {
	sh.Handle(socketmode.EventTypeSlashCommand, func(evt *socketmode.Event, _ *socketmode.Client) { s.onCommand(evt) })
	sh.Handle(socketmode.EventTypeInteractive, func(evt *socketmode.Event, _ *socketmode.Client) { s.onInteraction(evt) })
	sh.Handle(socketmode.EventTypeEventsAPI, func(evt *socketmode.Event, _ *socketmode.Client) { s.onEvent(evt) })
	for _, t := range []socketmode.EventType{
		socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeConnectionError,
		socketmode.EventTypeInvalidAuth, socketmode.EventTypeHello, socketmode.EventTypeDisconnect,
		socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed, socketmode.EventTypeErrorBadMessage,
	} {
		sh.Handle(t, func(evt *socketmode.Event, _ *socketmode.Client) { s.onLifecycle(evt) })
	}
	sh.HandleDefault(func(evt *socketmode.Event, _ *socketmode.Client) { s.onUnknown(evt) })
}

// Shutdown refuses new envelopes and waits until the ones being handled are
// acknowledged (and any large answer delivered), or ctx ends.
func (s *SocketMode) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	if s.active == 0 {
		s.mu.Unlock()
		s.connected(false)
		return nil
	}
	if s.idle == nil {
		s.idle = make(chan struct{})
	}
	idle := s.idle
	s.mu.Unlock()
	defer s.connected(false)
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("socket mode: envelopes still in flight at the shutdown deadline: %w", ctx.Err())
	}
}

func (s *SocketMode) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.active++
	return true
}

func (s *SocketMode) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.active == 0 && s.idle != nil {
		close(s.idle)
		s.idle = nil
	}
}

// envelope is one request being answered, for the log line and the metric.
type envelope struct {
	route, outcome, user, channel string
	start                         time.Time
	req                           *socketmode.Request
}

func (s *SocketMode) onCommand(evt *socketmode.Event) {
	s.handle(evt, "commands", func(ctx context.Context, e *envelope) {
		sc, ok := evt.Data.(slack.SlashCommand)
		if !ok || sc.Command == "" || sc.UserID == "" || sc.ChannelID == "" {
			e.outcome = "malformed"
			s.ack(ctx, e, Ack{}, nil)
			return
		}
		e.user, e.channel = sc.UserID, sc.ChannelID
		s.ack(ctx, e, s.command(ctx, sc), func(ctx context.Context, a Ack) error {
			return s.deliver(ctx, a, sc.ChannelID, sc.UserID, nil)
		})
	})
}

func (s *SocketMode) onInteraction(evt *socketmode.Event) {
	s.handle(evt, "interactions", func(ctx context.Context, e *envelope) {
		ic, ok := evt.Data.(slack.InteractionCallback)
		if !ok || ic.Type == "" || ic.User.ID == "" {
			e.outcome = "malformed"
			s.ack(ctx, e, Ack{}, nil)
			return
		}
		e.user, e.channel = ic.User.ID, cmp.Or(ic.Container.ChannelID, ic.Channel.ID)
		s.ack(ctx, e, s.interaction(ctx, ic), func(ctx context.Context, a Ack) error {
			return s.deliver(ctx, a, e.channel, e.user, &ic)
		})
	})
}

// onEvent acknowledges Events API envelopes: atomsbot subscribes to none, and
// an unacknowledged envelope would be redelivered.
func (s *SocketMode) onEvent(evt *socketmode.Event) {
	s.handle(evt, "events", func(ctx context.Context, e *envelope) {
		e.outcome = "ignored"
		s.ack(ctx, e, Ack{}, nil)
	})
}

// handle runs f for an envelope that needs an ack, counting it in flight.
func (s *SocketMode) handle(evt *socketmode.Event, route string, f func(ctx context.Context, e *envelope)) {
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		s.o.Logger.Warn("socket mode envelope without an id; not acknowledged", "route", route)
		return
	}
	if !s.begin() {
		// Not acknowledged: Slack redelivers events to another connection,
		// and a command typed during these milliseconds gets Slack's timeout.
		s.o.Logger.Warn("socket mode envelope refused: shutting down", "route", route, "request_id", evt.Request.EnvelopeID)
		return
	}
	defer s.end()
	e := &envelope{route: route, outcome: "ok", start: s.o.Now(), req: evt.Request}
	ctx, cancel := context.WithTimeout(context.Background(), s.o.AckTimeout)
	defer cancel()
	f(ctx, e)
	d := s.o.Now().Sub(e.start)
	if level := requestLevel(e.outcome); s.o.Logger.Enabled(ctx, level) {
		s.o.Logger.Log(ctx, level, "slack request", "transport", "socket", "route", route, "outcome", e.outcome, "ms", d.Milliseconds(),
			"request_id", e.req.EnvelopeID, "retry", e.req.RetryAttempt, "user", e.user, "channel", e.channel)
	}
	if s.o.Metrics != nil {
		s.o.Metrics.ObserveRequest(route, e.outcome, d)
	}
}

// ack sends a's body as the envelope's payload. A body too large for the
// WebSocket is acknowledged empty and handed to large, which posts it through
// the Web API.
func (s *SocketMode) ack(ctx context.Context, e *envelope, a Ack, large func(context.Context, Ack) error) {
	payload, tooLarge, err := socketPayload(e.req.EnvelopeID, a)
	if err != nil {
		s.o.Logger.Error("socket mode ack payload", "route", e.route, "request_id", e.req.EnvelopeID, "err", err)
		e.outcome = "ack_error"
		payload = nil
	}
	if err := s.o.Ack(ctx, e.req.EnvelopeID, payload); err != nil {
		s.o.Logger.Error("socket mode ack failed", "route", e.route, "request_id", e.req.EnvelopeID, "err", err)
		e.outcome = "ack_error"
		return
	}
	if !tooLarge {
		return
	}
	e.outcome = "ok_web_api"
	if large == nil {
		e.outcome = "too_large"
		return
	}
	// The ack is out; the delivery gets its own, longer deadline.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.DeliverTimeout)
	defer cancel()
	if err := large(dctx, a); err != nil {
		s.o.Logger.Error("socket mode answer too large for the ack, and the Web API delivery failed",
			"route", e.route, "request_id", e.req.EnvelopeID, "err", err)
		e.outcome = "too_large"
	}
}

// socketPayload returns what to ack with and whether it was too large.
func socketPayload(envelopeID string, a Ack) (any, bool, error) {
	if a.Body == nil {
		return nil, false, nil
	}
	b, err := json.Marshal(socketmode.Response{EnvelopeID: envelopeID, Payload: a.Body})
	if err != nil {
		return nil, false, fmt.Errorf("marshal ack: %w", err)
	}
	if len(b)+1 > maxSocketAck { // +1: the newline the WebSocket writer adds
		return nil, true, nil
	}
	return a.Body, false, nil
}

// errUndeliverable is an answer too large for the ack with no Web API
// equivalent (e.g. modal field errors, which only an ack can show).
var errUndeliverable = errors.New("answer cannot be delivered through the Web API")

// deliver posts an answer that did not fit in the ack: a message as an
// ephemeral (or channel) post, a modal update with views.update.
func (s *SocketMode) deliver(ctx context.Context, a Ack, channel, user string, ic *slack.InteractionCallback) error {
	switch b := a.Body.(type) {
	case slack.Msg:
		m := render.Message{Text: b.Text, Blocks: b.Blocks.BlockSet}
		if b.ResponseType == slack.ResponseTypeInChannel {
			_, err := s.web.Post(ctx, channel, "", m)
			return err
		}
		return s.web.Ephemeral(ctx, channel, user, m)
	case *slack.ViewSubmissionResponse:
		if b.ResponseAction == slack.RAUpdate && b.View != nil && ic != nil && ic.View.ID != "" {
			return s.web.UpdateView(ctx, ic.View.ID, ic.View.Hash, *b.View)
		}
	}
	return fmt.Errorf("%w: %T", errUndeliverable, a.Body)
}

func (s *SocketMode) onLifecycle(evt *socketmode.Event) {
	log := s.o.Logger
	switch evt.Type {
	case socketmode.EventTypeConnected:
		s.connected(true)
		log.Info("socket mode connected")
	case socketmode.EventTypeConnecting:
		s.connected(false)
		log.Info("socket mode connecting")
	case socketmode.EventTypeConnectionError:
		s.connected(false)
		attrs := []any{}
		if ce, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			attrs = append(attrs, "attempt", ce.Attempt, "backoff", ce.Backoff.String(), "err", ce.ErrorObj)
		}
		log.Warn("socket mode connection failed; retrying", attrs...)
	case socketmode.EventTypeInvalidAuth:
		s.connected(false)
		log.Error("socket mode: Slack refused the app-level token (SLACK_APP_TOKEN)")
	case socketmode.EventTypeHello, socketmode.EventTypeDisconnect:
		log.Debug("socket mode " + string(evt.Type))
	default:
		log.Warn("socket mode error", "type", string(evt.Type), "detail", lifecycleDetail(evt.Data))
	}
}

// lifecycleDetail names the cause of an error event without dumping the
// message it carries (which may hold user content).
func lifecycleDetail(data any) string {
	switch d := data.(type) {
	case *socketmode.ErrorBadMessage:
		return fmt.Sprint(d.Cause)
	case *socketmode.ErrorWriteFailed:
		return fmt.Sprint(d.Cause)
	case error:
		return d.Error()
	}
	return ""
}

// onUnknown gets what no handler took: an envelope of a type atomsbot does not
// use is acknowledged empty so Slack does not redeliver it.
func (s *SocketMode) onUnknown(evt *socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		s.handle(evt, "other", func(ctx context.Context, e *envelope) {
			e.outcome = "ignored"
			s.ack(ctx, e, Ack{}, nil)
		})
		return
	}
	s.o.Logger.Debug("socket mode event ignored", "type", string(evt.Type))
}

func (s *SocketMode) connected(up bool) {
	if m, ok := s.o.Metrics.(SocketMetrics); ok {
		m.ObserveSocketConnected(up)
	}
}
