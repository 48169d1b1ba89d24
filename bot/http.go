package bot

import (
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

// maxBody is the largest Slack request body accepted.
const maxBody = 1 << 20

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
	s := &server{h: h, o: o, refusals: newRefusalLog(o.Logger, o.Now)}
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
	h        *Handler
	o        ServerOptions
	refusals *refusalLog
}

type slackHandler func(ctx context.Context, w http.ResponseWriter, body []byte) string

// slack reads the body once (at most maxBody), verifies the signature and only
// then hands the bytes on. A failure has no side effect. Requests without
// fresh signature headers are refused before their body is read, and every
// refusal before verification is logged sampled (refusalLog): junk costs
// little, however fast it comes.
func (s *server) slack(route string, next slackHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.o.Now()
		outcome, refused := "ok", ""
		defer func() {
			d := s.o.Now().Sub(start)
			if s.o.Metrics != nil {
				s.o.Metrics.ObserveRequest(route, outcome, d)
			}
			if refused != "" {
				s.refusals.refused(r.Context(), route, refused, r.RemoteAddr)
				return
			}
			if level := requestLevel(outcome); s.o.Logger.Enabled(r.Context(), level) {
				s.o.Logger.Log(r.Context(), level, "slack request", "transport", "http", "route", route, "outcome", outcome,
					"ms", d.Milliseconds(), "retry", r.Header.Get("X-Slack-Retry-Num"))
			}
		}()
		unauthorized := func(err error) {
			outcome, refused = "unauthorized", signatureReason(err)
			if s.o.Metrics != nil {
				s.o.Metrics.ObserveSignatureFailure(refused)
			}
			http.Error(w, "invalid signature", http.StatusUnauthorized)
		}
		if err := s.o.Verifier.CheckHeaders(r.Header); err != nil {
			unauthorized(err)
			return
		}
		body, err := readBody(w, r)
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				outcome, refused = "too_large", "too_large"
				http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			outcome, refused = "read_error", "read_error"
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := s.o.Verifier.Verify(r.Header, body); err != nil {
			unauthorized(err)
			return
		}
		outcome = next(r.Context(), w, body)
	})
}

// readBody reads the whole body, refusing more than maxBody bytes; a declared
// length over the limit is refused before reading anything.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, &http.MaxBytesError{Limit: maxBody}
	}
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
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

// writeAck writes an empty 200 or the JSON body, marshalled already when
// the handler rendered it ahead (Ack.raw).
func writeAck(w http.ResponseWriter, a Ack) {
	if a.Body == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	b := a.raw
	if b == nil {
		var err error
		if b, err = json.Marshal(a.Body); err != nil {
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// ErrMalformed is a signed request whose body is not what Slack sends.
var ErrMalformed = errors.New("malformed slack payload")

// ParseSlashCommand decodes a form-encoded slash command body. As with
// url.Values.Get, the first occurrence of a repeated field wins; malformed
// escapes and ';' separators are malformed.
func ParseSlashCommand(body []byte) (slack.SlashCommand, error) {
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return slack.SlashCommand{}, ErrMalformed
	}
	sc := slack.SlashCommand{
		Token: f.Get("token"), TeamID: f.Get("team_id"), TeamDomain: f.Get("team_domain"),
		EnterpriseID: f.Get("enterprise_id"), EnterpriseName: f.Get("enterprise_name"),
		IsEnterpriseInstall: f.Get("is_enterprise_install") == "true",
		ChannelID:           f.Get("channel_id"), ChannelName: f.Get("channel_name"), UserID: f.Get("user_id"), UserName: f.Get("user_name"),
		Command: f.Get("command"), Text: f.Get("text"), ResponseURL: f.Get("response_url"), TriggerID: f.Get("trigger_id"),
		APIAppID: f.Get("api_app_id"),
	}
	if sc.Command == "" || sc.UserID == "" || sc.ChannelID == "" {
		return sc, ErrMalformed
	}
	return sc, nil
}

// DecodeInteraction decodes the form field `payload` of an interaction. The
// payload must be one JSON object of a known shape: trailing data, a missing
// type or user is malformed. It never panics, whatever the bytes.
func DecodeInteraction(body []byte) (ic slack.InteractionCallback, err error) {
	f, err := url.ParseQuery(string(body))
	if err != nil {
		return ic, ErrMalformed
	}
	payload := f.Get("payload")
	if payload == "" {
		return ic, ErrMalformed
	}
	defer func() {
		// slack-go's custom unmarshalers are not ours to trust with
		// arbitrary input; a panic there is a malformed payload here.
		if recover() != nil {
			ic, err = slack.InteractionCallback{}, ErrMalformed
		}
	}()
	if err := json.Unmarshal([]byte(payload), &ic); err != nil {
		return slack.InteractionCallback{}, ErrMalformed
	}
	if ic.Type == "" || ic.User.ID == "" {
		return ic, ErrMalformed
	}
	return ic, nil
}
