package slackfake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

const testToken = "xoxb-test-0123456789"

// epoch is the fake clock's start: ts values begin at "1700000000.000000".
var epoch = time.Unix(1_700_000_000, 0).UTC()

// clock is an injectable clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one fake behind a real HTTP server, with a slack-go client on it.
type env struct {
	fake  *Server
	api   *slack.Client
	clock *clock
	url   string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	c := newClock()
	fake := New(Options{Token: testToken, Now: c.Now, BotUserID: "U0BOT"})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	fake.SetBaseURL(srv.URL)
	return &env{
		fake:  fake,
		api:   slack.New(testToken, slack.OptionAPIURL(srv.URL+"/")),
		clock: c,
		url:   srv.URL,
	}
}

// client returns a slack-go client on the same fake with another token.
func (e *env) client(token string) *slack.Client {
	return slack.New(token, slack.OptionAPIURL(e.url+"/"))
}

// slackErr asserts err is Slack's ok:false answer with code and returns it.
func slackErr(t *testing.T, err error, code string) slack.SlackErrorResponse {
	t.Helper()
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		t.Fatalf("error = %v (%T), want slack.SlackErrorResponse %q", err, err, code)
	}
	if se.Err != code {
		t.Fatalf("error code = %q, want %q (messages %q)", se.Err, code, se.ResponseMetadata.Messages)
	}
	return se
}

func hasMessage(msgs []string, substr string) bool {
	return slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, substr) })
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func section(s string) *slack.SectionBlock { return slack.NewSectionBlock(mrkdwn(s), nil, nil) }

// sameJSON reports whether two JSON texts encode the same value.
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("bad JSON %q: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("bad JSON %q: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}

func ctx(t *testing.T) context.Context { return t.Context() }

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decoding answer: %v", err)
	}
}
