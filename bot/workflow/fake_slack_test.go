package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
)

// Kinds of Slack calls the engine makes.
const (
	kindPost      = "post"
	kindAnnounce  = "announce"
	kindUpdate    = "update"
	kindUpload    = "upload"
	kindEphemeral = "ephemeral"
)

// slackCall is one call the engine made to Slack.
type slackCall struct {
	Kind    string
	Channel string
	Thread  string // the thread a post or upload went to ("" for the channel)
	TS      string // the message posted (post, announce) or updated (update)
	User    string // ephemeral
	Msg     render.Message
	File    string // upload: file name, title and content
	Title   string
	Content string
	Tag     render.Tag // a tagged post's tag (its metadata)
}

// Text is everything the call shows, as one string to search: the fallback
// text and the blocks (JSON, without HTML escaping), or the uploaded file.
func (c slackCall) Text() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c.Msg.Blocks)
	// Block types marshal themselves with HTML escaping; undo it.
	blocks := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(b.String())
	return c.Msg.Text + "\n" + blocks + c.Title + "\n" + c.Content
}

// fakeSlack records what the engine sends to Slack and fails calls on demand.
type fakeSlack struct {
	mu     sync.Mutex
	seq    int
	calls  []slackCall // the calls Slack took
	failed []slackCall // the calls it refused
	fail   map[string]int
	hooks  map[string]func(slackCall)
	// lose counts calls of a kind to carry out and then answer unclearly.
	lose map[string]int
	// away: channels where every call fails with this Slack error code.
	away map[string]string
	// deleted: messages (by ts) that are gone.
	deleted map[string]bool
	finds   int // FindTagged calls
}

var errSlackDown = errors.New("slack: service_unavailable")

func newFakeSlack() *fakeSlack {
	return &fakeSlack{fail: map[string]int{}, hooks: map[string]func(slackCall){}, lose: map[string]int{}, away: map[string]string{}, deleted: map[string]bool{}}
}

// loseNext makes the next n calls of kind take effect and then answer as if
// the answer was lost (a timeout or a 5xx).
func (s *fakeSlack) loseNext(kind string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose[kind] += n
}

// awayKinds is what the fake's Slack errors mean, as slackweb sorts them.
var awayKinds = map[string]slackerr.Kind{
	"not_in_channel": slackerr.NoChannel, "channel_not_found": slackerr.NoChannel, "is_archived": slackerr.NoChannel,
	"token_revoked": slackerr.NoAccess, "missing_scope": slackerr.NoAccess,
}

// removeBot makes every call in channel fail with code (not_in_channel,
// is_archived, token_revoked, …) from now on; "" lets them through again.
func (s *fakeSlack) removeBot(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.away[channel] = code
}

// deleteMessage deletes the message at ts: updates of it and posts in its
// thread fail with message_not_found / thread_not_found.
func (s *fakeSlack) deleteMessage(ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleted[ts] = true
}

// attempts counts every call of kind, taken or refused.
func (s *fakeSlack) attempts(kind string) int {
	return len(s.of(kind)) + len(s.refused(kind))
}

// failNext makes the next n calls of kind fail.
func (s *fakeSlack) failNext(kind string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[kind] += n
}

// on runs fn (once per call, before Slack answers) for every call of kind.
func (s *fakeSlack) on(kind string, fn func(slackCall)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[kind] = fn
}

