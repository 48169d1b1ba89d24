package atoms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// The exported API the rest of the bot is written against.
var (
	_ func(context.Context, CreateAgentRequest) (string, error)                       = (*Client)(nil).CreateAgent
	_ func(context.Context, ListAgentsOptions) (*AgentList, error)                    = (*Client)(nil).ListAgents
	_ func(context.Context, string) ([]Agent, error)                                  = (*Client)(nil).AllAgents
	_ func(context.Context, string, GetAgentOptions) (*Agent, error)                  = (*Client)(nil).GetAgent
	_ func(context.Context, string, bool) error                                       = (*Client)(nil).ArchiveAgent
	_ func(context.Context, string) ([]Version, error)                                = (*Client)(nil).ListDrafts
	_ func(context.Context, string, CreateDraftRequest) (*Version, error)             = (*Client)(nil).CreateDraft
	_ func(context.Context, string, string, int) (*DraftDetail, error)                = (*Client)(nil).GetDraft
	_ func(context.Context, string, string, string) error                             = (*Client)(nil).RenameDraft
	_ func(context.Context, string, string) error                                     = (*Client)(nil).DeleteDraft
	_ func(context.Context, string, string, ConfigPatch) (*Version, error)            = (*Client)(nil).UpdateDraftConfig
	_ func(context.Context, string, string, string) (*Diff, error)                    = (*Client)(nil).DiffDraft
	_ func(context.Context, string, string, PublishRequest) (*Version, error)         = (*Client)(nil).PublishDraft
	_ func(context.Context, string, ListVersionsOptions) (*VersionList, error)        = (*Client)(nil).ListVersions
	_ func(context.Context, string) ([]Version, error)                                = (*Client)(nil).AllVersions
	_ func(context.Context, string, string) (*VersionDetail, error)                   = (*Client)(nil).GetVersion
	_ func(context.Context, string, string, VersionMetadata) (*Version, error)        = (*Client)(nil).UpdateVersion
	_ func(context.Context, string, string, string) (*Diff, error)                    = (*Client)(nil).DiffVersions
	_ func(context.Context, string, string) (*Version, error)                         = (*Client)(nil).ActivateVersion
	_ func(context.Context, OutboundCallRequest) (string, error)                      = (*Client)(nil).StartOutboundCall
	_ func(context.Context, string, string, TestCallRequest) (*TestCallResult, error) = (*Client)(nil).DraftTestCall
	_ func(context.Context, string, string, TestCallRequest) (*TestCallResult, error) = (*Client)(nil).VersionTestCall
	_ func(error) bool                                                                = Ambiguous
	_ func(Options) (*Client, error)                                                  = New
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"empty key", Options{}, "APIKey is empty"},
		{"key with newline", Options{APIKey: "sk_abc\n"}, "whitespace or control"},
		{"relative base", Options{APIKey: "k", BaseURL: "api.smallest.ai/atoms/v1"}, "not an absolute http(s) URL"},
		{"ftp base", Options{APIKey: "k", BaseURL: "ftp://api.smallest.ai"}, "not an absolute http(s) URL"},
		{"base with query", Options{APIKey: "k", BaseURL: "https://api.smallest.ai/atoms/v1?x=1"}, "query or fragment"},
		{"unparseable base", Options{APIKey: "k", BaseURL: "http://[::1"}, "BaseURL"},
		{"default base", Options{APIKey: "k"}, ""},
		{"trailing slash", Options{APIKey: "k", BaseURL: "http://127.0.0.1:9/atoms/v1/"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.opts)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if strings.HasSuffix(c.base, "/") {
					t.Errorf("base %q keeps a trailing slash", c.base)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("err = %v, want ErrInvalidArgument mentioning %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "sk_abc") {
				t.Errorf("error %q quotes the key", err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		wantLimit rate.Limit
		wantBurst int
		wantRetry int
	}{
		{"all defaults", Options{}, 5, 5, DefaultMaxRetries},
		{"fractional rps", Options{RPS: 2.5}, 2.5, 3, DefaultMaxRetries},
		{"slow rps", Options{RPS: 0.5}, 0.5, 1, DefaultMaxRetries},
		{"explicit burst", Options{RPS: 10, Burst: 2}, 10, 2, DefaultMaxRetries},
		{"unlimited", Options{RPS: math.Inf(1)}, rate.Inf, 1, DefaultMaxRetries},
		{"no retries", Options{MaxRetries: -1}, 5, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.APIKey = "k"
			c, err := New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.limiter.Limit() != tt.wantLimit || c.limiter.Burst() != tt.wantBurst {
				t.Errorf("limiter = %v/%d, want %v/%d", c.limiter.Limit(), c.limiter.Burst(), tt.wantLimit, tt.wantBurst)
			}
			if c.maxRetries != tt.wantRetry {
				t.Errorf("maxRetries = %d, want %d", c.maxRetries, tt.wantRetry)
			}
			if c.base != DefaultBaseURL || c.timeout != DefaultTimeout ||
				c.baseBackoff != DefaultBaseBackoff || c.maxBackoff != DefaultMaxBackoff {
				t.Errorf("defaults: base %q timeout %v backoff %v..%v", c.base, c.timeout, c.baseBackoff, c.maxBackoff)
			}
		})
	}
}

// TestRateLimiterShared: calls from many goroutines, through different
// methods, queue on one limiter. The clock stands still and Sleep only
// records, so the waits handed out are exactly 0, 1/RPS, 2/RPS, …
func TestRateLimiterShared(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/drafts"):
			ok(w, 200, `[]`)
		default:
			ok(w, 200, `{"_id":"x"}`)
		}
	})
	obs := &recObserver{}
	c, sl := newTestClient(t, f.URL(), func(o *Options) {
		o.RPS = 5
		o.Burst = 1
		o.Observer = obs
	})
	c.now = func() time.Time { return fixedNow }

	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, err = c.GetAgent(context.Background(), "a1", GetAgentOptions{})
			} else {
				_, err = c.ListDrafts(context.Background(), "a1")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := sl.all()
	slices.Sort(got)
	var want []time.Duration
	for k := 1; k < n; k++ {
		want = append(want, time.Duration(k)*200*time.Millisecond)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rate waits %v, want %v", got, want)
	}
	if len(obs.rateWaits) != n {
		t.Errorf("%d rate waits observed, want %d (one per attempt)", len(obs.rateWaits), n)
	}
	if len(f.requests()) != n {
		t.Errorf("%d requests, want %d", len(f.requests()), n)
	}
}

