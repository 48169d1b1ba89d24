package slackfake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// A channel the bot is not in (or that is archived or gone) refuses what
// Slack refuses there, while response URLs keep working without membership.
func TestChannelTheBotCannotUse(t *testing.T) {
	tests := []struct {
		name     string
		set      func(*Server, string)
		write    string // error of posts and edits
		read     string // error of conversations.history ("" = readable)
		restored bool
	}{
		{name: "not a member", set: (*Server).RemoveBot, write: "not_in_channel", read: "not_in_channel"},
		{name: "archived", set: (*Server).ArchiveChannel, write: "is_archived", read: ""},
		{name: "deleted", set: (*Server).DeleteChannel, write: "channel_not_found", read: "channel_not_found"},
		{name: "invited again", set: func(s *Server, c string) { s.RemoveBot(c); s.AddBot(c) }, restored: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, ts, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("before", false))
			if err != nil {
				t.Fatal(err)
			}
			tt.set(e.fake, "C1")
			_, _, perr := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
			_, _, _, uerr := e.api.UpdateMessageContext(ctx(t), "C1", ts, slack.MsgOptionText("y", false))
			_, herr := e.api.GetConversationHistoryContext(ctx(t), &slack.GetConversationHistoryParameters{ChannelID: "C1"})
			if tt.restored {
				if perr != nil || uerr != nil || herr != nil {
					t.Fatalf("after AddBot: post %v, update %v, history %v", perr, uerr, herr)
				}
				return
			}
			slackErr(t, perr, tt.write)
			slackErr(t, uerr, tt.write)
			if tt.read == "" {
				if herr != nil {
					t.Errorf("history: %v", herr)
				}
			} else {
				slackErr(t, herr, tt.read)
			}
			if _, _, err := e.api.PostMessageContext(ctx(t), "C2", slack.MsgOptionText("x", false)); err != nil {
				t.Errorf("another channel: %v", err)
			}
			u := e.fake.NewResponseURLFor(ResponseTarget{Channel: "C1", User: "U1"})
			if err := slack.PostWebhookContext(ctx(t), u, &slack.WebhookMessage{Text: "via response_url"}); err != nil {
				t.Errorf("response_url in the channel: %v", err)
			}
			if n := e.fake.Snapshot().CountText("x"); n != 1 {
				t.Errorf("%d posts of x, want only the one in C2", n)
			}
		})
	}
}

