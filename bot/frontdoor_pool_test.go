package bot

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// withPool is a replica like the harness's, but on a pool of the given size,
// and a server that does not wait for the pool (a blocked job would stall it).
func (h *harness) withPool(workers, queue int) (*replica, *metricsRecorder) {
	t := h.t
	store := state.New(h.rdb, h.prefix, h.clock.Now)
	ac, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, RPS: 100000, Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	sc := slackweb.New(slackweb.Options{Token: testToken, APIURL: h.slackURL + "/", Sleep: noSleep})
	plat := h.platformOf(ac, h.clock.Now)
	eng := workflow.New(plat, store, sc, workflow.Config{Policy: h.cfg.policy, Now: h.clock.Now, Owner: "pool", RPS: 100000})
	pool := NewPool(workers, queue, time.Minute)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = pool.Shutdown(ctx)
	})
	m := newMetricsRecorder()
	handler := NewHandler(plat, store, sc, eng, pool, Config{Now: h.clock.Now, Metrics: m})
	srv := NewServer(handler, ServerOptions{Verifier: NewVerifier(testSecret, h.clock.Now), Now: h.clock.Now})
	return &replica{h: h, store: store, engine: eng, pool: pool, handler: handler, server: srv}, m
}

// serve posts a signed request without waiting for queued work.
func (r *replica) serve(path, body string) (*httptest.ResponseRecorder, time.Duration) {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.h.sign(req, body)
	rec := httptest.NewRecorder()
	start := time.Now()
	r.server.ServeHTTP(rec, req)
	return rec, time.Since(start)
}

// fastAck bounds an ack's wall time loosely: the point is that it does not
// wait for the blocked work, which takes until the test releases it.
const fastAck = 2 * time.Second

