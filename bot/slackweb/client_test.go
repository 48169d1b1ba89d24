package slackweb

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

const token = "xoxb-slackweb-test"

func newFake(t *testing.T) (*slackfake.Server, *Client, *[]time.Duration) {
	t.Helper()
	fake := slackfake.New(slackfake.Options{Token: token})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetBaseURL(srv.URL)
	var slept []time.Duration
	c := New(Options{Token: token, APIURL: srv.URL, Sleep: func(_ context.Context, d time.Duration) error {
		slept = append(slept, d)
		return nil
	}})
	return fake, c, &slept
}

func TestQuiet(t *testing.T) {
	tests := []struct{ in, want string }{
		{"v4 is live", "v4 is\u00a0live"},
		{"This Is Live now", "This Is\u00a0Live now"},
		{"this is lively", "this is\u00a0lively"}, // conservative: the words never count
		{"crisis live", "crisis live"},            // not the word "is"
		{"nothing here", "nothing here"},
	}
	for _, tt := range tests {
		if got := quiet(tt.in); got != tt.want {
			t.Errorf("quiet(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Only Announce may post "is live"; Post keeps the words out of the text.
func TestPostVersusAnnounce(t *testing.T) {
	fake, c, _ := newFake(t)
	ctx := context.Background()
	if _, err := c.Post(ctx, "C1", "", render.Note("label: it is live")); err != nil {
		t.Fatal(err)
	}
	if n := fake.Snapshot().CountText("is live"); n != 0 {
		t.Fatalf("Post let 'is live' through (%d)", n)
	}
	if _, err := c.Announce(ctx, "C1", render.Note("agent v2 is live")); err != nil {
		t.Fatal(err)
	}
	if n := fake.Snapshot().CountText("is live"); n != 1 {
		t.Fatalf("Announce: %d posts say 'is live', want 1", n)
	}
}

func TestRateLimitRetriedWithRetryAfter(t *testing.T) {
	fake, c, slept := newFake(t)
	fake.RateLimitNext("chat.postMessage", 2, 3*time.Second)
	if _, err := c.Post(context.Background(), "C1", "", render.Note("hello")); err != nil {
		t.Fatalf("Post after two 429s: %v", err)
	}
	if len(*slept) != 2 || (*slept)[0] != 3*time.Second {
		t.Fatalf("waits = %v, want two of 3s", *slept)
	}
	fake.RateLimitNext("chat.update", 10, time.Second)
	err := c.Update(context.Background(), "C1", "1.1", render.Note("x"))
	if err == nil || !strings.Contains(err.Error(), "chat.update") {
		t.Fatalf("Update with persistent 429 = %v, want an error naming the method", err)
	}
}

func TestErrorCarriesSlackDetail(t *testing.T) {
	_, c, _ := newFake(t)
	m := render.Note("x")
	for range 60 {
		m.Blocks = append(m.Blocks, m.Blocks[0])
	}
	_, err := c.Post(context.Background(), "C1", "", m)
	if err == nil {
		t.Fatal("posting 61 blocks succeeded")
	}
	if !strings.Contains(err.Error(), "invalid_blocks") || !strings.Contains(err.Error(), "(") {
		t.Errorf("error lacks Slack's detail: %v", err)
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error contains the token: %v", err)
	}
}

// A response_url is a capability to post: a failed post must not print it.
func TestRespondErrorHidesTheURL(t *testing.T) {
	_, c, _ := newFake(t)
	secretURL := "http://127.0.0.1:1/commands/T1/123/SECRETPATH"
	err := c.Respond(context.Background(), secretURL, render.Note("x"), false, false)
	if err == nil {
		t.Fatal("post to a closed port succeeded")
	}
	if strings.Contains(err.Error(), "SECRETPATH") {
		t.Errorf("error shows the response_url: %v", err)
	}
}
