package slackfake

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

var tsShape = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestPostMessage(t *testing.T) {
	e := newEnv(t)
	parentCh, parentTS, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("parent", false))
	if err != nil {
		t.Fatal(err)
	}
	_, replyTS, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("first reply", false), slack.MsgOptionTS(parentTS))
	if err != nil {
		t.Fatal(err)
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain("Promotion")),
		section("*web* v3 → v4"),
		slack.NewActionBlock("approval",
			slack.NewButtonBlockElement("approve", "p1", plain("Approve")).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement("reject", "p1", plain("Reject")).WithStyle(slack.StyleDanger)),
	}
	wantBlocks, _ := json.Marshal(blocks)

	tests := []struct {
		name       string
		opts       []slack.MsgOption
		wantText   string
		wantThread string
		wantBlocks []byte
		broadcast  bool
	}{
		{name: "text", opts: []slack.MsgOption{slack.MsgOptionText("hello", false)}, wantText: "hello"},
		{
			name:       "blocks and fallback text",
			opts:       []slack.MsgOption{slack.MsgOptionText("approval needed", false), slack.MsgOptionBlocks(blocks...)},
			wantText:   "approval needed",
			wantBlocks: wantBlocks,
		},
		{
			name:       "thread reply",
			opts:       []slack.MsgOption{slack.MsgOptionText("detail", false), slack.MsgOptionTS(parentTS)},
			wantText:   "detail",
			wantThread: parentTS,
		},
		{
			name:       "reply to a reply lands under the parent",
			opts:       []slack.MsgOption{slack.MsgOptionText("nested", false), slack.MsgOptionTS(replyTS)},
			wantText:   "nested",
			wantThread: parentTS,
		},
		{
			name:       "broadcast reply",
			opts:       []slack.MsgOption{slack.MsgOptionText("loud", false), slack.MsgOptionTS(parentTS), slack.MsgOptionBroadcast()},
			wantText:   "loud",
			wantThread: parentTS,
			broadcast:  true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, ts, msg, err := e.api.PostMessageWithResponseContext(ctx(t), "C1", tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if ch != "C1" || !tsShape.MatchString(ts) {
				t.Fatalf("answer channel=%q ts=%q", ch, ts)
			}
			if msg.Text != tc.wantText || msg.Timestamp != ts || msg.ThreadTimestamp != tc.wantThread || msg.User != "U0BOT" {
				t.Errorf("answered message = %+v", msg.Msg)
			}
			got, ok := e.fake.Snapshot().Find("C1", ts)
			if !ok {
				t.Fatalf("message %s not recorded", ts)
			}
			if got.Text != tc.wantText || got.ThreadTS != tc.wantThread || got.Ephemeral || got.Method != MethodPostMessage || got.ReplyBroadcast != tc.broadcast {
				t.Errorf("recorded %+v", got)
			}
			if tc.wantBlocks == nil && got.Blocks != nil {
				t.Errorf("blocks = %s, want none", got.Blocks)
			}
			if tc.wantBlocks != nil && !sameJSON(t, got.Blocks, tc.wantBlocks) {
				t.Errorf("blocks = %s, want %s", got.Blocks, tc.wantBlocks)
			}
		})
	}
	if parentCh != "C1" {
		t.Errorf("parent channel %q", parentCh)
	}
	thread := e.fake.Thread("C1", parentTS)
	if len(thread) != 5 || thread[0].TS != parentTS {
		t.Errorf("thread has %d messages, want parent + 4 replies: %+v", len(thread), thread)
	}
}

func TestPostMessageErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		code    string
	}{
		{name: "no channel", channel: "", opts: []slack.MsgOption{slack.MsgOptionText("x", false)}, code: "channel_not_found"},
		{name: "unknown thread", channel: "C1", opts: []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionTS("1600000000.000001")}, code: "thread_not_found"},
		{name: "malformed thread_ts", channel: "C1", opts: []slack.MsgOption{slack.MsgOptionText("x", false), slack.MsgOptionTS("0")}, code: "invalid_thread_ts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.api.PostMessageContext(ctx(t), tc.channel, tc.opts...)
			slackErr(t, err, tc.code)
		})
	}
	if n := len(e.fake.Messages()); n != 0 {
		t.Errorf("%d messages recorded after errors only", n)
	}
}

