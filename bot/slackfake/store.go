package slackfake

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"sync"
)

// subscriberBuffer is how many events a subscriber may lag behind before
// events are dropped for it; the fake never blocks on a slow reader.
const subscriberBuffer = 256

// msgKey indexes messages by channel and ts.
type msgKey struct{ channel, ts string }

// store is the fake's whole mutable state; every field is guarded by
// Server.mu.
type store struct {
	baseURL  string
	lastTS   int64 // microseconds of the last ts handed out
	ids      int   // counter behind every generated id
	messages []*Message
	byKey    map[msgKey]*Message

	views    []*View
	viewByID map[string]*View
	stacks   map[string][]string // user → view ids, root first

	triggers       map[string]*trigger
	strictTriggers bool

	uploads      map[string]*upload
	files        []*File
	responseURLs map[string]*responseURL
	calls        []Call
	faults       []*fault
	// away holds the channels the bot cannot use, with the error Slack
	// answers there (not_in_channel, is_archived, channel_not_found).
	away map[string]string

	subs     map[int]chan Event
	nextSub  int
	eventSeq uint64
	changed  chan struct{} // closed and replaced on every change
}

func newStore() store {
	return store{
		byKey:        map[msgKey]*Message{},
		viewByID:     map[string]*View{},
		stacks:       map[string][]string{},
		triggers:     map[string]*trigger{},
		uploads:      map[string]*upload{},
		responseURLs: map[string]*responseURL{},
		away:         map[string]string{},
		subs:         map[int]chan Event{},
		changed:      make(chan struct{}),
	}
}

// nextID returns a fresh Slack-looking id such as "V00000007".
func (s *Server) nextIDLocked(prefix string) string {
	s.st.ids++
	return fmt.Sprintf("%s%08d", prefix, s.st.ids)
}

