package metrics

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

func TestObservations(t *testing.T) {
	cases := []struct {
		name    string
		observe func(m *Metrics)
		want    string // expected samples in the exposition format
		metrics []string
	}{
		{"request", func(m *Metrics) { m.ObserveRequest("commands", "ok", 3*time.Millisecond) },
			`atomsbot_slack_requests_total{outcome="ok",route="commands"} 1`, []string{"atomsbot_slack_requests_total"}},
		{"signature failure", func(m *Metrics) { m.ObserveSignatureFailure("stale") },
			"atomsbot_slack_signature_failures_total{reason=\"missing\"} 0\natomsbot_slack_signature_failures_total{reason=\"mismatch\"} 0\natomsbot_slack_signature_failures_total{reason=\"stale\"} 1",
			[]string{"atomsbot_slack_signature_failures_total"}},
		{"pool rejection", func(m *Metrics) { m.ObservePool(7, true) },
			"atomsbot_worker_queue_depth 7\natomsbot_worker_rejections_total 1", []string{"atomsbot_worker_queue_depth", "atomsbot_worker_rejections_total"}},
		{"atoms call creates its retry series", func(m *Metrics) { m.ObserveCall("GET /agent/{id}", 200, time.Millisecond) },
			"atomsbot_atoms_calls_total{endpoint=\"GET /agent/{id}\",status=\"200\"} 1\natomsbot_atoms_retries_total{endpoint=\"GET /agent/{id}\"} 0",
			[]string{"atomsbot_atoms_calls_total", "atomsbot_atoms_retries_total"}},
		{"atoms retry", func(m *Metrics) { m.ObserveRetry("POST /agent/{id}/activate") },
			`atomsbot_atoms_retries_total{endpoint="POST /agent/{id}/activate"} 1`, []string{"atomsbot_atoms_retries_total"}},
		{"transition", func(m *Metrics) { m.ObserveTransition(state.Live) },
			`atomsbot_promotions_total{state="activating"} 0
atomsbot_promotions_total{state="cancelled"} 0
atomsbot_promotions_total{state="expired"} 0
atomsbot_promotions_total{state="failed"} 0
atomsbot_promotions_total{state="live"} 1
atomsbot_promotions_total{state="published"} 0
atomsbot_promotions_total{state="rejected"} 0
atomsbot_promotions_total{state="requested"} 0`, []string{"atomsbot_promotions_total"}},
		{"slack ok creates its 429 series", func(m *Metrics) { m.ObserveSlackCall("chat.update", nil) },
			"atomsbot_slack_api_calls_total{method=\"chat.update\",outcome=\"ok\"} 1\natomsbot_slack_api_rate_limited_total{method=\"chat.update\"} 0",
			[]string{"atomsbot_slack_api_calls_total", "atomsbot_slack_api_rate_limited_total"}},
		{"slack 429", func(m *Metrics) {
			m.ObserveSlackCall("chat.postMessage", fmt.Errorf("slack chat.postMessage: %w", &slack.RateLimitedError{RetryAfter: time.Second}))
		},
			"atomsbot_slack_api_calls_total{method=\"chat.postMessage\",outcome=\"rate_limited\"} 1\natomsbot_slack_api_rate_limited_total{method=\"chat.postMessage\"} 1",
			[]string{"atomsbot_slack_api_calls_total", "atomsbot_slack_api_rate_limited_total"}},
		{"slack 429 status without Retry-After", func(m *Metrics) {
			m.ObserveSlackCall("views.open", slack.StatusCodeError{Code: http.StatusTooManyRequests})
		},
			"atomsbot_slack_api_calls_total{method=\"views.open\",outcome=\"rate_limited\"} 1\natomsbot_slack_api_rate_limited_total{method=\"views.open\"} 1",
			[]string{"atomsbot_slack_api_calls_total", "atomsbot_slack_api_rate_limited_total"}},
		{"slack error", func(m *Metrics) { m.ObserveSlackCall("views.update", errors.New("hash_conflict")) },
			"atomsbot_slack_api_calls_total{method=\"views.update\",outcome=\"error\"} 1\natomsbot_slack_api_rate_limited_total{method=\"views.update\"} 0",
			[]string{"atomsbot_slack_api_calls_total", "atomsbot_slack_api_rate_limited_total"}},
		{"socket connected", func(m *Metrics) { m.ObserveSocketConnected(true) },
			"atomsbot_slack_socket_connected 1", []string{"atomsbot_slack_socket_connected"}},
		{"socket down", func(m *Metrics) { m.ObserveSocketConnected(true); m.ObserveSocketConnected(false) },
			"atomsbot_slack_socket_connected 0", []string{"atomsbot_slack_socket_connected"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := New()
			tc.observe(m)
			got := samples(t, m, tc.metrics...)
			want := strings.Split(tc.want, "\n")
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("samples:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// samples renders the counter and gauge samples of the named metrics as
// "name{l="v",…} value" lines (labels sorted, as Prometheus does), sorted.
func samples(t *testing.T, m *Metrics, names ...string) []string {
	t.Helper()
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range mfs {
		if !slices.Contains(names, f.GetName()) {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			name := f.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			v := s.GetCounter().GetValue() + s.GetGauge().GetValue()
			out = append(out, fmt.Sprintf("%s %g", name, v))
		}
	}
	slices.Sort(out)
	return out
}

func TestHistogramsObserve(t *testing.T) {
	m := New()
	m.ObserveRequest("interactions", "ok", 2*time.Millisecond)
	m.ObserveCall("GET /agent/{id}", 0, 40*time.Millisecond)
	m.ObserveRateWait(0)
	m.ObserveCheckWait(6 * time.Second)
	m.ObservePollLag(-time.Second) // a clock step backwards counts as no lag
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{}
	for _, f := range mfs {
		for _, s := range f.GetMetric() {
			if h := s.GetHistogram(); h != nil {
				counts[f.GetName()] += h.GetSampleCount()
			}
		}
	}
	for _, name := range []string{"atomsbot_slack_ack_seconds", "atomsbot_atoms_call_seconds", "atomsbot_atoms_rate_limiter_wait_seconds",
		"atomsbot_security_check_wait_seconds", "atomsbot_poller_lag_seconds"} {
		if counts[name] != 1 {
			t.Errorf("%s: %d observations, want 1", name, counts[name])
		}
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{`atomsbot_poller_lag_seconds_bucket{le="0.01"} 1`, "go_goroutines", "process_"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}
