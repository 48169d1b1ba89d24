package slackfake

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestRecordCommandAndAck(t *testing.T) {
	e := newEnv(t)
	events, stop := e.fake.Subscribe()
	t.Cleanup(stop)
	cmd := e.fake.RecordCommand("C1", "UALICE", "/atoms help")
	if cmd.Author != "UALICE" || cmd.User != "UALICE" || !cmd.Ephemeral || cmd.Method != MethodSlashCommand || cmd.TS == "" {
		t.Fatalf("command = %+v", cmd)
	}
	if ev := <-events; ev.Type != EventEphemeralPosted || ev.Message.TS != cmd.TS {
		t.Fatalf("event = %+v", ev)
	}
	blocks, _ := json.Marshal([]slack.Block{section("*usage*")})
	tests := []struct {
		name      string
		text      string
		blocks    json.RawMessage
		inChannel bool
		wantErr   string
	}{
		{name: "ephemeral with blocks", text: "usage", blocks: blocks},
		{name: "in channel", text: "shown to all", inChannel: true},
		{name: "null blocks count as none", text: "plain", blocks: json.RawMessage("null")},
		{name: "nothing to show", wantErr: "no_text"},
		{name: "invalid blocks", text: "x", blocks: json.RawMessage(`[{"type":"nope"}]`), wantErr: "invalid_blocks"},
		{name: "blocks not an array", text: "x", blocks: json.RawMessage(`{}`), wantErr: "invalid_blocks_format"},
		{name: "too long", text: strings.Repeat("a", maxMessageText+1), wantErr: "msg_too_long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.Messages())
			m, err := e.fake.RecordAck("C1", "UALICE", tc.text, tc.blocks, tc.inChannel)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				if len(e.fake.Messages()) != before {
					t.Fatal("a refused ack was recorded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Method != MethodAck || m.Ephemeral == tc.inChannel || m.Text != tc.text {
				t.Fatalf("ack = %+v", m)
			}
			if !tc.inChannel && m.User != "UALICE" {
				t.Errorf("ephemeral ack to %q", m.User)
			}
			if tc.blocks != nil && string(tc.blocks) != "null" && !sameJSON(t, m.Blocks, tc.blocks) {
				t.Errorf("blocks = %s", m.Blocks)
			}
			if ev := <-events; ev.Message == nil || ev.Message.TS != m.TS {
				t.Errorf("event = %+v", ev)
			}
		})
	}
	// Neither kind is a bot post: "is live" counting is unaffected.
	e.fake.RecordCommand("C1", "UALICE", "/atoms promote x is live")
	if _, err := e.fake.RecordAck("C1", "UALICE", "web is live", nil, true); err != nil {
		t.Fatal(err)
	}
	if n := e.fake.Snapshot().CountText("is live"); n != 0 {
		t.Errorf("CountText = %d, want 0", n)
	}
}

func TestViewStackAndClose(t *testing.T) {
	tests := []struct {
		name      string
		close     int // index in the stack of the view closed
		wantLeft  int
		wantEvent int // view_closed events
	}{
		{name: "close the root closes everything", close: 0, wantLeft: 0, wantEvent: 2},
		{name: "close the top pops it", close: 1, wantLeft: 1, wantEvent: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			root, err := e.api.OpenViewContext(ctx(t), e.fake.IssueTrigger("UBOB"), modal("Root", section("a")))
			if err != nil {
				t.Fatal(err)
			}
			pushed, err := e.api.PushViewContext(ctx(t), e.fake.IssueTrigger("UBOB"), modal("Pushed", section("b")))
			if err != nil {
				t.Fatal(err)
			}
			stack := e.fake.ViewStack("UBOB")
			if len(stack) != 2 || stack[0].ID != root.ID || stack[1].ID != pushed.ID || stack[1].UserID != "UBOB" {
				t.Fatalf("stack = %+v", stack)
			}
			if got := e.fake.ViewStack("UALICE"); len(got) != 0 {
				t.Fatalf("another user's stack = %+v", got)
			}
			events, stop := e.fake.Subscribe()
			t.Cleanup(stop)
			if !e.fake.CloseView("UBOB", stack[tc.close].ID) {
				t.Fatal("CloseView reported the view not open")
			}
			if got := len(e.fake.ViewStack("UBOB")); got != tc.wantLeft {
				t.Fatalf("%d views left, want %d", got, tc.wantLeft)
			}
			for range tc.wantEvent {
				if ev := <-events; ev.Type != EventViewClosed || ev.View == nil {
					t.Fatalf("event = %+v", ev)
				}
			}
			if e.fake.CloseView("UBOB", stack[tc.close].ID) {
				t.Error("closing a closed view reported success")
			}
			if len(e.fake.Views()) != 2 {
				t.Error("closed views left the record")
			}
		})
	}
}

func TestReplaceView(t *testing.T) {
	e := newEnv(t)
	opened, err := e.api.OpenViewContext(ctx(t), "t1", modal("Edit", section("x")))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := json.Marshal(modal("Saved", section("done")))
	tests := []struct {
		name    string
		id      string
		view    json.RawMessage
		wantErr error
		bad     bool
	}{
		{name: "replaces and rehashes", id: opened.ID, view: good},
		{name: "unknown view", id: "V404", view: good, wantErr: ErrNoSuchView},
		{name: "not a modal", id: opened.ID, view: json.RawMessage(`{"type":"home","blocks":[]}`), bad: true},
		{name: "not an object", id: opened.ID, view: json.RawMessage(`[]`), bad: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.fake.Snapshot().FindView(opened.ID)
			v, err := e.fake.ReplaceView(tc.id, tc.view)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			case tc.bad:
				if err == nil {
					t.Fatal("invalid view accepted")
				}
				if after, _ := e.fake.Snapshot().FindView(opened.ID); after.Hash != before.Hash {
					t.Error("a refused replacement changed the view")
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if v.Hash == before.Hash || v.Updates != before.Updates+1 || !sameJSON(t, v.View, tc.view) {
				t.Errorf("replaced view = %+v", v)
			}
		})
	}
}

func TestUploadedFileHasTS(t *testing.T) {
	e := newEnv(t)
	_, err := e.api.UploadFileContext(ctx(t), slack.UploadFileParameters{Channel: "C1", Filename: "d.diff", Content: "+x", FileSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	posted := e.fake.RecordCommand("C1", "U1", "/atoms x")
	files := e.fake.Files()
	if len(files) != 1 || !tsPattern.MatchString(files[0].TS) || files[0].TS >= posted.TS {
		t.Fatalf("files = %+v, later message ts %s", files, posted.TS)
	}
}
