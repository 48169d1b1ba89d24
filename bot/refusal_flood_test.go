package bot

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/metrics"
)

// countingBody is a request body that counts what the server read of it.
type countingBody struct {
	r    io.Reader
	read *int
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	*b.read += n
	return n, err
}

func (countingBody) Close() error { return nil }

// TestRefusedFloodIsCountedAndLoggedSampled: a flood of requests refused
// before verification is counted one by one in Prometheus but logged at
// most once a second, each line carrying how many were refused since the
// previous one; requests without fresh signature headers are refused
// without reading their body.
func TestRefusedFloodIsCountedAndLoggedSampled(t *testing.T) {
	const flood = 500
	for _, tc := range []struct {
		name     string
		headers  func(now time.Time, h http.Header)
		length   int64 // declared Content-Length
		status   int
		series   string // the Prometheus series that counts them
		bodyRead bool   // whether the server reads the body at all
	}{
		{"unsigned", func(time.Time, http.Header) {}, 0, http.StatusUnauthorized,
			`atomsbot_slack_signature_failures_total{reason="missing"}`, false},
		{"stale", func(now time.Time, h http.Header) {
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Add(-time.Hour).Unix(), 10))
			h.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
		}, 0, http.StatusUnauthorized, `atomsbot_slack_signature_failures_total{reason="stale"}`, false},
		{"bad signature", func(now time.Time, h http.Header) {
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
			h.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
		}, 0, http.StatusUnauthorized, `atomsbot_slack_signature_failures_total{reason="mismatch"}`, true},
		{"declared too large", func(now time.Time, h http.Header) {
			h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
			h.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
		}, maxBody + 1, http.StatusRequestEntityTooLarge, `atomsbot_slack_requests_total{outcome="too_large",route="commands"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			now := time.Unix(1_790_000_000, 0)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			logs, m := &logRecorder{}, metrics.New()
			srv := NewServer(nil, ServerOptions{Verifier: NewVerifier(testSecret, clock), Logger: logs.logger(), Metrics: m, Now: clock})
			read := 0
			send := func(n int) {
				for range n {
					req := httptest.NewRequest(http.MethodPost, "/slack/commands", nil)
					req.Body = countingBody{r: strings.NewReader(strings.Repeat("x", 64<<10)), read: &read}
					req.ContentLength = tc.length
					if tc.length == 0 {
						req.ContentLength = 64 << 10
					}
					tc.headers(clock(), req.Header)
					rec := httptest.NewRecorder()
					srv.ServeHTTP(rec, req)
					if rec.Code != tc.status {
						t.Fatalf("status %d, want %d", rec.Code, tc.status)
					}
				}
			}
			send(flood)
			mu.Lock()
			now = now.Add(999 * time.Millisecond)
			mu.Unlock()
			send(flood)
			mu.Lock()
			now = now.Add(time.Millisecond)
			mu.Unlock()
			send(1)

			lines := strings.Split(strings.TrimSpace(logs.all()), "\n")
			want := []string{"refused=1 ", "refused=" + strconv.Itoa(2*flood) + " "}
			if len(lines) != len(want) {
				t.Fatalf("%d log lines for %d refusals, want %d:\n%s", len(lines), 2*flood+1, len(want), strings.Join(lines[:min(len(lines), 5)], "\n"))
			}
			for i, l := range lines {
				if !strings.Contains(l, `msg="slack requests refused"`) || !strings.Contains(l, want[i]) || !strings.Contains(l, "level=WARN") {
					t.Errorf("line %d = %s, want a warning with %s", i, l, want[i])
				}
			}
			if got := seriesValue(t, m, tc.series); got != 2*flood+1 {
				t.Errorf("%s = %v, want %d", tc.series, got, 2*flood+1)
			}
			if (read > 0) != tc.bodyRead {
				t.Errorf("read %d bytes of refused bodies, want any: %t", read, tc.bodyRead)
			}
		})
	}
}

// seriesValue is the value of a counter series written as in the exposition
// format, name{label="value",…} with labels in alphabetical order.
func seriesValue(t *testing.T, m *metrics.Metrics, series string) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		for _, metric := range f.GetMetric() {
			var labels []string
			for _, l := range metric.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			if f.GetName()+"{"+strings.Join(labels, ",")+"}" == series && metric.GetCounter() != nil {
				return metric.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series %s", series)
	return 0
}
