package sandbox

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/slack-go/slack"
)

func note(s string) render.Message {
	return render.Message{Text: s, Blocks: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, s, false, false), nil, nil)}}
}

// TestWebAPIAsTheBotUsesIt drives the Slack stand-in with the bot's own Web
// API client (every method atomsbot calls, with the fields it sends) and
// checks the page's view of the result: posts, thread replies, edits in
// place, ephemeral messages to one person, response_url answers to a typed
// command, modals opened with the command's trigger and updated, and files.
func TestWebAPIAsTheBotUsesIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := slackweb.New(slackweb.Options{Token: testToken, APIURL: e.apiURL})

	// A typed command gives the bot a response_url and a trigger_id.
	if _, a := e.post("/sandbox/api/command", commandRequest{User: "UALICE", Text: "/atoms edit support-concierge"}); a.Error != "" {
		t.Fatal(a.Error)
	}
	form := e.bot.last(t).form

	parent, err := c.Post(ctx, channelID, "", note("Approval needed: *support-concierge* v4"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Post(ctx, channelID, parent, note("The security check of v4 passed.")); err != nil {
		t.Fatal(err)
	}
	if err := c.Update(ctx, channelID, parent, note("support-concierge v4 is live")); err != nil {
		t.Fatal(err)
	}
	if err := c.Ephemeral(ctx, channelID, "UOLIVIA", note("You are not on the list of approvers.")); err != nil {
		t.Fatal(err)
	}
	if err := c.Respond(ctx, form.Get("response_url"), note("4 agent(s)"), false, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Respond(ctx, form.Get("response_url"), note("Diff for everyone"), true, false); err != nil {
		t.Fatal(err)
	}
	viewID, hash, err := c.OpenView(ctx, form.Get("trigger_id"), editModal())
	if err != nil {
		t.Fatal(err)
	}
	loaded := editModal()
	loaded.Title = slack.NewTextBlockObject(slack.PlainTextType, "Edit draft v2", false, false)
	if err := c.UpdateView(ctx, viewID, hash, loaded); err != nil {
		t.Fatal(err)
	}
	if err := c.Upload(ctx, channelID, parent, "diff.txt", "Full diff", "+a\n-b\n"); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Get(e.url + "/sandbox/api/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st snapshotDTO
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	find := func(text string) messageDTO {
		t.Helper()
		for _, m := range st.Messages {
			if strings.Contains(m.Text, text) {
				return m
			}
		}
		t.Fatalf("no message %q in %+v", text, st.Messages)
		return messageDTO{}
	}
	tests := []struct {
		name string
		got  messageDTO
		ok   func(m messageDTO) bool
	}{
		{"the typed command, to its author", find("/atoms edit"), func(m messageDTO) bool {
			return m.Kind == "slash_command" && m.Author == "UALICE" && m.Ephemeral && m.To == "UALICE"
		}},
		{"a post edited in place", find("is live"), func(m messageDTO) bool {
			return m.TS == parent && m.Edited && m.ThreadTS == "" && !m.Ephemeral && m.Author == "" && strings.Contains(string(m.Blocks), "is live")
		}},
		{"a thread reply", find("check of v4 passed"), func(m messageDTO) bool { return m.ThreadTS == parent && !m.Edited }},
		{"an ephemeral message", find("not on the list"), func(m messageDTO) bool { return m.Ephemeral && m.To == "UOLIVIA" && m.Kind == "chat.postEphemeral" }},
		{"an ephemeral response_url answer", find("4 agent(s)"), func(m messageDTO) bool { return m.Ephemeral && m.To == "UALICE" && m.Kind == "response_url" }},
		{"an in_channel response_url answer", find("Diff for everyone"), func(m messageDTO) bool { return !m.Ephemeral && m.To == "" && m.Kind == "response_url" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok(tc.got) {
				t.Errorf("%+v", tc.got)
			}
		})
	}
	if len(st.Views) != 1 || st.Views[0].ID != viewID || st.Views[0].User != "UALICE" || !st.Views[0].Open || !strings.Contains(string(st.Views[0].View), "Edit draft v2") {
		t.Errorf("views = %+v", st.Views)
	}
	if len(st.Files) != 1 || st.Files[0].Content != "+a\n-b\n" || st.Files[0].ThreadTS != parent || st.Files[0].Title != "Full diff" || st.Files[0].TS == "" {
		t.Errorf("files = %+v", st.Files)
	}
}