// conversations.history lists top-level messages newest first, with their
// metadata only when asked for, in pages, between oldest and latest.
func TestConversationsHistory(t *testing.T) {
	e := newEnv(t)
	var ts []string
	for i := range 5 {
		opts := []slack.MsgOption{slack.MsgOptionText(fmt.Sprintf("m%d", i), false)}
		if i == 3 {
			opts = append(opts, slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "atomsbot_live", EventPayload: map[string]any{"activation": "k1"}}))
		}
		_, t1, err := e.api.PostMessageContext(ctx(t), "C1", opts...)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, t1)
		e.clock.Advance(time.Second)
	}
	// Not listed: a thread reply, another channel, an ephemeral, a deleted message.
	_, _, _ = e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts[0]))
	_, _, _ = e.api.PostMessageContext(ctx(t), "C2", slack.MsgOptionText("elsewhere", false))
	_, _ = e.api.PostEphemeralContext(ctx(t), "C1", "U1", slack.MsgOptionText("eph", false))
	_, gone, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("gone", false))
	_, _, _ = e.api.DeleteMessageContext(ctx(t), "C1", gone)

	texts := func(ms []slack.Message) (out []string) {
		for _, m := range ms {
			out = append(out, m.Text)
		}
		return out
	}
	tests := []struct {
		name     string
		params   slack.GetConversationHistoryParameters
		want     string
		wantMeta bool
	}{
		{name: "all", params: slack.GetConversationHistoryParameters{}, want: "[m4 m3 m2 m1 m0]"},
		{name: "with metadata", params: slack.GetConversationHistoryParameters{IncludeAllMetadata: true}, want: "[m4 m3 m2 m1 m0]", wantMeta: true},
		{name: "since m2, inclusive", params: slack.GetConversationHistoryParameters{Oldest: ts[2], Inclusive: true}, want: "[m4 m3 m2]"},
		{name: "since m2", params: slack.GetConversationHistoryParameters{Oldest: ts[2]}, want: "[m4 m3]"},
		{name: "until m1", params: slack.GetConversationHistoryParameters{Latest: ts[1], Inclusive: true}, want: "[m1 m0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.params
			p.ChannelID = "C1"
			resp, err := e.api.GetConversationHistoryContext(ctx(t), &p)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(texts(resp.Messages)); got != tt.want {
				t.Fatalf("messages %s, want %s", got, tt.want)
			}
			for _, m := range resp.Messages {
				hasMeta := m.Metadata.EventType != ""
				if want := tt.wantMeta && m.Text == "m3"; hasMeta != want {
					t.Errorf("%s: metadata %+v, want it %v", m.Text, m.Metadata, want)
				}
				if hasMeta && m.Metadata.EventPayload["activation"] != "k1" {
					t.Errorf("payload %v", m.Metadata.EventPayload)
				}
			}
		})
	}
	t.Run("pages", func(t *testing.T) {
		p := slack.GetConversationHistoryParameters{ChannelID: "C1", Limit: 2}
		var all []string
		for range 5 {
			resp, err := e.api.GetConversationHistoryContext(ctx(t), &p)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, texts(resp.Messages)...)
			if !resp.HasMore {
				break
			}
			p.Cursor = resp.ResponseMetaData.NextCursor
		}
		if got := fmt.Sprint(all); got != "[m4 m3 m2 m1 m0]" {
			t.Fatalf("paged: %s", got)
		}
	})
}

// Metadata that is not an object with event_type and event_payload is
// refused, and the message not posted.
func TestPostMetadataChecked(t *testing.T) {
	e := newEnv(t)
	_, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false), slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "atomsbot_live"}))
	slackErr(t, err, "invalid_metadata_format")
	if n := len(e.fake.Messages()); n != 0 {
		t.Fatalf("%d messages posted", n)
	}
}

// FailAfterNext and HoldNext carry the call out and lose its answer: a 500,
// or none before the client gives up.
func TestFaultsAfterTheCallRan(t *testing.T) {
	tests := []struct {
		name       string
		arm        func(*Server)
		wantStatus int
	}{
		{name: "500 after the post", arm: func(s *Server) { s.FailAfterNext("chat.postMessage", 1, http.StatusInternalServerError) }, wantStatus: 500},
		{name: "answer held past the client's timeout", arm: func(s *Server) { s.HoldNext("chat.postMessage", 1) }, wantStatus: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.arm(e.fake)
			c, cancel := context.WithCancel(ctx(t))
			defer cancel()
			if tt.wantStatus == 0 {
				// The client gives up once the post is in: its timeout.
				go func() {
					_ = e.fake.WaitFor(c, func(st State) bool { return len(st.Messages) == 1 })
					cancel()
				}()
			}
			_, _, err := e.api.PostMessageContext(c, "C1", slack.MsgOptionText("lost answer", false))
			var sce slack.StatusCodeError
			switch {
			case tt.wantStatus != 0 && (!errors.As(err, &sce) || sce.Code != tt.wantStatus):
				t.Fatalf("err = %v, want HTTP %d", err, tt.wantStatus)
			case tt.wantStatus == 0 && !errors.Is(err, context.Canceled):
				t.Fatalf("err = %v, want the client to give up", err)
			}
			st := e.fake.Snapshot()
			if st.CountText("lost answer") != 1 {
				t.Fatalf("the post did not run")
			}
			if calls := st.CallsTo("chat.postMessage"); calls[0].Status != tt.wantStatus {
				t.Errorf("recorded status %d, want %d", calls[0].Status, tt.wantStatus)
			}
			if _, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("next", false)); err != nil {
				t.Errorf("the fault outlived its count: %v", err)
			}
		})
	}
}
