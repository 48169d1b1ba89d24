package workflow

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// The tests here run in a synctest bubble: the engine's clock, its step
// timeouts and its poll ticker all follow the bubble's time, which moves on
// only while every goroutine waits.

// bubbleEngine is an engine of r on the bubble's clock (r's own engine and
// store follow r.clk).
func bubbleEngine(r *rig, sl Slack, p platform.Platform, tune ...func(*Config)) (*Engine, *state.Store) {
	cfg := r.cfg
	cfg.Now = time.Now
	for _, f := range tune {
		f(&cfg)
	}
	store := state.New(r.rdb, r.prefix, time.Now)
	return New(p, store, sl, cfg), store
}

// runEngine runs e.Run until the returned stop is called; stop waits for
// Run to return and says how long that took.
func runEngine(t *testing.T, e *Engine) (stop func() time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return func() time.Duration {
		start := time.Now()
		cancel()
		<-done
		return time.Since(start)
	}
}

// rateLimitedSlack is Slack rate-limiting the approval request (a post
// outside a thread) until a moment, as slackweb meets it: a wait that fits
// the call's deadline is waited out and the post then goes through; a longer
// one fails the call at once, with the wait in the error. It counts the
// approval requests tried.
type rateLimitedSlack struct {
	*fakeSlack
	until time.Time
	tries atomic.Int32
}

func (s *rateLimitedSlack) Post(ctx context.Context, channel, thread string, m render.Message) (string, error) {
	if thread == "" {
		s.tries.Add(1)
		if wait := time.Until(s.until); wait > 0 {
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
				return "", &slackerr.Error{Method: "chat.postMessage", Code: "ratelimited", Channel: channel, Kind: slackerr.Temporary, Err: errors.New("slack rate limit exceeded"), RetryAfter: wait}
			}
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(wait):
			}
		}
	}
	return s.fakeSlack.Post(ctx, channel, thread, m)
}

// TestRateLimitedApprovalRequest: Slack answering the approval request with
// Retry-After: 30 — longer than a step may take — makes the promotion due
// again when Slack takes calls again, not at the next poll: the request is
// tried once at the promote and once more after the wait, and goes out then,
// with no poll wasted on it and no step held for the wait.
func TestRateLimitedApprovalRequest(t *testing.T) {
	const retryAfter = 30 * time.Second
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, b)
			start := time.Now()
			sl := &rateLimitedSlack{fakeSlack: r.slack, until: start.Add(retryAfter)}
			eng, store := bubbleEngine(r, sl, r.plat)
			stop := runEngine(t, eng)
			p, err := eng.Promote(context.Background(), r.promoteReq(agentID))
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 0 {
				t.Errorf("the promote took %s with Slack rate-limiting it, want no wait", took)
			}
			at, owner, ok, err := store.Scheduled(context.Background(), state.PromotionItem(p.ID))
			if err != nil || !ok || owner != "" || !at.Equal(start.Add(retryAfter)) {
				t.Errorf("after the refused request the promotion is due %s, leased to %q (queued %v, err %v); want due %s, leased to nobody", at, owner, ok, err, start.Add(retryAfter))
			}
			for {
				cur, err := store.Promotion(context.Background(), p.ID)
				if err != nil {
					t.Fatal(err)
				}
				if cur.MessageTS != "" || time.Since(start) > 10*time.Minute {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			took := time.Since(start)
			t.Logf("approval request out %s after the promote", took)
			if limit := retryAfter + maxTick; took > limit {
				t.Errorf("the approval request went out %s after the promote, want within %s", took, limit)
			}
			if n := sl.tries.Load(); n != 2 {
				t.Errorf("the approval request was tried %d times, want 2 (refused, then after the wait)", n)
			}
			stop()
		})
	})
}

// stallingPlatform makes Refresh wait until its context ends, once stall is
// set, and says so on stalled.
type stallingPlatform struct {
	*fakePlatform
	stall   atomic.Bool
	stalled chan struct{}
}

func (p *stallingPlatform) Refresh(ctx context.Context, r platform.Release) (platform.Release, error) {
	if p.stall.Load() {
		select {
		case p.stalled <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return r, ctx.Err()
	}
	return p.fakePlatform.Refresh(ctx, r)
}

// TestShutdownCutsSteps: once Run's context ends, a step still running goes
// on for at most StopGrace, then is cut short and its item handed on (due
// soon, leased to nobody), so shutdown ends within its grace period.
func TestShutdownCutsSteps(t *testing.T) {
	const grace = 5 * time.Second
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, b)
			plat := &stallingPlatform{fakePlatform: r.plat, stalled: make(chan struct{}, 1)}
			eng, store := bubbleEngine(r, r.slack, plat, func(c *Config) { c.StopGrace = grace })
			p, err := eng.Promote(context.Background(), r.promoteReq(agentID))
			if err != nil {
				t.Fatal(err)
			}
			plat.stall.Store(true)
			if err := store.Poke(context.Background(), state.PromotionItem(p.ID)); err != nil {
				t.Fatal(err)
			}
			stop := runEngine(t, eng)
			<-plat.stalled
			if took := stop(); took > grace+storeTimeout {
				t.Errorf("Run returned %s after its context ended, want within %s", took, grace+storeTimeout)
			}
			at, owner, ok, err := store.Scheduled(context.Background(), state.PromotionItem(p.ID))
			if err != nil || !ok || owner != "" || at.After(time.Now().Add(5*r.cfg.PollInterval)) {
				t.Errorf("after shutdown the item is due %s, leased to %q (queued %v, err %v); want due soon, leased to nobody", at, owner, ok, err)
			}
		})
	})
}

// hangingRedis makes every command wait (an hour, or until its context
// ends) once armed: a Redis that stopped answering.
type hangingRedis struct{ armed atomic.Bool }

func (h *hangingRedis) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *hangingRedis) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.armed.Load() {
			select {
			case <-ctx.Done():
			case <-time.After(time.Hour):
			}
			cmd.SetErr(context.DeadlineExceeded)
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}
func (h *hangingRedis) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestGuardReleaseDeadline: giving a guard back to a Redis that does not
// answer ends within the bookkeeping deadline, whatever the caller's
// context; the next take of the guard here re-enters it.
func TestGuardReleaseDeadline(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		synctest.Test(t, func(t *testing.T) {
			r := newRig(t, b)
			hang := &hangingRedis{}
			r.rdb.AddHook(hang)
			release, err := r.eng.exclusive(context.Background(), "guard")
			if err != nil {
				t.Fatal(err)
			}
			hang.armed.Store(true)
			start := time.Now()
			release()
			if took := time.Since(start); took > storeTimeout {
				t.Errorf("release took %s, want within %s", took, storeTimeout)
			}
			hang.armed.Store(false)
			again, err := r.eng.exclusive(context.Background(), "guard")
			if err != nil {
				t.Fatalf("the guard a lost release left held is not re-entered: %v", err)
			}
			again()
			if h, _ := r.store.LockHolder(context.Background(), "guard"); h != "" {
				t.Errorf("guard still held by %q", h)
			}
		})
	})
}