// A frozen clock must still give unique, increasing ts values.
func TestTSUniqueOnFrozenClock(t *testing.T) {
	e := newEnv(t)
	prev := ""
	for i := range 5 {
		_, ts, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"1700000000.000000", "1700000000.000001", "1700000000.000002", "1700000000.000003", "1700000000.000004"}[i]
		if ts != want || ts <= prev {
			t.Fatalf("post %d: ts %q, want %q", i, ts, want)
		}
		prev = ts
	}
	e.clock.Advance(1500 * time.Millisecond)
	_, ts, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("x", false))
	if ts != "1700000001.500000" {
		t.Errorf("after advancing the clock: ts %q", ts)
	}
}

func TestUpdateMessage(t *testing.T) {
	e := newEnv(t)
	first := []slack.Block{section("security check: pending")}
	second := []slack.Block{section("security check: passed")}
	firstJSON, _ := json.Marshal(first)
	secondJSON, _ := json.Marshal(second)
	_, ts, err := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("pending", false), slack.MsgOptionBlocks(first...))
	if err != nil {
		t.Fatal(err)
	}
	ephTS, err := e.api.PostEphemeralContext(ctx(t), "C1", "U1", slack.MsgOptionText("only you", false))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		ts         string
		opts       []slack.MsgOption
		code       string
		wantText   string
		wantBlocks []byte
	}{
		{name: "text only keeps blocks", ts: ts, opts: []slack.MsgOption{slack.MsgOptionText("checking", false)}, wantText: "checking", wantBlocks: firstJSON},
		{name: "blocks only keep text", ts: ts, opts: []slack.MsgOption{slack.MsgOptionBlocks(second...)}, wantText: "checking", wantBlocks: secondJSON},
		{name: "both", ts: ts, opts: []slack.MsgOption{slack.MsgOptionText("passed", false), slack.MsgOptionBlocks(first...)}, wantText: "passed", wantBlocks: firstJSON},
		{name: "unknown ts", ts: "1700000099.000000", opts: []slack.MsgOption{slack.MsgOptionText("x", false)}, code: "message_not_found"},
		{name: "ephemeral cannot be updated", ts: ephTS, opts: []slack.MsgOption{slack.MsgOptionText("x", false)}, code: "message_not_found"},
		{name: "nothing to update", ts: ts, opts: nil, code: "no_text"},
	}
	edits := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ch, gotTS, text, err := e.api.UpdateMessageContext(ctx(t), "C1", tc.ts, tc.opts...)
			if tc.code != "" {
				slackErr(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			edits++
			if ch != "C1" || gotTS != ts || text != tc.wantText {
				t.Errorf("answer = %q %q %q", ch, gotTS, text)
			}
			m, _ := e.fake.Snapshot().Find("C1", ts)
			if m.Text != tc.wantText || !sameJSON(t, m.Blocks, tc.wantBlocks) || m.Edits != edits || len(m.History) != edits {
				t.Errorf("recorded %+v", m)
			}
		})
	}
	m, _ := e.fake.Snapshot().Find("C1", ts)
	if m.History[0].Text != "pending" || !sameJSON(t, m.History[0].Blocks, firstJSON) || m.PostedText() != "pending" {
		t.Errorf("history[0] = %+v", m.History[0])
	}
}

func TestPostEphemeral(t *testing.T) {
	e := newEnv(t)
	_, parent, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("parent", false))
	tests := []struct {
		name, user, thread, code string
	}{
		{name: "to a user", user: "U1"},
		{name: "in a thread", user: "U1", thread: parent},
		{name: "no user", user: "", code: "user_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := []slack.MsgOption{slack.MsgOptionText("psst is live", false)}
			if tc.thread != "" {
				opts = append(opts, slack.MsgOptionTS(tc.thread))
			}
			ts, err := e.api.PostEphemeralContext(ctx(t), "C1", tc.user, opts...)
			if tc.code != "" {
				slackErr(t, err, tc.code)
				return
			}
			if err != nil || !tsShape.MatchString(ts) {
				t.Fatalf("ts=%q err=%v", ts, err)
			}
			m, ok := e.fake.Snapshot().Find("C1", ts)
			if !ok || !m.Ephemeral || m.User != tc.user || m.ThreadTS != tc.thread || m.Method != MethodPostEphemeral {
				t.Errorf("recorded %+v", m)
			}
		})
	}
	st := e.fake.Snapshot()
	if n := len(st.ChannelMessages("C1")); n != 1 {
		t.Errorf("channel shows %d messages, want only the parent", n)
	}
	if n := st.CountText("is live"); n != 0 {
		t.Errorf("CountText counted %d ephemeral messages", n)
	}
}

