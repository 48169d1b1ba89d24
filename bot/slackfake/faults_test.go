package slackfake

import (
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestRateLimitNext(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name       string
		retryAfter time.Duration
		wantWait   time.Duration
	}{
		{name: "whole seconds", retryAfter: 2 * time.Second, wantWait: 2 * time.Second},
		{name: "rounded up", retryAfter: 1500 * time.Millisecond, wantWait: 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.fake.RateLimitNext("chat.update", 1, tc.retryAfter)
			_, ts, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
			if err != nil {
				t.Fatalf("other methods are not limited: %v", err)
			}
			_, _, _, err = e.api.UpdateMessageContext(ctx(t), "C1", ts, slack.MsgOptionText("y", false))
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) || rl.RetryAfter != tc.wantWait {
				t.Fatalf("err = %v, want RateLimitedError after %s", err, tc.wantWait)
			}
			if m, _ := e.fake.Snapshot().Find("C1", ts); m.Text != "x" {
				t.Error("a rate-limited update was applied")
			}
			if _, _, _, err := e.api.UpdateMessageContext(ctx(t), "C1", ts, slack.MsgOptionText("y", false)); err != nil {
				t.Errorf("the fault outlived its count: %v", err)
			}
		})
	}
	calls := e.fake.Snapshot().CallsTo("chat.update")
	if calls[0].Status != 429 || calls[0].Error != "ratelimited" || calls[1].Status != 200 {
		t.Errorf("calls = %+v", calls)
	}
}

func TestFailNext(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		n       int
		calls   int
		wantErr []string // per call, "" for success
	}{
		{name: "one failure", method: "chat.postMessage", n: 1, calls: 2, wantErr: []string{"channel_not_found", ""}},
		{name: "three failures", method: "chat.postMessage", n: 3, calls: 4, wantErr: []string{"channel_not_found", "channel_not_found", "channel_not_found", ""}},
		{name: "any method", method: AnyMethod, n: 1, calls: 2, wantErr: []string{"channel_not_found", ""}},
		{name: "other method untouched", method: "views.open", n: 1, calls: 1, wantErr: []string{""}},
		{name: "zero is nothing", method: "chat.postMessage", n: 0, calls: 1, wantErr: []string{""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.fake.FailNext(tc.method, tc.n, "channel_not_found")
			for i := range tc.calls {
				_, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
				if tc.wantErr[i] == "" {
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					continue
				}
				slackErr(t, err, tc.wantErr[i])
			}
			if got, want := len(e.fake.ChannelMessages("C1")), tc.calls-countNonEmpty(tc.wantErr); got != want {
				t.Errorf("%d messages posted, want %d", got, want)
			}
		})
	}
}

func countNonEmpty(ss []string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}

// Faults are used after the token check, so a bad-token call leaves them.
func TestFaultsAfterAuth(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNext("chat.postMessage", 1, "fatal_error")
	_, _, err := e.client("xoxb-wrong").PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
	slackErr(t, err, "invalid_auth")
	_, _, err = e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
	slackErr(t, err, "fatal_error")
}
