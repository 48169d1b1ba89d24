package slackweb

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
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

// The transport sends what the renderer wrote: text is never rewritten.
func TestPostSendsTextAsWritten(t *testing.T) {
	fake, c, _ := newFake(t)
	for _, text := range []string{"label: it is live", "Agent “Is Live Now” v3 went live"} {
		if _, err := c.Post(context.Background(), "C1", "", render.Note(text)); err != nil {
			t.Fatal(err)
		}
		if n := fake.Snapshot().CountText(text); n != 1 {
			t.Errorf("%q was posted as %q", text, fake.Messages()[len(fake.Messages())-1].Text)
		}
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
	if d, ok := slackerr.RetryAfter(err); !ok || d != time.Second {
		t.Errorf("RetryAfter of the last 429 = %v, %v; want 1s", d, ok)
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
