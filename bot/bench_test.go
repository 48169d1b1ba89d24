package bot

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/metrics"
)

// discardingPool accepts jobs and drops them, so a benchmark measures the
// acknowledgement alone (the async work is excluded by design).
func discardingPool(tb testing.TB) *Pool {
	p := NewPool(0, 4096, time.Minute)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for range p.jobs {
			p.done()
		}
	}()
	tb.Cleanup(func() {
		_ = p.Shutdown(context.Background())
		<-stopped
	})
	return p
}

// ackServer is the real HTTP front door, with Prometheus metrics as in
// production, over a handler whose slow work is discarded: nothing on the
// ack path touches Atoms, Redis or Slack.
func ackServer(tb testing.TB, now func() time.Time, pool *Pool) http.Handler {
	m := metrics.New()
	h := NewHandler(nil, nil, nil, nil, pool, Config{Now: now, Metrics: m})
	return NewServer(h, ServerOptions{Verifier: NewVerifier(testSecret, now), Now: now, Metrics: m})
}

func slashBody(text string) string {
	return url.Values{
		"token": {"gIkuvaNzQIHg97ATvDxqgjtO"}, "team_id": {"T0123ABCD"}, "team_domain": {"acme"},
		"channel_id": {"C0123ABCD"}, "channel_name": {"deploys"}, "user_id": {"U0123ABCD"}, "user_name": {"alice"},
		"command": {"/atoms"}, "text": {text}, "api_app_id": {"A0123ABCD"}, "is_enterprise_install": {"false"},
		"response_url": {"https://hooks.slack.com/commands/T0123ABCD/1234567890/AbCdEf"},
		"trigger_id":   {"1234567890123.1234567890123.0123456789abcdef0123456789abcdef"},
	}.Encode()
}

// BenchmarkSlashCommandAck measures verify + parse + dispatch + ack of one
// slash command through the HTTP handler: "queued" is a command whose work
// goes to the (discarding) pool, "help" and "usage" are answered in the ack.
func BenchmarkSlashCommandAck(b *testing.B) {
	now := time.Unix(1_790_000_000, 0)
	clock := func() time.Time { return now }
	open := ackServer(b, clock, discardingPool(b))
	full := NewPool(0, 0, time.Minute) // refuses every job
	b.Cleanup(func() { _ = full.Shutdown(context.Background()) })
	busy := ackServer(b, clock, full)
	ts := strconv.FormatInt(now.Unix(), 10)
	for _, bc := range []struct {
		name, text string
		srv        http.Handler
	}{
		{"queued", `status support-concierge`, open},
		{"promote", `promote support-concierge "Refund policy update" refund wording`, open},
		{"help", "help", open},
		{"usage", "frobnicate everything", open},
		{"typo", "promte support-concierge x", open},
		{"unquoted_name", "status Hardship options", open},
		{"pool_full", `status support-concierge`, busy},
	} {
		srv := bc.srv
		body := slashBody(bc.text)
		sig := NewVerifier(testSecret, nil).Sign(ts, []byte(body))
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			rd := strings.NewReader(body)
			req := httptest.NewRequest(http.MethodPost, "/slack/commands", rd)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Slack-Request-Timestamp", ts)
			req.Header.Set("X-Slack-Signature", sig)
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				rd.Reset(body)
				req.Body = bodyReader{rd}
				w.reset()
				srv.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	v := NewVerifier(vectorSecret, clockAt(1531420618))
	h := sigHeaders(vectorTS, vectorSig)
	body := []byte(vectorBody)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(h, body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSlashCommand(b *testing.B) {
	body := []byte(slashBody(`promote support-concierge "Refund policy update" refund wording`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSlashCommand(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeInteraction(b *testing.B) {
	body := []byte(interactionSeeds()[0])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeInteraction(body); err != nil {
			b.Fatal(err)
		}
	}
}

type bodyReader struct{ *strings.Reader }

func (bodyReader) Close() error { return nil }

// discardWriter is a ResponseWriter that keeps only the status, so the
// benchmark measures the bot rather than httptest's recorder.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) reset() {
	clear(w.h)
	w.status, w.n = 0, 0
}
func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}
