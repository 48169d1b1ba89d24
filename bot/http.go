package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"
	"github.com/slack-go/slack"
)

// MaxBody is the largest Slack request body accepted.
const MaxBody = 1 << 20

// ServerOptions configure the HTTP transport.
type ServerOptions struct {
	Verifier *Verifier
	Logger   *slog.Logger
	Metrics  Metrics
	// Ready reports whether the process can serve (Redis reachable).
	Ready func(ctx context.Context) error
	// MetricsHandler serves /metrics; nil leaves the route out.
	MetricsHandler http.Handler
	Now            func() time.Time
}

// NewServer returns the HTTP routes of the contract. Every /slack/* request is
// verified on its raw body before anything is parsed.
func NewServer(h *Handler, o ServerOptions) *mux.Router {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &server{h: h, o: o}
	r := mux.NewRouter()
	r.Handle("/slack/commands", s.slack("commands", s.commands)).Methods(http.MethodPost)
	r.Handle("/slack/interactions", s.slack("interactions", s.interactions)).Methods(http.MethodPost)
	r.Handle("/slack/events", s.slack("events", s.events)).Methods(http.MethodPost)
	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") }).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	if o.MetricsHandler != nil {
		r.Handle("/metrics", o.MetricsHandler).Methods(http.MethodGet)
	}
	return r
}

type server struct {
	h *Handler
	o ServerOptions
}

type slackHandler func(ctx context.Context, w http.ResponseWriter, body []byte) string

// slack reads the body once (at most MaxBody), verifies the signature and only
// then hands the bytes on. A failure has no side effect.
func (s *server) slack(route string, next slackHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.o.Now()
		outcome := "ok"
		defer func() {
			if s.o.Metrics != nil {
				s.o.Metrics.ObserveRequest(route, outcome, s.o.Now().Sub(start))
			}
			s.o.Logger.Info("slack request", "route", route, "outcome", outcome, "ms", s.o.Now().Sub(start).Milliseconds(),
				"request_id", r.Header.Get("X-Request-Id"), "retry", r.Header.Get("X-Slack-Retry-Num"))
		}()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				outcome = "too_large"
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			outcome = "read_error"
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := s.o.Verifier.Verify(r.Header, body); err != nil {
			outcome = "unauthorized"
			if s.o.Metrics != nil {
				s.o.Metrics.ObserveSignatureFailure(signatureReason(err))
			}
			s.o.Logger.Warn("slack signature rejected", "route", route, "reason", err.Error(), "remote", r.RemoteAddr)
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		outcome = next(r.Context(), w, body)
	})
}

func signatureReason(err error) string {
	switch {
	case errors.Is(err, ErrMissingHeaders):
		return "missing"
	case errors.Is(err, ErrStaleTimestamp), errors.Is(err, ErrBadTimestamp):
		return "stale"
	}
	return "mismatch"
}

func (s *server) commands(ctx context.Context, w http.ResponseWriter, body []byte) string {
	sc, err := ParseSlashCommand(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "malformed"
	}
	writeAck(w, s.h.Command(ctx, sc))
	return "ok"
}

func (s *server) interactions(ctx context.Context, w http.ResponseWriter, body []byte) string {
	ic, err := DecodeInteraction(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return "malformed"
	}
	writeAck(w, s.h.Interaction(ctx, ic))
	return "ok"
}

func (s *server) events(_ context.Context, w http.ResponseWriter, body []byte) string {
	var ev struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.Type == "" {
		http.Error(w, "malformed event", http.StatusBadRequest)
		return "malformed"
	}
	if ev.Type == "url_verification" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, ev.Challenge)
		return "ok"
	}
	// atomsbot subscribes to no events; acknowledge so Slack does not retry.
	w.WriteHeader(http.StatusOK)
	return "ignored"
}

func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.o.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.o.Ready(ctx); err != nil {
			http.Error(w, "not ready: redis unreachable", http.StatusServiceUnavailable)
			return
		}
	}
	_, _ = io.WriteString(w, "ready\n")
}

// writeAck writes an empty 200 or the JSON body.
func writeAck(w http.ResponseWriter, a Ack) {
	if a.Body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b, err := json.Marshal(a.Body)
	if err != nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// ErrMalformed is a signed request whose body is not what Slack sends.
var ErrMalformed = errors.New("malformed slack payload")

// ParseSlashCommand decodes a form-encoded slash command body.
func ParseSlashCommand(body []byte) (slack.SlashCommand, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, ErrMalformed
	}
	sc := slack.SlashCommand{
		Token: v.Get("token"), TeamID: v.Get("team_id"), TeamDomain: v.Get("team_domain"),
		EnterpriseID: v.Get("enterprise_id"), ChannelID: v.Get("channel_id"), ChannelName: v.Get("channel_name"),
		UserID: v.Get("user_id"), UserName: v.Get("user_name"), Command: v.Get("command"), Text: v.Get("text"),
		ResponseURL: v.Get("response_url"), TriggerID: v.Get("trigger_id"), APIAppID: v.Get("api_app_id"),
	}
	if sc.Command == "" || sc.UserID == "" || sc.ChannelID == "" {
		return sc, ErrMalformed
	}
	return sc, nil
}

// DecodeInteraction decodes the form field `payload` of an interaction.
func DecodeInteraction(body []byte) (slack.InteractionCallback, error) {
	var ic slack.InteractionCallback
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ic, ErrMalformed
	}
	payload := v.Get("payload")
	if payload == "" {
		return ic, ErrMalformed
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(payload)))
	if err := dec.Decode(&ic); err != nil {
		return ic, ErrMalformed
	}
	if ic.Type == "" || ic.User.ID == "" {
		return ic, ErrMalformed
	}
	return ic, nil
}
