package atoms

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testKey is the API key of every test client; tests assert it never leaks.
const testKey = "sk_test_4f1c9e_DO_NOT_LEAK"

// recorded is one request the fake API received.
type recorded struct {
	Method   string
	Path     string // escaped path, without the base path
	RawQuery string
	Header   http.Header
	Body     []byte
}

// fakeAPI is an httptest server that records requests and answers with
// handler; n is the 0-based index of the request.
type fakeAPI struct {
	srv     *httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	handler func(w http.ResponseWriter, r *http.Request, n int)
}

// basePath is the path prefix of the fake, like the real /atoms/v1.
const basePath = "/atoms/v1"

func newFakeAPI(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{handler: handler}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, recorded{
			Method: r.Method, Path: r.URL.EscapedPath()[len(basePath):], RawQuery: r.URL.RawQuery,
			Header: r.Header.Clone(), Body: body,
		})
		f.mu.Unlock()
		f.handler(w, r, n)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL + basePath }

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// reply writes a JSON answer with optional header pairs.
func reply(w http.ResponseWriter, status int, body string, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ok answers {"status":true,"data":data}.
func ok(w http.ResponseWriter, status int, data string) {
	reply(w, status, `{"status":true,"data":`+data+`}`)
}

// sleeps records the waits a client asked for without waiting.
type sleeps struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.ds = append(s.ds, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

// newTestClient returns a client for baseURL with an unlimited rate, no real
// sleeping and a jitter of 0.5; mod adjusts the options first.
func newTestClient(t *testing.T, baseURL string, mod func(*Options)) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	opts := Options{BaseURL: baseURL, APIKey: testKey, RPS: math.Inf(1), Sleep: s.sleep}
	if mod != nil {
		mod(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	c.jitter = func() float64 { return 0.5 }
	return c, s
}

// recObserver records observer calls.
type recObserver struct {
	mu        sync.Mutex
	calls     []string // "endpoint status"
	retries   []string
	rateWaits []time.Duration
}

func (o *recObserver) ObserveCall(endpoint string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.calls = append(o.calls, endpoint+" "+strconv.Itoa(status))
}

func (o *recObserver) ObserveRetry(endpoint string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries = append(o.retries, endpoint)
}

func (o *recObserver) ObserveRateWait(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rateWaits = append(o.rateWaits, d)
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func ptr[T any](v T) *T { return &v }

func bodyOf(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }
