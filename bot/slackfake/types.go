package slackfake

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// How a message came to exist; see Message.Method.
const (
	MethodPostMessage   = "chat.postMessage"
	MethodPostEphemeral = "chat.postEphemeral"
	MethodResponseURL   = "response_url"
	// MethodSlashCommand is a slash command a person typed (RecordCommand).
	MethodSlashCommand = "slash_command"
	// MethodAck is the body of a slash command's acknowledgement, shown to
	// the person who typed it (RecordAck).
	MethodAck = "ack"
)

// Version is an earlier text/blocks pair of a message, kept when the message
// is edited so a test (or the sandbox page) can show edits in place.
type Version struct {
	Text   string
	Blocks json.RawMessage
}

// Message is one message the fake has accepted.
type Message struct {
	Channel string
	TS      string
	// ThreadTS is the parent's ts for a thread reply, "" for a top-level post.
	// A reply to a reply is filed under the thread's parent, as Slack does.
	ThreadTS string
	// User is the recipient of an ephemeral message ("" for normal posts).
	User string
	// Author is the person who wrote the message: set for slash commands
	// recorded with RecordCommand, "" for everything the bot posted.
	Author string
	Text   string
	// Blocks is the blocks JSON array as received (nil when none were sent).
	Blocks    json.RawMessage
	Ephemeral bool
	// Edits counts the edits applied: chat.update calls and response_url
	// posts with replace_original.
	Edits          int
	ViaResponseURL bool
	// ResponseType is "ephemeral" or "in_channel" for response_url posts.
	ResponseType string
	// History holds the previous versions, oldest first: History[0] is the
	// message as originally posted once it has been edited.
	History []Version
	// Method is how the message was created: MethodPostMessage,
	// MethodPostEphemeral, MethodResponseURL, MethodSlashCommand or
	// MethodAck.
	Method         string
	ReplyBroadcast bool
	// Deleted is set by chat.delete or delete_original; the message stays in
	// Messages() (it was posted) but leaves ChannelMessages and Thread.
	Deleted bool
	// Metadata is the message metadata posted with it
	// ({"event_type":…,"event_payload":{…}}), nil when none was.
	Metadata json.RawMessage
}

// PostedText is the text the message had when it was first posted.
func (m Message) PostedText() string {
	if len(m.History) > 0 {
		return m.History[0].Text
	}
	return m.Text
}

// View is one modal opened or pushed through the fake.
type View struct {
	ID   string
	Hash string
	// UserID is the user the trigger_id was issued for ("" when triggers are
	// not being checked, see Server.IssueTrigger).
	UserID         string
	ExternalID     string
	RootViewID     string
	PreviousViewID string // "" unless pushed
	// View is the view object as last received (views.open/push/update).
	View    json.RawMessage
	Updates int
}

// File is one file uploaded with files.getUploadURLExternal, the upload URL
// and files.completeUploadExternal. Only completed uploads are listed.
type File struct {
	ID string
	// TS is when the upload was completed, in message ts form, so a page
	// can place the file among the messages.
	TS             string
	Name           string // filename given to files.getUploadURLExternal
	Title          string
	Length         int // declared length
	Content        []byte
	Channel        string
	Channels       []string
	ThreadTS       string
	InitialComment string
}

// Call is one request the fake received.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), "response_url" for a
	// POST to a response URL, or "upload" for a POST to an upload URL.
	Method string
	// Form holds form or query parameters with the token removed; nil for
	// JSON bodies.
	Form url.Values
	// JSON is a JSON body as received; nil for form bodies.
	JSON json.RawMessage
	// Error is the error code answered ("" when ok; "ratelimited" for 429).
	Error string
	// Status is the HTTP status answered; 0 when the answer was held until
	// the client gave up (HoldNext).
	Status int
}

// EventType names a change the fake announces to subscribers.
type EventType string

// Event types, one per kind of change.
const (
	EventMessagePosted   EventType = "message_posted"
	EventEphemeralPosted EventType = "ephemeral_posted"
	EventMessageUpdated  EventType = "message_updated"
	EventMessageDeleted  EventType = "message_deleted"
	EventViewOpened      EventType = "view_opened"
	EventViewPushed      EventType = "view_pushed"
	EventViewUpdated     EventType = "view_updated"
	// EventViewClosed is a view leaving its user's stack (CloseView).
	EventViewClosed EventType = "view_closed"
	EventFileShared EventType = "file_shared"
)

// Event is a change, as delivered by Subscribe. Exactly one of Message, View
// and File is set, holding the object after the change.
type Event struct {
	// Seq numbers events from 1 without gaps, so a subscriber can tell that
	// it missed some (events are dropped for subscribers that fall behind).
	Seq     uint64
	Type    EventType
	Message *Message
	View    *View
	File    *File
}

// State is a consistent snapshot of everything the fake holds.
type State struct {
	Messages []Message // in order of posting, deleted ones included
	Views    []View    // in order of opening
	Files    []File    // in order of completion
	Calls    []Call    // in order of arrival
}

// CountText counts the messages created by chat.postMessage — top-level
// posts and thread replies alike — whose text, as originally posted, contains
// substr (case-sensitive, the text field only, not blocks).
//
// Not counted: ephemeral messages, response_url posts and file uploads. Edits
// never change the count: a chat.update that adds substr does not count and
// one that removes it does not uncount. Deleted messages still count, because
// the question this answers is "how many times did the bot post this".
func (st State) CountText(substr string) int {
	n := 0
	for _, m := range st.Messages {
		if m.Method == MethodPostMessage && strings.Contains(m.PostedText(), substr) {
			n++
		}
	}
	return n
}

// ChannelMessages returns what a member of channel would see: top-level
// messages and thread replies, in order of posting, without ephemeral and
// deleted messages.
func (st State) ChannelMessages(channel string) []Message {
	var out []Message
	for _, m := range st.Messages {
		if m.Channel == channel && !m.Ephemeral && !m.Deleted {
			out = append(out, m)
		}
	}
	return out
}

// Thread returns the parent message ts in channel followed by its replies in
// order of posting, as conversations.replies would; deleted and ephemeral
// messages are left out. It is empty when the parent does not exist.
func (st State) Thread(channel, ts string) []Message {
	var out []Message
	for _, m := range st.ChannelMessages(channel) {
		if (m.TS == ts && m.ThreadTS == "") || m.ThreadTS == ts {
			out = append(out, m)
		}
	}
	if len(out) == 0 || out[0].TS != ts {
		return nil
	}
	return out
}

// Find returns the message with this channel and ts (ephemeral and deleted
// ones included).
func (st State) Find(channel, ts string) (Message, bool) {
	i := slices.IndexFunc(st.Messages, func(m Message) bool { return m.Channel == channel && m.TS == ts })
	if i < 0 {
		return Message{}, false
	}
	return st.Messages[i], true
}

// FindView returns the view with this id.
func (st State) FindView(id string) (View, bool) {
	i := slices.IndexFunc(st.Views, func(v View) bool { return v.ID == id })
	if i < 0 {
		return View{}, false
	}
	return st.Views[i], true
}

// CallsTo returns the calls of one method, in order of arrival.
func (st State) CallsTo(method string) []Call {
	var out []Call
	for _, c := range st.Calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}
