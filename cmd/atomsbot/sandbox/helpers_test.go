package sandbox

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

const (
	testSecret = "sandbox-test-signing-secret"
	testToken  = "xoxb-sandbox-test-token"
	channelID  = "CRELEASES"
)

// epoch is the tests' fixed clock: signatures and the fake's ts use it.
var epoch = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return epoch }

// botRequest is one request the stand-in bot received.
type botRequest struct {
	route     string
	body      []byte // as received: what was signed
	form      url.Values
	header    http.Header
	verifyErr error
}

// payload decodes the interaction payload of an interactions request.
func (r botRequest) payload(t *testing.T) map[string]any {
	t.Helper()
	var p map[string]any
	if err := json.Unmarshal([]byte(r.form.Get("payload")), &p); err != nil {
		t.Fatalf("payload of %s: %v (%q)", r.route, err, r.form.Get("payload"))
	}
	return p
}

// botReply is what the stand-in bot answers.
type botReply struct {
	status int
	ctype  string
	body   string
	block  bool // never answer (until the test ends)
}

// fakeBot stands in for atomsbot's /slack/* routes: it checks every
// signature with the bot's own verifier, records the request and answers as
// told.
type fakeBot struct {
	verifier *bot.Verifier
	release  chan struct{}

	mu    sync.Mutex
	reqs  []botRequest
	reply botReply
}

func newFakeBot(secret string) *fakeBot {
	return &fakeBot{verifier: bot.NewVerifier(secret, fixedNow), reply: botReply{status: 200}, release: make(chan struct{})}
}

func (b *fakeBot) answer(r botReply) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reply = r
}

func (b *fakeBot) requests() []botRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]botRequest(nil), b.reqs...)
}

func (b *fakeBot) last(t *testing.T) botRequest {
	t.Helper()
	reqs := b.requests()
	if len(reqs) == 0 {
		t.Fatal("the bot received nothing")
	}
	return reqs[len(reqs)-1]
}

func (b *fakeBot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	verr := b.verifier.Verify(r.Header, body)
	form, _ := url.ParseQuery(string(body))
	b.mu.Lock()
	b.reqs = append(b.reqs, botRequest{route: r.URL.Path, body: body, form: form, header: r.Header.Clone(), verifyErr: verr})
	rep := b.reply
	b.mu.Unlock()
	if verr != nil {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	if rep.block {
		select {
		case <-b.release:
		case <-r.Context().Done():
		}
		return
	}
	if rep.ctype != "" {
		w.Header().Set("Content-Type", rep.ctype)
	}
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

// env is a page with a fake Slack (over HTTP, as the bot reaches it) and a
// stand-in bot.
type env struct {
	t      *testing.T
	slack  *slackfake.Server
	apiURL string // the fake's Web API base, ending in "/"
	bot    *fakeBot
	page   *Page
	url    string // the page's server
}

func newEnv(t *testing.T, mods ...func(*Options)) *env {
	t.Helper()
	fake := slackfake.New(slackfake.Options{Token: testToken, Now: fixedNow, BotUserID: "UATOMSBOT"})
	fakeSrv := httptest.NewServer(fake)
	t.Cleanup(fakeSrv.Close)
	fake.SetBaseURL(fakeSrv.URL)
	fb := newFakeBot(testSecret)
	botSrv := httptest.NewServer(fb)
	t.Cleanup(botSrv.Close)
	t.Cleanup(func() { close(fb.release) }) // runs before botSrv.Close
	o := Options{
		Slack: fake, Secret: testSecret, BotURL: botSrv.URL, Channel: DemoChannel(), Users: DemoUsers(),
		Commands: []Subcommand{{Name: "help", Usage: "/atoms help [command]", Summary: "this help"}}, Now: fixedNow,
	}
	for _, m := range mods {
		m(&o)
	}
	page, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	pageSrv := httptest.NewServer(page.Handler(http.NotFoundHandler()))
	t.Cleanup(pageSrv.Close)
	t.Cleanup(page.Close) // runs first: ends event streams
	return &env{t: t, slack: fake, apiURL: fakeSrv.URL + "/", bot: fb, page: page, url: pageSrv.URL}
}

// post sends the page's own kind of request and decodes the answer.
func (e *env) post(path string, body any) (int, answer) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	resp, err := http.Post(e.url+path, "application/json", strings.NewReader(string(b)))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var a answer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	return resp.StatusCode, a
}

// events opens the event stream and returns a func reading the next event.
func (e *env) events() func() event {
	e.t.Helper()
	resp, err := http.Get(e.url + "/sandbox/api/events")
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		e.t.Fatalf("stream Content-Type %q", ct)
	}
	r := bufio.NewReader(resp.Body)
	return func() event {
		e.t.Helper()
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				e.t.Fatalf("reading the stream: %v", err)
			}
			data, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "data: ")
			if !ok {
				continue // blank separators and keep-alive comments
			}
			var ev event
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				e.t.Fatalf("event %q: %v", data, err)
			}
			return ev
		}
	}
}

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