func TestPoolFullUserIsToldToRetry(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, size := range []struct {
			name           string
			workers, queue int
			blockers       int // jobs that fill the pool
		}{
			{"no workers, no queue", 0, 0, 0},
			{"one worker, busy", 1, 0, 1},
			{"one worker and a full queue", 1, 1, 2},
		} {
			t.Run(size.name, func(t *testing.T) {
				h := newHarness(t, b)
				r, metrics := h.withPool(size.workers, size.queue)
				release := make(chan struct{})
				fillPool(t, r.pool, size.workers, size.blockers, release)
				t.Cleanup(func() {
					select {
					case <-release:
					default:
						close(release)
					}
				})
				before := h.effects()
				rec, took := r.serve("/slack/commands", h.commandBody(alice, "status support-concierge"))
				if took > fastAck {
					t.Errorf("the ack took %v with a full pool", took)
				}
				var ack struct {
					ResponseType string `json:"response_type"`
					Text         string `json:"text"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &ack); err != nil || ack.ResponseType != "ephemeral" ||
					!strings.Contains(ack.Text, "busy") || !strings.Contains(ack.Text, "try again") || !strings.Contains(ack.Text, "did nothing") {
					t.Fatalf("ack = %d %s", rec.Code, rec.Body)
				}
				h.assertNoEffect(before)
				if metrics.rejected != 1 {
					t.Errorf("rejections counted: %d", metrics.rejected)
				}
				// help needs no worker: still answered in full.
				rec, _ = r.serve("/slack/commands", h.commandBody(alice, "help"))
				if !strings.Contains(rec.Body.String(), "/atoms promote") {
					t.Errorf("help with a full pool = %s", rec.Body)
				}
				if size.blockers == 0 {
					return
				}
				// Once the work drains, the same command runs.
				close(release)
				if err := r.pool.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
				// A pool without a queue hands a job to a worker that is back
				// waiting: the worker that just finished may take a moment
				// to get there.
				for range 1000 {
					if rec, _ = r.serve("/slack/commands", h.commandBody(alice, "status support-concierge")); rec.Body.Len() == 0 || size.queue > 0 {
						break
					}
					runtime.Gosched()
				}
				if rec.Body.Len() != 0 {
					t.Fatalf("ack after the pool freed up = %s", rec.Body)
				}
				if err := r.pool.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
				if got := h.lastEphemeral(alice); !strings.Contains(got, "*support-concierge*") {
					t.Errorf("status after the pool freed up = %q", got)
				}
			})
		}
	})
}

// TestPoolFullEditSubmission: a form submitted while the pool is full stays
// open with an error under an input that exists, and nothing is saved.
func TestPoolFullEditSubmission(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		f := h.openEdit(alice, "support-concierge")
		r, _ := h.withPool(0, 0)
		h.bot = r // submit through the replica whose pool is full
		rec := h.submit(alice, f, map[string]string{"firstMessage": "while busy"})
		var body struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ResponseAction != "errors" {
			t.Fatalf("ack = %s", rec.Body)
		}
		for k, msg := range body.Errors {
			if !strings.Contains(msg, "busy") || !strings.Contains(msg, "nothing was saved") {
				t.Errorf("error %q", msg)
			}
			if !slices.Contains(f.blockIDs, k) {
				t.Errorf("error keyed by %q, not an input of the form %v", k, f.blockIDs)
			}
		}
		if len(h.patches()) != 0 || h.sim.CountCalls("POST", "/agent/*/drafts") != 0 {
			t.Errorf("saved while busy")
		}
	})
}

// fill submits n jobs that block until release: the first workers of them
// are running (taken by the workers) before the rest are queued, so the pool
// is exactly full when fill returns.
func fillPool(t *testing.T, p *Pool, workers, n int, release chan struct{}) {
	t.Helper()
	var started atomic.Int32
	for i := range n {
		// An idle worker may not be receiving yet (a queue of 0 hands jobs
		// over only to a waiting worker): offer until one takes it.
		for tries := 0; !p.Submit(func(context.Context) { started.Add(1); <-release }); tries++ {
			if tries > 1e6 {
				t.Fatal("the pool takes no job")
			}
			runtime.Gosched()
		}
		for i < workers && started.Load() < int32(i+1) {
			runtime.Gosched()
		}
	}
}

func TestPoolLifecycle(t *testing.T) {
	t.Run("jobs run with a deadline", func(t *testing.T) {
		p := NewPool(1, 1, time.Hour)
		t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
		got := make(chan bool, 1)
		if !p.Submit(func(ctx context.Context) { _, ok := ctx.Deadline(); got <- ok }) {
			t.Fatal("refused")
		}
		if !<-got {
			t.Error("job context has no deadline")
		}
	})
	t.Run("drain waits for queued and running jobs", func(t *testing.T) {
		p := NewPool(1, 4, time.Hour)
		t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
		var n atomic.Int32
		for range 4 {
			p.Submit(func(context.Context) { n.Add(1) })
		}
		if err := p.Drain(context.Background()); err != nil || n.Load() != 4 {
			t.Fatalf("drain: %v, %d jobs ran", err, n.Load())
		}
		if p.Depth() != 0 {
			t.Errorf("depth %d", p.Depth())
		}
	})
	t.Run("drain gives up with its context", func(t *testing.T) {
		p := NewPool(0, 1, time.Hour)
		p.Submit(func(context.Context) {})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := p.Drain(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("drain = %v", err)
		}
		if p.Depth() != 1 {
			t.Errorf("depth %d", p.Depth())
		}
	})
	t.Run("shutdown refuses new jobs and cancels stragglers at the deadline", func(t *testing.T) {
		p := NewPool(1, 1, time.Hour)
		running := make(chan struct{})
		cancelled := make(chan struct{})
		if !p.Submit(func(ctx context.Context) { close(running); <-ctx.Done(); close(cancelled) }) {
			t.Fatal("refused")
		}
		<-running
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the deadline has passed
		if err := p.Shutdown(ctx); err == nil {
			t.Error("shutdown past its deadline reported success")
		}
		<-cancelled
		if p.Submit(func(context.Context) {}) {
			t.Error("a closed pool took a job")
		}
		if err := p.Shutdown(context.Background()); err != nil {
			t.Errorf("second shutdown: %v", err)
		}
	})
}

// A job that panics is logged and the worker goes on with the next job.
func TestPoolSurvivesPanickingJob(t *testing.T) {
	var logs strings.Builder
	p := NewPool(1, 4, time.Minute, PoolLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	ran := make(chan struct{})
	if !p.Submit(func(context.Context) { panic("boom") }) || !p.Submit(func(context.Context) { close(ran) }) {
		t.Fatal("submit refused")
	}
	<-ran
	if err := p.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "boom") {
		t.Errorf("panic not logged: %q", logs.String())
	}
}
