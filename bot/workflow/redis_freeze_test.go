package workflow

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// redisFreeze makes a client behave as if its Redis stopped answering: while
// frozen every command fails with a timeout. With queue set the commands
// still reach Redis and run when it comes back (a paused server works off
// its socket buffers); without, they are lost.
type redisFreeze struct {
	t      *testing.T
	mu     sync.Mutex
	frozen bool
	queue  bool
	held   []func() error
}

func freezable(t *testing.T, rdb redis.UniversalClient, queue bool) *redisFreeze {
	f := &redisFreeze{t: t, queue: queue}
	rdb.AddHook(f)
	return f
}

func (f *redisFreeze) freeze() { f.mu.Lock(); f.frozen = true; f.mu.Unlock() }

// thaw ends the freeze; queued commands run first, in order.
func (f *redisFreeze) thaw() {
	f.mu.Lock()
	held := f.held
	f.held, f.frozen = nil, false
	f.mu.Unlock()
	for _, run := range held {
		if err := run(); err != nil && err != redis.Nil {
			f.t.Errorf("a command held during the freeze failed when it ran: %v", err)
		}
	}
}

// hold reports whether the call is frozen, keeping run for the thaw.
func (f *redisFreeze) hold(run func() error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.frozen {
		return false
	}
	if f.queue {
		f.held = append(f.held, run)
	}
	return true
}

func clone(cmd redis.Cmder) redis.Cmder { return redis.NewCmd(context.Background(), cmd.Args()...) }

func (f *redisFreeze) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *redisFreeze) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c := clone(cmd)
		if f.hold(func() error { return next(context.Background(), c) }) {
			cmd.SetErr(context.DeadlineExceeded)
			return cmd.Err()
		}
		return next(ctx, cmd)
	}
}

func (f *redisFreeze) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		cs := make([]redis.Cmder, len(cmds))
		for i, c := range cmds {
			cs[i] = clone(c)
		}
		if f.hold(func() error { return next(context.Background(), cs) }) {
			for _, c := range cmds {
				c.SetErr(context.DeadlineExceeded)
			}
			return context.DeadlineExceeded
		}
		return next(ctx, cmds)
	}
}

// TestRedisFreeze: when Redis stops answering for a while — the commands
// sent meanwhile either run when it comes back or are lost — nothing stays
// leased or locked to a replica that does not know it: the promotion goes on
// within a poll of Redis coming back (plus the step's own wait), not when a
// lease or a guard lapses minutes later.
func TestRedisFreeze(t *testing.T) {
	tests := []struct {
		name string
		// during sets the freeze off: before the poll, or in the middle of
		// a step (at a call to the platform).
		during string
		after  time.Duration // when the promotion goes on after the thaw
		want   state.PromotionState
	}{
		{"claim", "", time.Second, state.Live},
		{"a step and its reschedule", "Refresh", time.Second, state.Live},
		{"publishing (under its guard)", "Publish", ambiguousRetry, state.Published},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, queued := range []bool{true, false} {
			for _, tt := range tests {
				name := tt.name + "/commands lost"
				if queued {
					name = tt.name + "/commands run on return"
				}
				t.Run(name, func(t *testing.T) {
					r := newRig(t, b)
					fz := freezable(t, r.rdb, queued)
					var p state.Promotion
					if tt.during == "Publish" {
						r.plat.onCall("Publish", fz.freeze)
						p, _ = r.eng.Promote(r.ctx, r.promoteReq(agentID))
						r.plat.onCall("Publish", nil)
					} else {
						p = r.published()
						r.advance(r.plat.checkAfter) // the check passed; approval awaited
						r.approve(p, bob)            // due now
						if tt.during == "" {
							fz.freeze()
						} else {
							r.plat.onCall(tt.during, fz.freeze)
						}
						r.clk.Advance(r.cfg.PollInterval)
						_, _ = r.eng.PollOnce(r.ctx) // fails: Redis does not answer
						r.plat.onCall(tt.during, nil)
					}
					r.clk.Advance(15 * time.Second) // the freeze
					fz.thaw()

					r.advance(tt.after)
					np := r.wantState(p.ID, tt.want)
					switch tt.want {
					case state.Live:
						r.wantAnnounced(1, agentName)
					case state.Published:
						if np.MessageTS == "" {
							t.Error("published, but the approval request is not out")
						}
						if _, n, _, _, _ := r.plat.snapshot(); n != 1 {
							t.Errorf("%d publishes, want 1", n)
						}
					}
				})
			}
		}
	})
}
