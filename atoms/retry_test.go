package atoms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// fixedNow is the clock of tests that need one.
var fixedNow = time.Date(2026, 6, 11, 12, 0, 0, 0, time.UTC)

func TestRetryAfterHonoured(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		want    time.Duration
	}{
		{"seconds", []string{"Retry-After", "3"}, 3 * time.Second},
		{"http date", []string{"Retry-After", fixedNow.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second},
		{"date in the past", []string{"Retry-After", fixedNow.Add(-time.Minute).Format(http.TimeFormat)}, 0},
		{"capped at MaxBackoff", []string{"Retry-After", "120"}, 30 * time.Second},
		{"retry-after-ms", []string{"Retry-After-Ms", "1500"}, 1500 * time.Millisecond},
		{"unparseable falls back to backoff", []string{"Retry-After", "soon"}, 250 * time.Millisecond}, // jitter 0.5 × 500ms
		{"absent falls back to backoff", nil, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 0 {
					reply(w, 429, `{"status":false,"errors":["Too many requests"]}`, tt.headers...)
					return
				}
				ok(w, 200, `{"_id":"agent1","name":"a"}`)
			})
			c, sl := newTestClient(t, f.URL(), nil)
			c.now = func() time.Time { return fixedNow }
			a, err := c.GetAgent(context.Background(), "agent1", GetAgentOptions{})
			if err != nil {
				t.Fatalf("GetAgent: %v", err)
			}
			if a.ID != "agent1" {
				t.Errorf("agent id = %q", a.ID)
			}
			if got := sl.all(); !slices.Equal(got, []time.Duration{tt.want}) {
				t.Errorf("slept %v, want [%v]", got, tt.want)
			}
			if n := len(f.requests()); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

// TestRetrySchedule: 500s until MaxRetries is spent, with capped
// exponential backoff, then the last error.
func TestRetrySchedule(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 500, fmt.Sprintf(`{"status":false,"errors":["boom %d"]}`, n))
	})
	obs := &recObserver{}
	c, sl := newTestClient(t, f.URL(), func(o *Options) {
		o.MaxRetries = 5
		o.BaseBackoff = 100 * time.Millisecond
		o.MaxBackoff = 1 * time.Second
		o.Observer = obs
	})
	_, err := c.GetVersion(context.Background(), "agent1", "ver1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 500 || ae.Messages[0] != "boom 5" {
		t.Fatalf("err = %v, want the 6th attempt's 500", err)
	}
	want := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 500 * time.Millisecond}
	if got := sl.all(); !slices.Equal(got, want) {
		t.Errorf("slept %v, want %v", got, want)
	}
	if n := len(f.requests()); n != 6 {
		t.Errorf("%d requests, want 6", n)
	}
	if len(obs.retries) != 5 || obs.retries[0] != "GET /agent/{id}/versions/{versionId}" {
		t.Errorf("observed retries %q", obs.retries)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:1", func(o *Options) {
		o.BaseBackoff = 100 * time.Millisecond
		o.MaxBackoff = time.Second
	})
	tests := []struct {
		attempt int
		jitter  float64
		want    time.Duration
	}{
		{0, 0, 0},
		{0, 0.5, 50 * time.Millisecond},
		{0, 0.999, 99900 * time.Microsecond},
		{3, 0.5, 400 * time.Millisecond},
		{4, 0.5, 500 * time.Millisecond}, // 1.6s capped to 1s
		{62, 0.5, 500 * time.Millisecond},
		{1000, 1, time.Second},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("attempt %d jitter %v", tt.attempt, tt.jitter), func(t *testing.T) {
			c.jitter = func() float64 { return tt.jitter }
			if got := c.backoff(tt.attempt, outcome{}); got != tt.want {
				t.Errorf("backoff = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestAttemptTimeout: each attempt runs under its own deadline of
// Options.Timeout, and an attempt that times out is a retryable, ambiguous
// network error whose text names the timeout, not the URL.
func TestAttemptTimeout(t *testing.T) {
	const timeout = 7 * time.Second
	var deadlines []time.Duration
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		dl, ok := r.Context().Deadline()
		if !ok {
			t.Error("attempt has no deadline")
		}
		deadlines = append(deadlines, time.Until(dl))
		if len(deadlines) == 1 {
			return nil, context.DeadlineExceeded // what the transport returns when the attempt's timer fires
		}
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: bodyOf(`{"status":true,"data":{"_id":"v1"}}`)}, nil
	})
	c, _ := newTestClient(t, "https://api.example.test/atoms/v1", func(o *Options) {
		o.Timeout = timeout
		o.HTTPClient = &http.Client{Transport: rt}
	})
	if _, err := c.GetVersion(context.Background(), "a1", "v1"); err != nil {
		t.Fatalf("GetVersion: %v", err)
	}
	if len(deadlines) != 2 {
		t.Fatalf("%d attempts, want 2", len(deadlines))
	}
	for _, d := range deadlines {
		if d <= timeout-time.Second || d > timeout {
			t.Errorf("attempt deadline %v ahead, want about %v", d, timeout)
		}
	}

	c2, _ := newTestClient(t, "https://api.example.test/atoms/v1", func(o *Options) {
		o.Timeout = timeout
		o.HTTPClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
			return nil, context.DeadlineExceeded
		})}
	})
	_, err := c2.PublishDraft(context.Background(), "a1", "d1", PublishRequest{})
	var ne *NetworkError
	if !errors.As(err, &ne) || !Ambiguous(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v (%T), want an ambiguous NetworkError wrapping DeadlineExceeded", err, err)
	}
	if want := "atoms: POST /agent/{id}/drafts/{draftId}/publish: no answer within the 7s attempt timeout"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestAmbiguous(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"network", &NetworkError{Method: "POST", Path: "/x", Err: errors.New("reset")}, true},
		{"500", &APIError{Status: 500}, true},
		{"503 wrapped", fmt.Errorf("publishing: %w", &APIError{Status: 503}), true},
		{"429", &APIError{Status: 429}, true},
		{"408", &APIError{Status: 408}, false},
		{"400", &APIError{Status: 400}, false},
		{"404", &APIError{Status: 404}, false},
		{"409", &APIError{Status: 409, Type: MigrationErrorType}, false},
		{"refused before sending", context.Canceled, false},
		{"invalid argument", ErrInvalidArgument, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Ambiguous(tt.err); got != tt.want {
				t.Errorf("Ambiguous = %v, want %v", got, tt.want)
			}
		})
	}
}
