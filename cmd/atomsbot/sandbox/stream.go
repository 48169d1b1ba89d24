package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// messageDTO is a message as the page renders it.
type messageDTO struct {
	Channel   string          `json:"channel"`
	TS        string          `json:"ts"`
	ThreadTS  string          `json:"thread_ts,omitempty"`
	Author    string          `json:"author,omitempty"` // a person's user id; "" is the bot
	To        string          `json:"to,omitempty"`     // the only person who sees an ephemeral message
	Ephemeral bool            `json:"ephemeral"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Edited    bool            `json:"edited"`
	Deleted   bool            `json:"deleted"`
	Kind      string          `json:"kind"` // how it came to be: chat.postMessage, response_url, ack…
}

// viewDTO is a modal; Open says whether it is on its user's stack.
type viewDTO struct {
	ID   string          `json:"id"`
	Hash string          `json:"hash"`
	User string          `json:"user"`
	View json.RawMessage `json:"view"`
	Open bool            `json:"open"`
}

// fileDTO is an uploaded file (a diff too long for a message).
type fileDTO struct {
	ID       string `json:"id"`
	TS       string `json:"ts"`
	Channel  string `json:"channel"`
	ThreadTS string `json:"thread_ts,omitempty"`
	Title    string `json:"title"`
	Name     string `json:"name"`
	Comment  string `json:"comment,omitempty"`
	Content  string `json:"content"`
}

// snapshotDTO is everything the page shows.
type snapshotDTO struct {
	Messages []messageDTO `json:"messages"`
	Views    []viewDTO    `json:"views"` // open ones only
	Files    []fileDTO    `json:"files"`
}

// event is one item of the event stream.
type event struct {
	Type     string       `json:"type"` // reset, message, view, file
	Snapshot *snapshotDTO `json:"snapshot,omitempty"`
	Message  *messageDTO  `json:"message,omitempty"`
	View     *viewDTO     `json:"view,omitempty"`
	File     *fileDTO     `json:"file,omitempty"`
}

// maxFileShown bounds the file text sent to the page.
const maxFileShown = 200_000

func toMessage(m slackfake.Message) messageDTO {
	d := messageDTO{
		Channel: m.Channel, TS: m.TS, ThreadTS: m.ThreadTS, Author: m.Author, Ephemeral: m.Ephemeral,
		Text: m.Text, Blocks: m.Blocks, Edited: m.Edits > 0, Deleted: m.Deleted, Kind: m.Method,
	}
	if m.Ephemeral {
		d.To = m.User
	}
	return d
}

func toFile(f slackfake.File) fileDTO {
	content := string(f.Content)
	if len(content) > maxFileShown {
		cut := maxFileShown
		for cut > 0 && !utf8.RuneStart(content[cut]) {
			cut--
		}
		content = content[:cut] + fmt.Sprintf("\n… (%d more bytes)", len(f.Content)-cut)
	}
	return fileDTO{ID: f.ID, TS: f.TS, Channel: f.Channel, ThreadTS: f.ThreadTS, Title: f.Title, Name: f.Name, Comment: f.InitialComment, Content: content}
}

func (p *Page) toView(v slackfake.View) viewDTO {
	open := slices.ContainsFunc(p.o.Slack.ViewStack(v.UserID), func(s slackfake.View) bool { return s.ID == v.ID })
	return viewDTO{ID: v.ID, Hash: v.Hash, User: v.UserID, View: v.View, Open: open}
}

func (p *Page) snapshot() snapshotDTO {
	st := p.o.Slack.Snapshot()
	out := snapshotDTO{Messages: make([]messageDTO, 0, len(st.Messages)), Views: []viewDTO{}, Files: make([]fileDTO, 0, len(st.Files))}
	for _, m := range st.Messages {
		out.Messages = append(out.Messages, toMessage(m))
	}
	for _, u := range p.o.Users {
		for _, v := range p.o.Slack.ViewStack(u.ID) {
			out.Views = append(out.Views, viewDTO{ID: v.ID, Hash: v.Hash, User: v.UserID, View: v.View, Open: true})
		}
	}
	for _, f := range st.Files {
		out.Files = append(out.Files, toFile(f))
	}
	return out
}

func (p *Page) toEvent(ev slackfake.Event) event {
	switch {
	case ev.Message != nil:
		m := toMessage(*ev.Message)
		return event{Type: "message", Message: &m}
	case ev.View != nil:
		v := p.toView(*ev.View)
		return event{Type: "view", View: &v}
	case ev.File != nil:
		f := toFile(*ev.File)
		return event{Type: "file", File: &f}
	}
	return event{}
}

func (p *Page) state(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, p.snapshot())
}

// events streams changes as Server-Sent Events. It subscribes before taking
// the snapshot it starts with, so nothing falls between the two (the page
// applies items idempotently, keyed by ts or id); when the subscription
// drops events (Seq jumps), it sends a fresh snapshot.
func (p *Page) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The server's WriteTimeout is for ordinary answers; a stream has none.
	_ = rc.SetWriteDeadline(time.Time{})
	ch, stop := p.o.Slack.Subscribe()
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(e event) bool {
		b, err := json.Marshal(e)
		if err != nil {
			p.o.Logger.Warn("sandbox: encoding an event", "err", err)
			return true
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	snap := p.snapshot()
	if !send(event{Type: "reset", Snapshot: &snap}) {
		return
	}
	beat := time.NewTicker(p.o.Heartbeat)
	defer beat.Stop()
	var last uint64
	for {
		select {
		case <-r.Context().Done():
			return
		case <-p.done:
			return
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case ev, ok := <-ch:
			if !ok {
				return
			}
			e := p.toEvent(ev)
			if last != 0 && ev.Seq != last+1 {
				snap := p.snapshot()
				e = event{Type: "reset", Snapshot: &snap}
			}
			last = ev.Seq
			if e.Type != "" && !send(e) {
				return
			}
		}
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
