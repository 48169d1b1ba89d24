package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
)

// TestBusyNoticeIsTrackedWork: a click refused because the pool is full is
// told so by a notice the pool tracks, so draining (and shutting down) waits
// for it instead of leaving a goroutine of its own behind.
func TestBusyNoticeIsTrackedWork(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range []struct{ name, actionID, value, want string }{
			{"approve", render.ActionApprove, "p_1|v_1", "did not record your click"},
			{"call me", render.ActionCall, "x", "did not place the call"},
			{"reopen as a draft", render.ActionReopen, "p_1|v_1", "did not open the form"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, b)
				r, metrics := h.withPool(0, 0)
				if rec := r.click(bob, "1.2", tc.actionID, tc.value); rec.Code != 200 || rec.Body.Len() != 0 {
					t.Fatalf("ack = %d %s", rec.Code, rec.Body)
				}
				if err := r.pool.Drain(context.Background()); err != nil {
					t.Fatal(err)
				}
				msgs := h.ephemeralTo(bob)
				if len(msgs) != 1 || !strings.Contains(msgs[0], tc.want) {
					t.Errorf("after draining, bob was told %q, want one notice saying %q", msgs, tc.want)
				}
				if metrics.rejected != 1 {
					t.Errorf("rejections counted: %d", metrics.rejected)
				}
			})
		}
	})
}

func TestPoolNotices(t *testing.T) {
	t.Run("bounded in number and time", func(t *testing.T) {
		p := NewPool(0, 0, time.Hour)
		release := make(chan struct{})
		t.Cleanup(func() { close(release); _ = p.Shutdown(context.Background()) })
		deadlines := make(chan time.Duration, maxNotices)
		for i := range maxNotices + 1 {
			ok := p.Notice(func(ctx context.Context) {
				d, _ := ctx.Deadline()
				deadlines <- time.Until(d)
				<-release
			})
			if want := i < maxNotices; ok != want {
				t.Fatalf("notice %d taken = %t, want %t", i+1, ok, want)
			}
		}
		for range maxNotices {
			if d := <-deadlines; d <= 0 || d > noticeTimeout {
				t.Errorf("a notice runs with %v left, want at most %v", d, noticeTimeout)
			}
		}
	})
	t.Run("shutdown cancels them and returns at its deadline", func(t *testing.T) {
		p := NewPool(1, 1, time.Hour)
		stuck := make(chan struct{})
		t.Cleanup(func() { close(stuck) })
		cancelled := make(chan struct{})
		running := make(chan struct{}, 2)
		if !p.Notice(func(ctx context.Context) { running <- struct{}{}; <-ctx.Done(); close(cancelled) }) ||
			!p.Submit(func(context.Context) { running <- struct{}{}; <-stuck }) { // ignores its context
			t.Fatal("refused")
		}
		<-running
		<-running
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // the grace period is over
		returned := make(chan error, 1)
		go func() { returned <- p.Shutdown(ctx) }()
		select {
		case err := <-returned:
			if err == nil {
				t.Error("shutdown past its deadline reported success")
			}
		case <-time.After(10 * time.Second): // a safety net; it returns at once
			t.Fatal("shutdown waits for a job that ignores its context")
		}
		<-cancelled
		if p.Notice(func(context.Context) {}) {
			t.Error("a shut-down pool took a notice")
		}
	})
}
