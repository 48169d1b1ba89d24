package sandbox

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// TestEventStream: a snapshot first, then every change, in order; a closed
// modal is announced as no longer open; Close ends the stream.
func TestEventStream(t *testing.T) {
	e := newEnv(t)
	api := slack.New(testToken, slack.OptionAPIURL(e.apiURL))
	if _, _, err := api.PostMessage(channelID, slack.MsgOptionText("before", false)); err != nil {
		t.Fatal(err)
	}
	next := e.events()
	first := next()
	if first.Type != "reset" || first.Snapshot == nil || len(first.Snapshot.Messages) != 1 || first.Snapshot.Messages[0].Text != "before" {
		t.Fatalf("first event %+v", first)
	}
	_, ts, err := api.PostMessage(channelID, slack.MsgOptionText("after", false))
	if err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != "message" || ev.Message.TS != ts || ev.Message.Text != "after" {
		t.Fatalf("event %+v", ev)
	}
	if _, _, _, err := api.UpdateMessage(channelID, ts, slack.MsgOptionText("after, edited", false)); err != nil {
		t.Fatal(err)
	}
	if ev := next(); ev.Type != "message" || !ev.Message.Edited || ev.Message.Text != "after, edited" {
		t.Fatalf("event %+v", ev)
	}
	id := openEditModal(t, e, "UBOB")
	if ev := next(); ev.Type != "view" || ev.View.ID != id || !ev.View.Open || ev.View.User != "UBOB" {
		t.Fatalf("event %+v", ev)
	}
	if _, a := e.post("/sandbox/api/close", closeRequest{User: "UBOB", ViewID: id}); !a.Closed {
		t.Fatal(a)
	}
	if ev := next(); ev.Type != "view" || ev.View.ID != id || ev.View.Open {
		t.Fatalf("event %+v", ev)
	}
	if _, a := e.post("/sandbox/api/command", commandRequest{User: "UALICE", Text: "/atoms help"}); a.Error != "" {
		t.Fatal(a.Error)
	}
	if ev := next(); ev.Type != "message" || ev.Message.Kind != "slash_command" {
		t.Fatalf("event %+v", ev)
	}
}

func TestEventStreamEndsOnClose(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.url + "/sandbox/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 1)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	e.page.Close()
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
	if !strings.Contains(string(buf)+string(rest), `"type":"reset"`) {
		t.Errorf("stream = %q", string(buf)+string(rest))
	}
}