func TestDeleteAndPermalink(t *testing.T) {
	e := newEnv(t)
	_, parent, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("parent", false))
	_, reply, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent))
	_, gone, _ := e.api.PostMessageContext(ctx(t), "C1", slack.MsgOptionText("to delete", false))

	if _, _, err := e.api.DeleteMessageContext(ctx(t), "C1", gone); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.api.DeleteMessageContext(ctx(t), "C1", gone)
	slackErr(t, err, "message_not_found")

	tests := []struct {
		name, ts, want, code string
	}{
		{name: "top-level", ts: parent, want: "https://fake.slack.local/archives/C1/p" + parent[:10] + parent[11:]},
		{name: "reply", ts: reply, want: "https://fake.slack.local/archives/C1/p" + reply[:10] + reply[11:] + "?thread_ts=" + parent + "&cid=C1"},
		{name: "deleted", ts: gone, code: "message_not_found"},
		{name: "unknown", ts: "1.2", code: "message_not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			link, err := e.api.GetPermalinkContext(ctx(t), &slack.PermalinkParameters{Channel: "C1", Ts: tc.ts})
			if tc.code != "" {
				slackErr(t, err, tc.code)
				return
			}
			if err != nil || link != tc.want {
				t.Errorf("permalink = %q, %v; want %q", link, err, tc.want)
			}
		})
	}
	st := e.fake.Snapshot()
	if got := st.ChannelMessages("C1"); len(got) != 2 {
		t.Errorf("channel shows %d messages after delete, want 2", len(got))
	}
	if m, _ := st.Find("C1", gone); !m.Deleted {
		t.Errorf("deleted message not marked: %+v", m)
	}
	if len(st.Messages) != 3 {
		t.Errorf("Messages() has %d, want all 3 posts", len(st.Messages))
	}
}

func TestCountText(t *testing.T) {
	e := newEnv(t)
	post := func(text string, opts ...slack.MsgOption) string {
		t.Helper()
		_, ts, err := e.api.PostMessageContext(ctx(t), "C1", append(opts, slack.MsgOptionText(text, false))...)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	approval := post("approval requested")
	post("web v4 is live", slack.MsgOptionTS(approval)) // a reply counts
	live := post("web v5 is live")                      // counts even once edited away
	_, _, _, _ = e.api.UpdateMessageContext(ctx(t), "C1", approval, slack.MsgOptionText("approved: is live", false))
	_, _, _, _ = e.api.UpdateMessageContext(ctx(t), "C1", live, slack.MsgOptionText("superseded", false))
	_, _ = e.api.PostEphemeralContext(ctx(t), "C1", "U1", slack.MsgOptionText("is live (ephemeral)", false))
	u := e.fake.NewResponseURLFor(ResponseTarget{Channel: "C1", User: "U1"})
	if err := slack.PostWebhookContext(ctx(t), u, &slack.WebhookMessage{Text: "is live via response_url", ResponseType: "in_channel"}); err != nil {
		t.Fatal(err)
	}

	st := e.fake.Snapshot()
	tests := []struct {
		substr string
		want   int
	}{
		{"is live", 2},
		{"IS LIVE", 0},
		{"approval requested", 1},
		{"superseded", 0},
		{"approved", 0},
	}
	for _, tc := range tests {
		t.Run(tc.substr, func(t *testing.T) {
			if got := st.CountText(tc.substr); got != tc.want {
				t.Errorf("CountText(%q) = %d, want %d", tc.substr, got, tc.want)
			}
		})
	}
}