// TestRateLimiterRealClock runs the limiter with the real clock and sleep at
// a high rate: 20 calls at 200/s with burst 1 cannot finish in under 95 ms.
func TestRateLimiterRealClock(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{"_id":"x"}`) })
	c, err := New(Options{APIKey: testKey, BaseURL: f.URL(), RPS: 200, Burst: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.GetAgent(context.Background(), "a1", GetAgentOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if el := time.Since(start); el < 95*time.Millisecond {
		t.Errorf("20 calls took %v, want at least 95ms at 200 rps", el)
	}
}

// TestRateWaitPastDeadline: a rate-limit wait longer than the context
// allows is refused at once, before anything is sent.
func TestRateWaitPastDeadline(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{"_id":"x"}`) })
	c, sl := newTestClient(t, f.URL(), func(o *Options) { o.RPS = 1.0 / 7200; o.Burst = 1 }) // one call per 2h
	if _, err := c.GetAgent(context.Background(), "a1", GetAgentOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	_, err := c.GetAgent(ctx, "a1", GetAgentOptions{})
	if !errors.Is(err, context.DeadlineExceeded) || Ambiguous(err) || !strings.Contains(err.Error(), "would pass the deadline") {
		t.Fatalf("err = %v, want a non-ambiguous DeadlineExceeded from the rate wait", err)
	}
	if len(f.requests()) != 1 || len(sl.all()) != 0 {
		t.Errorf("%d requests, %d sleeps: want 1 and 0", len(f.requests()), len(sl.all()))
	}
	// The refused wait gave its slot back: a later call waits 2h, not 4h.
	if _, err := c.GetAgent(context.Background(), "a1", GetAgentOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := sl.all(); len(got) != 1 || got[0] > 2*time.Hour || got[0] < 2*time.Hour-time.Minute {
		t.Errorf("slept %v, want about 2h", got)
	}
}

func TestContextCancellation(t *testing.T) {
	t.Run("cancelled before the call", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{"_id":"x"}`) })
		c, _ := newTestClient(t, f.URL(), nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.PublishDraft(ctx, "a1", "d1", PublishRequest{})
		if !errors.Is(err, context.Canceled) || Ambiguous(err) {
			t.Errorf("err = %v, want a non-ambiguous context.Canceled", err)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%d requests, want 0", n)
		}
	})
	t.Run("cancelled during backoff", func(t *testing.T) {
		f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
			reply(w, 500, `{"status":false,"errors":["boom"]}`)
		})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c, _ := newTestClient(t, f.URL(), func(o *Options) {
			o.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
		})
		_, err := c.GetAgent(ctx, "a1", GetAgentOptions{})
		var ae *APIError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &ae) || ae.Status != 500 {
			t.Errorf("err = %v, want context.Canceled wrapping the last 500", err)
		}
		if n := len(f.requests()); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("cancelled in flight", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		attempts := 0
		c, _ := newTestClient(t, "https://api.example.test/atoms/v1", func(o *Options) {
			o.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				attempts++
				cancel()
				<-r.Context().Done()
				return nil, r.Context().Err()
			})}
		})
		_, err := c.GetVersion(ctx, "a1", "v1")
		var ne *NetworkError
		if !errors.Is(err, context.Canceled) || !errors.As(err, &ne) || !Ambiguous(err) {
			t.Errorf("err = %v, want an ambiguous NetworkError wrapping context.Canceled", err)
		}
		if attempts != 1 {
			t.Errorf("%d attempts, want 1: a cancelled call is not retried", attempts)
		}
	})
}

func TestObserverAndLog(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 0 {
			reply(w, 503, `{"status":false,"errors":["busy"]}`, "X-Request-Id", "req-1")
			return
		}
		reply(w, 200, `{"status":true,"data":{"version":{"_id":"v1"}}}`, "X-Request-Id", "req-2")
	})
	var buf bytes.Buffer
	obs := &recObserver{}
	c, _ := newTestClient(t, f.URL(), func(o *Options) {
		o.Observer = obs
		o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	if _, err := c.GetVersion(context.Background(), "a1", "v1"); err != nil {
		t.Fatal(err)
	}
	wantCalls := []string{"GET /agent/{id}/versions/{versionId} 503", "GET /agent/{id}/versions/{versionId} 200"}
	if !slices.Equal(obs.calls, wantCalls) {
		t.Errorf("observed calls %q, want %q", obs.calls, wantCalls)
	}
	if !slices.Equal(obs.retries, []string{"GET /agent/{id}/versions/{versionId}"}) {
		t.Errorf("observed retries %q", obs.retries)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log lines:\n%s\nwant 3 (call, retry, call)", buf.String())
	}
	for i, want := range [][]string{
		{`msg="atoms call"`, "method=GET", "endpoint=/agent/{id}/versions/{versionId}", "status=503", "duration=", "attempt=1", "request_id=req-1", `error="atoms: GET`},
		{`msg="atoms retry"`, "attempt=1", "delay=250ms"},
		{`msg="atoms call"`, "status=200", "attempt=2", "request_id=req-2"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("log line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
	if strings.Contains(lines[2], "error=") {
		t.Errorf("success line has an error: %q", lines[2])
	}
}

// TestRequestHeaders: the key travels as a bearer token; JSON bodies are
// labelled; bodiless calls have no Content-Type.
func TestRequestHeaders(t *testing.T) {
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, `{"_id":"v1"}`) })
	c, _ := newTestClient(t, f.URL(), nil)
	ctx := context.Background()
	if _, err := c.ActivateVersion(ctx, "a1", "v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PublishDraft(ctx, "a1", "d1", PublishRequest{}); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	for i, r := range reqs {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
			t.Errorf("request %d Authorization = %q", i, got)
		}
		if got := r.Header.Get("Accept"); got != "application/json" {
			t.Errorf("request %d Accept = %q", i, got)
		}
	}
	if ct := reqs[0].Header.Get("Content-Type"); ct != "" || len(reqs[0].Body) != 0 {
		t.Errorf("activate sent Content-Type %q and body %q, want none", ct, reqs[0].Body)
	}
	if ct := reqs[1].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("publish Content-Type = %q", ct)
	}
}

func TestSleepCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := sleepCtx(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("sleepCtx(cancelled, 1h) = %v, want context.Canceled at once", err)
	}
	if err := sleepCtx(context.Background(), 0); err != nil {
		t.Errorf("sleepCtx(0) = %v", err)
	}
}

func ExampleAmbiguous() {
	err := fmt.Errorf("promote: %w", &APIError{Method: "POST", Path: "/agent/{id}/drafts/{draftId}/publish", Status: 502})
	if Ambiguous(err) {
		fmt.Println("list the versions before publishing again")
	}
	// Output: list the versions before publishing again
}