func (s *fakeSlack) record(c slackCall) (slackCall, error) {
	s.mu.Lock()
	hook := s.hooks[c.Kind]
	s.mu.Unlock()
	if hook != nil {
		hook(c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	method := "chat.postMessage"
	if c.Kind == kindUpdate {
		method = "chat.update"
	}
	refuse := func(code string, kind slackerr.Kind) (slackCall, error) {
		s.failed = append(s.failed, c)
		return c, &slackerr.Error{Method: method, Code: code, Channel: c.Channel, Kind: kind, Err: errors.New(code)}
	}
	switch {
	case s.away[c.Channel] != "":
		return refuse(s.away[c.Channel], awayKinds[s.away[c.Channel]])
	case c.Kind == kindUpdate && s.deleted[c.TS]:
		return refuse("message_not_found", slackerr.NoMessage)
	case c.Thread != "" && s.deleted[c.Thread]:
		return refuse("thread_not_found", slackerr.NoMessage)
	case s.fail[c.Kind] > 0:
		s.fail[c.Kind]--
		s.failed = append(s.failed, c)
		return c, errSlackDown
	}
	if c.Kind == kindPost || c.Kind == kindAnnounce {
		s.seq++
		c.TS = fmt.Sprintf("1700000000.%06d", s.seq)
	}
	s.calls = append(s.calls, c)
	if s.lose[c.Kind] > 0 {
		s.lose[c.Kind]--
		return c, &slackerr.Error{Method: method, Channel: c.Channel, Kind: slackerr.Unclear, Err: errors.New("slack server error: 500 Internal Server Error")}
	}
	return c, nil
}

// Post records a post; the "is live" announcement (tagged TagLive) is of
// its own kind, so tests can count the news apart from other posts.
func (s *fakeSlack) Post(_ context.Context, channel, threadTS string, m render.Message) (string, error) {
	c := slackCall{Kind: kindPost, Channel: channel, Thread: threadTS, Msg: m}
	if m.Tag != nil {
		c.Tag = *m.Tag
		if m.Tag.Event == render.TagLive {
			c.Kind = kindAnnounce
		}
	}
	c, err := s.record(c)
	return c.TS, err
}

func (s *fakeSlack) FindTagged(_ context.Context, channel string, tag render.Tag, _ time.Time) (string, error) {
	s.mu.Lock()
	s.finds++
	code := s.away[channel]
	s.mu.Unlock()
	if code != "" {
		return "", &slackerr.Error{Method: "conversations.history", Code: code, Channel: channel, Kind: awayKinds[code], Err: errors.New(code)}
	}
	for _, c := range append(s.of(kindAnnounce), s.of(kindPost)...) {
		if c.Channel == channel && c.Tag == tag {
			return c.TS, nil
		}
	}
	return "", nil
}

func (s *fakeSlack) Update(_ context.Context, channel, ts string, m render.Message) error {
	_, err := s.record(slackCall{Kind: kindUpdate, Channel: channel, TS: ts, Msg: m})
	return err
}

func (s *fakeSlack) Upload(_ context.Context, channel, threadTS, filename, title, content string) error {
	_, err := s.record(slackCall{Kind: kindUpload, Channel: channel, Thread: threadTS, File: filename, Title: title, Content: content})
	return err
}

func (s *fakeSlack) Ephemeral(_ context.Context, channel, user string, m render.Message) error {
	_, err := s.record(slackCall{Kind: kindEphemeral, Channel: channel, User: user, Msg: m})
	return err
}

// of lists the calls Slack took of kind (all kinds when empty), in order.
func (s *fakeSlack) of(kind string) []slackCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []slackCall
	for _, c := range s.calls {
		if kind == "" || c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// refused lists the calls of kind Slack refused.
func (s *fakeSlack) refused(kind string) []slackCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []slackCall
	for _, c := range s.failed {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// thread lists the replies posted in the thread of ts.
func (s *fakeSlack) thread(channel, ts string) []slackCall {
	var out []slackCall
	for _, c := range s.of("") {
		if (c.Kind == kindPost || c.Kind == kindUpload) && c.Channel == channel && c.Thread == ts && ts != "" {
			out = append(out, c)
		}
	}
	return out
}

// postsContaining lists the posts and announcements (top level or in a
// thread) whose text contains sub.
func (s *fakeSlack) postsContaining(sub string) []slackCall {
	var out []slackCall
	for _, c := range s.of("") {
		if (c.Kind == kindPost || c.Kind == kindAnnounce) && strings.Contains(c.Text(), sub) {
			out = append(out, c)
		}
	}
	return out
}

// lastUpdate is the latest chat.update of the message at ts (ok false when
// it was never updated).
func (s *fakeSlack) lastUpdate(channel, ts string) (slackCall, bool) {
	ups := s.of(kindUpdate)
	for i := len(ups) - 1; i >= 0; i-- {
		if ups[i].Channel == channel && ups[i].TS == ts {
			return ups[i], true
		}
	}
	return slackCall{}, false
}

// message is the message posted at ts.
func (s *fakeSlack) message(channel, ts string) (slackCall, bool) {
	for _, c := range s.of("") {
		if (c.Kind == kindPost || c.Kind == kindAnnounce) && c.Channel == channel && c.TS == ts {
			return c, true
		}
	}
	return slackCall{}, false
}

// fakeMetrics records the engine's observations.
type fakeMetrics struct {
	mu          sync.Mutex
	transitions []state.PromotionState
	checkWaits  []time.Duration
	pollLags    []time.Duration
}

func (m *fakeMetrics) ObserveTransition(to state.PromotionState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.transitions = append(m.transitions, to)
}

func (m *fakeMetrics) ObserveCheckWait(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkWaits = append(m.checkWaits, d)
}

func (m *fakeMetrics) ObservePollLag(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pollLags = append(m.pollLags, d)
}

func (m *fakeMetrics) states() []state.PromotionState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]state.PromotionState(nil), m.transitions...)
}

var (
	_ Slack   = (*fakeSlack)(nil)
	_ Metrics = (*fakeMetrics)(nil)
)
