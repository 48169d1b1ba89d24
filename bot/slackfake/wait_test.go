package slackfake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// guard bounds how long a test waits for a goroutine that should already be
// done; it is a deadlock guard, not a wait for time-based behaviour.
const guard = 10 * time.Second

func TestWaitForWakesOnEachChange(t *testing.T) {
	e := newEnv(t)
	evals := make(chan int, 16)
	done := make(chan error, 1)
	n := 0
	go func() {
		done <- e.fake.WaitFor(context.Background(), func(st State) bool {
			n++
			evals <- n
			return st.CountText("is live") == 1
		})
	}()
	next := func() int {
		t.Helper()
		select {
		case v := <-evals:
			return v
		case <-time.After(guard):
			t.Fatal("WaitFor did not evaluate its predicate")
			return 0
		}
	}
	if got := next(); got != 1 {
		t.Fatalf("first evaluation #%d", got)
	}
	if _, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("approval requested", false)); err != nil {
		t.Fatal(err)
	}
	if got := next(); got != 2 {
		t.Fatalf("evaluation after a non-matching post #%d", got)
	}
	if _, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("web v4 is live", false)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(guard):
		t.Fatal("WaitFor did not return after the matching post")
	}
	// One evaluation up front and one per request: no timer-driven extras.
	if got := next(); got != 3 || len(evals) != 0 {
		t.Errorf("predicate evaluated %d times, want 3", got+len(evals))
	}
}

func TestWaitForContext(t *testing.T) {
	e := newEnv(t)
	never := func(State) bool { return false }
	tests := []struct {
		name string
		ctx  func() context.Context
		want error
	}{
		{name: "cancelled", want: context.Canceled, ctx: func() context.Context {
			c, cancel := context.WithCancel(context.Background())
			cancel()
			return c
		}},
		{name: "deadline passed", want: context.DeadlineExceeded, ctx: func() context.Context {
			c, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
			t.Cleanup(cancel)
			return c
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := e.fake.WaitFor(tc.ctx(), never); !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("already true returns at once", func(t *testing.T) {
		c, cancel := context.WithCancel(context.Background())
		cancel()
		if err := e.fake.WaitFor(c, func(State) bool { return true }); err != nil {
			t.Error(err)
		}
	})
	t.Run("cancel while waiting", func(t *testing.T) {
		c, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- e.fake.WaitFor(c, func(State) bool {
				select {
				case <-started:
				default:
					close(started)
				}
				return false
			})
		}()
		<-started
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v", err)
			}
		case <-time.After(guard):
			t.Fatal("WaitFor ignored cancellation")
		}
	})
}

func TestSubscribe(t *testing.T) {
	e := newEnv(t)
	events, cancel := e.fake.Subscribe()
	t.Cleanup(cancel)

	_, ts, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("a", false))
	_, _ = e.api.PostEphemeralContext(ctx(t), "C1", "U1", slack.MsgOptionText("b", false))
	_, _, _, _ = e.api.UpdateMessageContext(ctx(t), "C1", ts, slack.MsgOptionText("c", false))
	v, _ := e.api.OpenViewContext(ctx(t), "t", modal("Edit", section("x")))
	_, _ = e.api.PushViewContext(ctx(t), "t2", modal("More", section("x")))
	_, _ = e.api.UpdateViewContext(ctx(t), modal("Edit", section("y")), "", "", v.ID)
	_, _ = e.api.UploadFileContext(ctx(t), slack.UploadFileParameters{Content: "d", FileSize: 1, Filename: "d.txt", Channel: "C1"})
	_, _, _ = e.api.DeleteMessageContext(ctx(t), "C1", ts)

	want := []EventType{
		EventMessagePosted, EventEphemeralPosted, EventMessageUpdated, EventViewOpened,
		EventViewPushed, EventViewUpdated, EventFileShared, EventMessageDeleted,
	}
	for i, typ := range want {
		ev := <-events // every event is already buffered: the calls above returned
		if ev.Type != typ || ev.Seq != uint64(i+1) {
			t.Fatalf("event %d = %s #%d, want %s #%d", i, ev.Type, ev.Seq, typ, i+1)
		}
		set := 0
		for _, p := range []bool{ev.Message != nil, ev.View != nil, ev.File != nil} {
			if p {
				set++
			}
		}
		if set != 1 {
			t.Errorf("event %s carries %d objects", ev.Type, set)
		}
	}
	if len(events) != 0 {
		t.Errorf("%d unexpected extra events", len(events))
	}
	cancel()
	cancel() // idempotent
	if _, open := <-events; open {
		t.Error("channel still open after cancel")
	}
}

// A subscriber that never reads must not hold the fake up; it loses the
// events past its buffer and can tell from Seq.
func TestSlowSubscriberDropsEvents(t *testing.T) {
	e := newEnv(t)
	slow, cancelSlow := e.fake.Subscribe()
	t.Cleanup(cancelSlow)
	total := subscriberBuffer + 20
	for range total {
		if _, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false)); err != nil {
			t.Fatal(err)
		}
	}
	if len(slow) != subscriberBuffer {
		t.Fatalf("slow subscriber holds %d events, want %d", len(slow), subscriberBuffer)
	}
	for i := range subscriberBuffer {
		if ev := <-slow; ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d", i, ev.Seq)
		}
	}
	if _, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	if ev := <-slow; ev.Seq != uint64(total+1) {
		t.Errorf("next event Seq %d, want %d (a visible gap)", ev.Seq, total+1)
	}
}
