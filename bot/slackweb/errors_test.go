package slackweb

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// Every failure says what it means for the caller, with Slack's code and
// the channel; the ones that cannot heal are not retried here.
func TestFailuresSayWhatTheyMean(t *testing.T) {
	tests := []struct {
		name      string
		arm       func(f *slackfake.Server)
		call      func(c *Client) error
		method    string
		code      string
		kind      slackerr.Kind
		permanent bool
	}{
		{name: "bot not in the channel", arm: func(f *slackfake.Server) { f.RemoveBot("C1") },
			code: "not_in_channel", kind: slackerr.NoChannel, permanent: true},
		{name: "channel archived", arm: func(f *slackfake.Server) { f.ArchiveChannel("C1") },
			code: "is_archived", kind: slackerr.NoChannel, permanent: true},
		{name: "channel deleted", arm: func(f *slackfake.Server) { f.DeleteChannel("C1") },
			code: "channel_not_found", kind: slackerr.NoChannel, permanent: true},
		{name: "token revoked", arm: func(f *slackfake.Server) { f.FailNext(slackfake.AnyMethod, 1, "token_revoked") },
			code: "token_revoked", kind: slackerr.NoAccess, permanent: true},
		{name: "scope missing", arm: func(f *slackfake.Server) { f.FailNext(slackfake.AnyMethod, 1, "missing_scope") },
			code: "missing_scope", kind: slackerr.NoAccess, permanent: true},
		{name: "message deleted", call: func(c *Client) error {
			return c.Update(context.Background(), "C1", "1700000000.000001", render.Note("x"))
		}, method: "chat.update", code: "message_not_found", kind: slackerr.NoMessage, permanent: true},
		{name: "Slack's own error", arm: func(f *slackfake.Server) { f.FailNext(slackfake.AnyMethod, 1, "internal_error") },
			code: "internal_error", kind: slackerr.Unclear},
		{name: "500 after the post", arm: func(f *slackfake.Server) { f.FailAfterNext(slackfake.AnyMethod, 1, http.StatusInternalServerError) },
			kind: slackerr.Unclear},
		{name: "rate limited throughout", arm: func(f *slackfake.Server) { f.RateLimitNext(slackfake.AnyMethod, 10, time.Second) },
			code: "ratelimited", kind: slackerr.Temporary},
		{name: "unknown error", arm: func(f *slackfake.Server) { f.FailNext(slackfake.AnyMethod, 1, "something_new") },
			code: "something_new", kind: slackerr.Temporary},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, c, _ := newFake(t)
			if tt.arm != nil {
				tt.arm(fake)
			}
			call := tt.call
			if call == nil {
				call = func(c *Client) error {
					_, err := c.Post(context.Background(), "C1", "", render.Note("hello"))
					return err
				}
			}
			method := tt.method
			if method == "" {
				method = "chat.postMessage"
			}
			err := call(c)
			var se *slackerr.Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want a *slackerr.Error", err, err)
			}
			if se.Code != tt.code || se.Kind != tt.kind || se.Permanent() != tt.permanent || se.Channel != "C1" || se.Method != method {
				t.Errorf("got %s %q %s permanent=%v channel %q, want %s %q %s permanent=%v channel C1",
					se.Method, se.Code, se.Kind, se.Permanent(), se.Channel, method, tt.code, tt.kind, tt.permanent)
			}
			if n := len(fake.Snapshot().CallsTo(method)); tt.permanent && n != 1 {
				t.Errorf("%d calls of %s, want 1: a permanent failure is not retried", n, method)
			}
		})
	}
}

// A tagged post whose answer was lost — Slack ran the post, then answered
// 500, or answered only after the client gave up — is found in the channel's
// history by its metadata; another key, or the same key of another event, is
// not.
func TestLostTaggedPostIsFound(t *testing.T) {
	tests := []struct {
		name string
		arm  func(f *slackfake.Server)
		// giveUp ends the request once the post is in, as the client's
		// timeout would.
		giveUp bool
	}{
		{name: "500 after the post", arm: func(f *slackfake.Server) { f.FailAfterNext("chat.postMessage", 1, http.StatusInternalServerError) }},
		{name: "answer after the client's timeout", arm: func(f *slackfake.Server) { f.HoldNext("chat.postMessage", 1) }, giveUp: true},
	}
	tags := []struct {
		tag, other render.Tag
		text       string
	}{
		{render.Tag{Event: render.TagLive, Key: "announce:a1:v4"}, render.Tag{Event: render.TagRequest, Key: "announce:a1:v4"}, "Agent v4 is live"},
		{render.Tag{Event: render.TagRequest, Key: "pr_1"}, render.Tag{Event: render.TagLive, Key: "pr_1"}, "Approval needed: Agent v4"},
	}
	for _, tt := range tests {
		for _, tg := range tags {
			t.Run(tt.name+"/"+tg.tag.Event, func(t *testing.T) {
				fake, c, _ := newFake(t)
				since := time.Now()
				if _, err := c.Post(context.Background(), "C1", "", render.Note("chatter")); err != nil {
					t.Fatal(err)
				}
				if ts, err := c.FindTagged(context.Background(), "C1", tg.tag, since); err != nil || ts != "" {
					t.Fatalf("before the post: found %q, %v", ts, err)
				}
				tt.arm(fake)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.giveUp {
					go func() {
						_ = fake.WaitFor(ctx, func(st slackfake.State) bool { return st.CountText(tg.text) == 1 })
						cancel()
					}()
				}
				m := render.Note(tg.text)
				m.Tag = &tg.tag
				_, err := c.Post(ctx, "C1", "", m)
				if !slackerr.Is(err, slackerr.Unclear) {
					t.Fatalf("Post = %v, want an unclear failure", err)
				}
				posted := fake.ChannelMessages("C1")[1]
				ts, err := c.FindTagged(context.Background(), "C1", tg.tag, since)
				if err != nil || ts != posted.TS {
					t.Fatalf("FindTagged = %q, %v; want %q", ts, err, posted.TS)
				}
				another := tg.tag
				another.Key += "-other"
				for _, miss := range []render.Tag{another, tg.other} {
					if ts, _ := c.FindTagged(context.Background(), "C1", miss, since); ts != "" {
						t.Errorf("%+v found %q", miss, ts)
					}
				}
				calls := fake.Snapshot().CallsTo("conversations.history")
				if f := calls[len(calls)-1].Form; f.Get("include_all_metadata") != "1" || f.Get("oldest") == "" {
					t.Errorf("history asked without metadata or a start: %v", f)
				}
			})
		}
	}
}

// FindTagged reads past the first page of a busy channel.
func TestFindTaggedPages(t *testing.T) {
	fake, c, _ := newFake(t)
	since := time.Now()
	m := render.Note("v4 is live")
	m.Tag = &render.Tag{Event: render.TagLive, Key: "k4"}
	if _, err := c.Post(context.Background(), "C1", "", m); err != nil {
		t.Fatal(err)
	}
	for range historyPage + 5 {
		if _, err := c.Post(context.Background(), "C1", "", render.Note("chatter")); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := c.FindTagged(context.Background(), "C1", *m.Tag, since)
	if err != nil || ts != fake.ChannelMessages("C1")[0].TS {
		t.Fatalf("FindTagged = %q, %v", ts, err)
	}
}
