package slackfake

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/slack-go/slack"
)

// Many writers, readers, waiters and subscribers at once: run with -race.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t)
	const writers, posts = 16, 20
	total := writers * posts

	waitDone := make(chan error, 1)
	go func() {
		waitDone <- e.fake.WaitFor(context.Background(), func(st State) bool { return st.CountText("is live") == total })
	}()
	events, cancel := e.fake.Subscribe()
	t.Cleanup(cancel)
	readerDone := make(chan int)
	go func() {
		n := 0
		for range events {
			n++
		}
		readerDone <- n
	}()

	var wg sync.WaitGroup
	errs := make(chan error, writers*posts*2)
	for w := range writers {
		wg.Go(func() {
			for i := range posts {
				_, ts, err := e.api.PostMessageContext(ctx(t), fmt.Sprintf("C%d", w%4), slack.MsgOptionText(fmt.Sprintf("w%d-%d is live", w, i), false))
				if err != nil {
					errs <- err
					continue
				}
				if _, _, _, err := e.api.UpdateMessageContext(ctx(t), fmt.Sprintf("C%d", w%4), ts, slack.MsgOptionText("edited", false)); err != nil {
					errs <- err
				}
				_ = e.fake.Snapshot()
			}
		})
	}
	wg.Go(func() {
		for range posts {
			_ = e.fake.NewResponseURL()
			_ = e.fake.IssueTrigger("U1")
			_ = e.fake.Messages()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-waitDone; err != nil {
		t.Fatal(err)
	}
	cancel()
	if n := <-readerDone; n == 0 || n > 2*total {
		t.Errorf("reader saw %d events", n)
	}

	st := e.fake.Snapshot()
	seen := map[string]bool{}
	for _, m := range st.Messages {
		if seen[m.TS] {
			t.Fatalf("duplicate ts %s", m.TS)
		}
		seen[m.TS] = true
		if m.Edits != 1 || m.Text != "edited" {
			t.Errorf("message %s: %+v", m.TS, m)
		}
	}
	if len(st.Messages) != total || st.CountText("is live") != total {
		t.Errorf("%d messages, CountText %d; want %d", len(st.Messages), st.CountText("is live"), total)
	}
}
