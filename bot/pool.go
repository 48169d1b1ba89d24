package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Pool runs the slow part of Slack requests after they were acknowledged, on
// a bounded number of workers with a bounded queue. When both are full,
// Submit refuses at once, so the ack stays fast and the user is told to retry.
type Pool struct {
	jobs    chan func(context.Context)
	notices chan struct{} // a slot per notice running
	timeout time.Duration
	log     *slog.Logger
	base    context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.RWMutex
	closed  bool
	active  int // queued + running jobs (guarded by idleMu)
	idleMu  sync.Mutex
	waiters []chan struct{} // closed when active drops to zero
}

// PoolOption tunes a Pool.
type PoolOption func(*Pool)

// PoolLogger logs jobs that panic (the worker survives; the job is lost).
func PoolLogger(l *slog.Logger) PoolOption { return func(p *Pool) { p.log = l } }

// Notices: how many "busy, try again" notices may be on their way at once
// when the pool is full, and how long each may take.
const (
	maxNotices    = 8
	noticeTimeout = 10 * time.Second
)

// NewPool starts workers that run jobs, each with its own timeout.
func NewPool(workers, queue int, timeout time.Duration, opts ...PoolOption) *Pool {
	base, cancel := context.WithCancel(context.Background())
	p := &Pool{jobs: make(chan func(context.Context), queue), notices: make(chan struct{}, maxNotices),
		timeout: timeout, base: base, cancel: cancel, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(p)
	}
	for range workers {
		p.wg.Go(p.work)
	}
	return p
}

func (p *Pool) work() {
	for job := range p.jobs {
		p.run(job)
		p.done()
	}
}

// run runs one job; a panic in it is logged instead of ending the process.
func (p *Pool) run(job func(context.Context)) { p.runFor(p.timeout, job) }

func (p *Pool) runFor(timeout time.Duration, job func(context.Context)) {
	ctx, cancel := context.WithTimeout(p.base, timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("job panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	job(ctx)
}

func (p *Pool) done() {
	p.idleMu.Lock()
	defer p.idleMu.Unlock()
	p.active--
	if p.active == 0 {
		for _, w := range p.waiters {
			close(w)
		}
		p.waiters = nil
	}
}

// Drain waits until no job is queued or running (tests and shutdown use it).
func (p *Pool) Drain(ctx context.Context) error {
	p.idleMu.Lock()
	if p.active == 0 {
		p.idleMu.Unlock()
		return nil
	}
	w := make(chan struct{})
	p.waiters = append(p.waiters, w)
	p.idleMu.Unlock()
	select {
	case <-w:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Submit queues job; false when the pool is full or shut down.
func (p *Pool) Submit(job func(context.Context)) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	p.idleMu.Lock()
	p.active++
	p.idleMu.Unlock()
	select {
	case p.jobs <- job:
		return true
	default:
		p.done()
		return false
	}
}

// Notice runs job, a short message telling a user the pool is full, beside
// the workers: at most a few at once, each with a short timeout, waited for
// by Drain and Shutdown and cancelled at the shutdown deadline like any job.
// False when too many are on their way already or the pool is shut down.
func (p *Pool) Notice(job func(context.Context)) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return false
	}
	select {
	case p.notices <- struct{}{}:
	default:
		return false
	}
	p.idleMu.Lock()
	p.active++
	p.idleMu.Unlock()
	// Added under the read lock: Shutdown's Wait starts after closed is set.
	p.wg.Go(func() {
		defer func() { <-p.notices; p.done() }()
		p.runFor(noticeTimeout, job)
	})
	return true
}

// Depth is the number of queued jobs not yet started.
func (p *Pool) Depth() int { return len(p.jobs) }

// Shutdown stops accepting jobs and waits for queued and running jobs until
// ctx ends; then running jobs are cancelled and Shutdown returns.
func (p *Pool) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		// Jobs still running are cancelled and not waited for: the grace
		// period bounds the shutdown even when a job ignores its context.
		p.cancel()
		return errors.Join(errors.New("pool: jobs cancelled at shutdown deadline"), ctx.Err())
	}
}
