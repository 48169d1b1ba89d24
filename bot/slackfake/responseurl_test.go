package slackfake

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func statusCode(err error) int {
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code
	}
	return 0
}

func TestResponseURLPosts(t *testing.T) {
	e := newEnv(t)
	_, buttonTS, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("approve?", false))
	blocks := slack.Blocks{BlockSet: []slack.Block{section("approved by <@U2>")}}

	tests := []struct {
		name   string
		target ResponseTarget
		msgs   []*slack.WebhookMessage
		check  func(t *testing.T, st State)
	}{
		{
			name:   "ephemeral by default",
			target: ResponseTarget{Channel: "C1", User: "U1"},
			msgs:   []*slack.WebhookMessage{{Text: "working on it"}},
			check: func(t *testing.T, st State) {
				m := st.Messages[len(st.Messages)-1]
				if !m.Ephemeral || m.User != "U1" || m.Channel != "C1" || !m.ViaResponseURL || m.ResponseType != "ephemeral" || m.Method != MethodResponseURL {
					t.Errorf("recorded %+v", m)
				}
			},
		},
		{
			name:   "in_channel",
			target: ResponseTarget{Channel: "C1", User: "U1"},
			msgs:   []*slack.WebhookMessage{{Text: "web v4 is promoted", ResponseType: "in_channel"}},
			check: func(t *testing.T, st State) {
				m := st.Messages[len(st.Messages)-1]
				if m.Ephemeral || m.User != "" || m.ResponseType != "in_channel" {
					t.Errorf("recorded %+v", m)
				}
				if cm := st.ChannelMessages("C1"); cm[len(cm)-1].TS != m.TS {
					t.Error("in_channel response not visible in the channel")
				}
			},
		},
		{
			name:   "replace_original edits the button's message",
			target: ResponseTarget{Channel: "C1", User: "U2", MessageTS: buttonTS},
			msgs:   []*slack.WebhookMessage{{Text: "approved", Blocks: &blocks, ReplaceOriginal: true}},
			check: func(t *testing.T, st State) {
				m, _ := st.Find("C1", buttonTS)
				if m.Text != "approved" || m.Edits != 1 || m.History[0].Text != "approve?" || m.Blocks == nil {
					t.Errorf("original now %+v", m)
				}
			},
		},
		{
			name:   "replace_original without a button replaces the previous response",
			target: ResponseTarget{Channel: "C1", User: "U1"},
			msgs:   []*slack.WebhookMessage{{Text: "step 1"}, {Text: "step 2", ReplaceOriginal: true}},
			check: func(t *testing.T, st State) {
				m := st.Messages[len(st.Messages)-1]
				if m.Text != "step 2" || m.Edits != 1 || !m.Ephemeral {
					t.Errorf("recorded %+v", m)
				}
			},
		},
		{
			name:   "delete_original",
			target: ResponseTarget{Channel: "C1", User: "U1"},
			msgs:   []*slack.WebhookMessage{{Text: "temporary"}, {DeleteOriginal: true}},
			check: func(t *testing.T, st State) {
				if m := st.Messages[len(st.Messages)-1]; !m.Deleted || m.Text != "temporary" {
					t.Errorf("recorded %+v", m)
				}
			},
		},
		{
			name:   "thread reply",
			target: ResponseTarget{Channel: "C1", User: "U1"},
			msgs:   []*slack.WebhookMessage{{Text: "in thread", ResponseType: "in_channel", ThreadTimestamp: buttonTS}},
			check: func(t *testing.T, st State) {
				if th := st.Thread("C1", buttonTS); len(th) != 2 || th[1].Text != "in thread" {
					t.Errorf("thread = %+v", th)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := e.fake.NewResponseURLFor(tc.target)
			for _, m := range tc.msgs {
				if err := slack.PostWebhookContext(ctx(t), u, m); err != nil {
					t.Fatal(err)
				}
			}
			tc.check(t, e.fake.Snapshot())
		})
	}
}

// slack-go's MsgOptionResponseURL path parses the answer by content type;
// the fake's "ok" must satisfy it.
func TestResponseURLThroughMsgOption(t *testing.T) {
	e := newEnv(t)
	u := e.fake.NewResponseURLFor(ResponseTarget{Channel: "C1", User: "U1"})
	if _, _, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("hi", false), slack.MsgOptionResponseURL(u, slack.ResponseTypeInChannel)); err != nil {
		t.Fatal(err)
	}
	if cm := e.fake.ChannelMessages("C1"); len(cm) != 1 || cm[0].Text != "hi" || !cm[0].ViaResponseURL {
		t.Errorf("channel = %+v", cm)
	}
}

func TestResponseURLLimits(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		posts   int           // successful posts first
		advance time.Duration // then move the clock
		status  int           // status of the next post
	}{
		{name: "fifth use ok", posts: 4, status: http.StatusOK},
		{name: "sixth use refused", posts: 5, status: http.StatusNotFound},
		{name: "just before 30 minutes", posts: 1, advance: 30*time.Minute - time.Second, status: http.StatusOK},
		{name: "expired after 30 minutes", posts: 0, advance: 30 * time.Minute, status: http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := e.fake.NewResponseURLFor(ResponseTarget{Channel: "C1", User: "U1"})
			for i := range tc.posts {
				if err := slack.PostWebhookContext(ctx(t), u, &slack.WebhookMessage{Text: "x"}); err != nil {
					t.Fatalf("post %d: %v", i, err)
				}
			}
			e.clock.Advance(tc.advance)
			err := slack.PostWebhookContext(ctx(t), u, &slack.WebhookMessage{Text: "x"})
			if tc.status == http.StatusOK && err != nil || tc.status != http.StatusOK && statusCode(err) != tc.status {
				t.Errorf("err = %v, want status %d", err, tc.status)
			}
		})
	}
	t.Run("unknown URL", func(t *testing.T) {
		err := slack.PostWebhookContext(ctx(t), e.url+"/response/R404", &slack.WebhookMessage{Text: "x"})
		if statusCode(err) != http.StatusNotFound {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("bad payload is 400 and records nothing", func(t *testing.T) {
		u := e.fake.NewResponseURL()
		before := len(e.fake.Messages())
		err := slack.PostWebhookContext(ctx(t), u, &slack.WebhookMessage{})
		if statusCode(err) != http.StatusBadRequest || len(e.fake.Messages()) != before {
			t.Errorf("err = %v", err)
		}
		calls := e.fake.Snapshot().CallsTo(MethodResponseURL)
		if last := calls[len(calls)-1]; last.Error != "no_text" || last.Status != http.StatusBadRequest {
			t.Errorf("last call = %+v", last)
		}
	})
}