// nextTSLocked returns a unique, strictly increasing message ts in Slack's
// "seconds.micros" form, taken from the injected clock. A frozen or
// backwards clock still yields unique values by moving one microsecond on.
func (s *Server) nextTSLocked() string {
	us := s.now().UnixMicro()
	if us <= s.st.lastTS {
		us = s.st.lastTS + 1
	}
	s.st.lastTS = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

// changedLocked wakes every WaitFor and, when ev is not nil, delivers ev to
// subscribers (dropping it for those whose buffer is full).
func (s *Server) changedLocked(ev *Event) {
	close(s.st.changed)
	s.st.changed = make(chan struct{})
	if ev == nil {
		return
	}
	s.st.eventSeq++
	ev.Seq = s.st.eventSeq
	for _, ch := range s.st.subs {
		select {
		case ch <- *ev:
		default:
		}
	}
}

func (s *Server) messageEventLocked(t EventType, m *Message) {
	c := cloneMessage(*m)
	s.changedLocked(&Event{Type: t, Message: &c})
}

func (s *Server) viewEventLocked(t EventType, v *View) {
	c := cloneView(*v)
	s.changedLocked(&Event{Type: t, View: &c})
}

func (s *Server) addMessageLocked(m *Message) {
	s.st.messages = append(s.st.messages, m)
	s.st.byKey[msgKey{m.Channel, m.TS}] = m
	t := EventMessagePosted
	if m.Ephemeral {
		t = EventEphemeralPosted
	}
	s.messageEventLocked(t, m)
}

// editMessageLocked replaces text and blocks, keeping the old pair in
// History. A nil blocks or a false hasText keeps the current value.
func (s *Server) editMessageLocked(m *Message, text string, hasText bool, blocks json.RawMessage) {
	m.History = append(m.History, Version{Text: m.Text, Blocks: m.Blocks})
	if hasText {
		m.Text = text
	}
	if blocks != nil {
		m.Blocks = blocks
	}
	m.Edits++
	s.messageEventLocked(EventMessageUpdated, m)
}

func (s *Server) deleteMessageLocked(m *Message) {
	m.Deleted = true
	s.messageEventLocked(EventMessageDeleted, m)
}

// liveMessageLocked finds a visible, non-ephemeral message: the only kind
// chat.update, chat.delete, chat.getPermalink and thread_ts can refer to.
func (s *Server) liveMessageLocked(channel, ts string) (*Message, bool) {
	m, ok := s.st.byKey[msgKey{channel, ts}]
	if !ok || m.Ephemeral || m.Deleted {
		return nil, false
	}
	return m, true
}

func (s *Server) snapshotLocked() State {
	st := State{
		Messages: make([]Message, len(s.st.messages)),
		Views:    make([]View, len(s.st.views)),
		Files:    make([]File, len(s.st.files)),
		Calls:    make([]Call, len(s.st.calls)),
	}
	for i, m := range s.st.messages {
		st.Messages[i] = cloneMessage(*m)
	}
	for i, v := range s.st.views {
		st.Views[i] = cloneView(*v)
	}
	for i, f := range s.st.files {
		st.Files[i] = cloneFile(*f)
	}
	for i, c := range s.st.calls {
		st.Calls[i] = cloneCall(c)
	}
	return st
}

// Snapshot returns a consistent copy of everything the fake holds.
func (s *Server) Snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

// Messages returns every message in order of posting (ephemeral and deleted
// ones included).
func (s *Server) Messages() []Message { return s.Snapshot().Messages }

// ChannelMessages returns the visible messages of channel; see
// State.ChannelMessages.
func (s *Server) ChannelMessages(channel string) []Message {
	return s.Snapshot().ChannelMessages(channel)
}

// Thread returns a thread's parent and replies; see State.Thread.
func (s *Server) Thread(channel, ts string) []Message { return s.Snapshot().Thread(channel, ts) }

// Views returns every view in order of opening.
func (s *Server) Views() []View { return s.Snapshot().Views }

// Calls returns every request received, in order of arrival.
func (s *Server) Calls() []Call { return s.Snapshot().Calls }

// Files returns every completed upload.
func (s *Server) Files() []File { return s.Snapshot().Files }

// WaitFor blocks until pred holds for a snapshot of the fake or ctx is done.
// pred is evaluated once at once and then once after every change (a request
// received, a message posted, a view opened…); nothing polls on a timer.
// pred runs without the fake's lock held, so it may call the fake.
func (s *Server) WaitFor(ctx context.Context, pred func(State) bool) error {
	for {
		s.mu.Lock()
		st := s.snapshotLocked()
		changed := s.st.changed
		s.mu.Unlock()
		if pred(st) {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("slackfake: condition not met: %w", ctx.Err())
		}
	}
}

// Subscribe returns a channel of change events and a func that ends the
// subscription and closes the channel. Events are dropped, never queued
// without bound, for a subscriber more than a buffer's worth behind; Event.Seq
// shows the gap.
func (s *Server) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	s.mu.Lock()
	id := s.st.nextSub
	s.st.nextSub++
	s.st.subs[id] = ch
	s.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			delete(s.st.subs, id)
			close(ch)
		})
	}
}

func cloneMessage(m Message) Message {
	m.Blocks = slices.Clone(m.Blocks)
	m.Metadata = slices.Clone(m.Metadata)
	m.History = slices.Clone(m.History)
	for i := range m.History {
		m.History[i].Blocks = slices.Clone(m.History[i].Blocks)
	}
	return m
}

func cloneView(v View) View {
	v.View = slices.Clone(v.View)
	return v
}

func cloneFile(f File) File {
	f.Content = slices.Clone(f.Content)
	f.Channels = slices.Clone(f.Channels)
	return f
}

func cloneCall(c Call) Call {
	c.JSON = slices.Clone(c.JSON)
	if c.Form != nil {
		f := make(url.Values, len(c.Form))
		for k, v := range c.Form {
			f[k] = slices.Clone(v)
		}
		c.Form = f
	}
	return c
}

// cloneValues copies form values without the token, so secrets never reach
// Calls (and through it test failure output).
func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := maps.Clone(v)
	for k, vs := range out {
		out[k] = slices.Clone(vs)
	}
	delete(out, "token")
	return out
}
