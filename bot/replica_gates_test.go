package bot

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// replicaVia is h.replica whose Atoms and Slack calls go to the given URLs
// (a gate in front of the simulator or the fake Slack) and whose clock runs
// skew ahead of the harness clock (a replica whose clock is off).
func (h *harness) replicaVia(owner, atomsURL, slackURL string, skew time.Duration) *replica {
	t := h.t
	now := func() time.Time { return h.clock.Now().Add(skew) }
	store := state.New(h.rdb, h.prefix, now)
	ac, err := atoms.New(atoms.Options{BaseURL: atomsURL, APIKey: testAPIKey, RPS: 100000, Sleep: noSleep, MaxRetries: 8})
	if err != nil {
		t.Fatal(err)
	}
	sc := slackweb.New(slackweb.Options{Token: testToken, APIURL: slackURL + "/", Sleep: noSleep, HTTPClient: h.cfg.slackHTTP})
	plat := h.platformOf(ac, now)
	eng := workflow.New(plat, store, sc, workflow.Config{
		Policy: h.cfg.policy, PollInterval: time.Second, CheckTimeout: 10 * time.Minute,
		Now: now, Owner: owner, RPS: 100000,
	})
	pool := NewPool(h.cfg.poolSize, 64, time.Minute)
	t.Cleanup(func() { _ = pool.Shutdown(context.Background()) })
	handler := NewHandler(plat, store, sc, eng, pool, Config{Now: now})
	srv := NewServer(handler, ServerOptions{Verifier: NewVerifier(testSecret, now), Now: now, Ready: store.Ping})
	return &replica{h: h, store: store, engine: eng, pool: pool, handler: handler, server: srv}
}

// gate holds the requests it matches — before they reach the server behind
// it, or after it answered (the answer is delayed, the effect is not) — until
// it is opened, or until autoOpen requests are held at once.
type gate struct {
	match    func(r *http.Request, body string) bool
	after    bool
	autoOpen int

	mu      sync.Mutex
	held    int
	opened  bool
	release chan struct{}
	arrived chan struct{}
}

func newGate(match func(r *http.Request, body string) bool) *gate {
	return &gate{match: match, release: make(chan struct{}), arrived: make(chan struct{}, 64)}
}

// serve starts a server that passes every request to next through the gate.
func (g *gate) serve(t *testing.T, next http.Handler) string {
	srv := httptest.NewServer(g.wrap(next))
	t.Cleanup(srv.Close)
	t.Cleanup(g.open) // runs first: nothing stays held when the test ends
	return srv.URL
}

// wrap passes every request to next through the gate.
func (g *gate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		text, _ := url.QueryUnescape(string(body))
		if !g.match(r, text) {
			next.ServeHTTP(w, r)
			return
		}
		if !g.after {
			g.hold()
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		g.hold()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func (g *gate) hold() {
	g.mu.Lock()
	if g.opened {
		g.mu.Unlock()
		return
	}
	g.held++
	if g.autoOpen > 0 && g.held >= g.autoOpen {
		g.opened = true
		close(g.release)
	}
	g.mu.Unlock()
	g.arrived <- struct{}{}
	<-g.release
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.opened {
		g.opened = true
		close(g.release)
	}
}

// wait blocks until n more requests reached the gate (a safety limit keeps
// a broken test from hanging; it is not a wait for time-based behaviour).
func (g *gate) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-g.arrived:
		case <-time.After(20 * time.Second):
			t.Fatalf("a request expected at the gate never came")
		}
	}
}

// pathHas matches requests of method whose path contains part.
func pathHas(method, part string) func(*http.Request, string) bool {
	return func(r *http.Request, _ string) bool {
		return r.Method == method && strings.Contains(r.URL.Path, part)
	}
}

// isLivePost matches the posts that say "is live".
func isLivePost(r *http.Request, body string) bool {
	return strings.HasSuffix(r.URL.Path, "chat.postMessage") && strings.Contains(body, "is live")
}

// background is work a test runs in another goroutine.
type background struct{ done chan struct{} }

// goAsync runs f in the background. The test's cleanup opens the gates and
// waits for it, so nothing outlives the test.
func goAsync(t *testing.T, f func(), gates ...*gate) *background {
	b := &background{done: make(chan struct{})}
	go func() {
		defer close(b.done)
		f()
	}()
	t.Cleanup(func() {
		for _, g := range gates {
			g.open()
		}
		<-b.done
	})
	return b
}

// wait blocks until the work is done (with a safety limit).
func (b *background) wait(t *testing.T) {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("background work did not finish")
	}
}

// pollAsync runs one poller pass of r in the background.
func (r *replica) pollAsync(gates ...*gate) *background {
	return goAsync(r.h.t, func() { _, _ = r.engine.PollOnce(context.Background()) }, gates...)
}
