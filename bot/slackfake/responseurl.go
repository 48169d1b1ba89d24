package slackfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// response_url limits: five uses within 30 minutes.
const (
	responseURLUses     = 5
	responseURLLifetime = 30 * time.Minute
	maxResponseBody     = 1 << 20
)

// ResponseTarget says where the messages posted to a response URL go, as the
// interaction that carried the URL would: the channel, the user who invoked
// it (the recipient of ephemeral responses) and, for a button click, the
// message holding the button (what replace_original and delete_original act
// on).
type ResponseTarget struct {
	Channel   string
	User      string
	MessageTS string
}

type responseURL struct {
	target ResponseTarget
	issued time.Time
	uses   int
	last   *Message // the latest message posted through this URL
}

// NewResponseURL returns a response URL with no channel, user or original
// message; see NewResponseURLFor.
func (s *Server) NewResponseURL() string { return s.NewResponseURLFor(ResponseTarget{}) }

// NewResponseURLFor returns a URL on this server ("/response/<id>", made
// absolute with the base URL when SetBaseURL was called) that accepts what
// Slack's response_url accepts: POSTed JSON with text, blocks, response_type,
// replace_original, delete_original and thread_ts.
//
// Posts are recorded as messages (ViaResponseURL): ephemeral to t.User unless
// response_type is in_channel. replace_original edits the original message —
// t.MessageTS when set, else the latest message posted through this URL, as
// for a slash command — and posts anew when there is none; delete_original
// deletes it. Like Slack, the URL accepts 5 posts within 30 minutes of being
// issued (on the injected clock; every POST counts, even a rejected one) and
// answers 404 after that. Successes are
// answered 200 "ok" (text/plain); bad payloads 400 with the error code as
// the body, as Slack's webhooks do.
func (s *Server) NewResponseURLFor(t ResponseTarget) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextIDLocked("R")
	s.st.responseURLs[id] = &responseURL{target: t, issued: s.now()}
	return s.st.baseURL + "/response/" + id
}

// responsePayload is the body Slack accepts on a response_url.
type responsePayload struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	Attachments     json.RawMessage `json:"attachments"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request, id string) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxResponseBody))
	s.mu.Lock()
	defer s.mu.Unlock()
	status, code := s.respondLocked(r.Method, id, body, err)
	c := Call{Method: MethodResponseURL, JSON: body, Status: status}
	if status != http.StatusOK {
		c.Error = code
	}
	s.recordLocked(c)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, code)
}

// respondLocked applies one POST to a response URL and returns the HTTP
// status and the plain-text body.
func (s *Server) respondLocked(method, id string, body []byte, readErr error) (int, string) {
	ru, ok := s.st.responseURLs[id]
	switch {
	case !ok:
		return http.StatusNotFound, "no_such_url"
	case !s.now().Before(ru.issued.Add(responseURLLifetime)):
		return http.StatusNotFound, "expired_url"
	case ru.uses >= responseURLUses:
		return http.StatusNotFound, "used_url"
	case method != http.MethodPost:
		return http.StatusMethodNotAllowed, "invalid_method"
	case readErr != nil:
		return http.StatusRequestEntityTooLarge, "request_too_large"
	}
	ru.uses++
	var p responsePayload
	if err := json.Unmarshal(body, &p); err != nil {
		return http.StatusBadRequest, "invalid_payload"
	}
	if p.DeleteOriginal {
		orig := s.originalLocked(ru)
		if orig == nil {
			return http.StatusNotFound, "message_not_found"
		}
		s.deleteMessageLocked(orig)
		return http.StatusOK, "ok"
	}
	blocks := bytes.TrimSpace(p.Blocks)
	hasBlocks := len(blocks) > 0 && string(blocks) != "null"
	attachments := bytes.TrimSpace(p.Attachments)
	hasAttachments := len(attachments) > 0 && string(attachments) != "null"
	c, aerr := parseContent(p.Text, true, string(blocks), hasBlocks, hasAttachments)
	if aerr != nil {
		return http.StatusBadRequest, aerr.code
	}
	if p.ReplaceOriginal {
		if orig := s.originalLocked(ru); orig != nil {
			s.editMessageLocked(orig, c.text, true, c.blocks)
			return http.StatusOK, "ok"
		}
	}
	return s.postViaResponseURLLocked(ru, p, c)
}

func (s *Server) postViaResponseURLLocked(ru *responseURL, p responsePayload, c content) (int, string) {
	channel := ru.target.Channel
	thread, aerr := s.threadParentLocked(channel, p.ThreadTS)
	if aerr != nil {
		return http.StatusBadRequest, aerr.code
	}
	m := &Message{
		Channel:        channel,
		TS:             s.nextTSLocked(),
		ThreadTS:       thread,
		Text:           c.text,
		Blocks:         c.blocks,
		ViaResponseURL: true,
		ResponseType:   "ephemeral",
		Method:         MethodResponseURL,
	}
	if p.ResponseType == "in_channel" {
		m.ResponseType = "in_channel"
	} else {
		m.Ephemeral = true
		m.User = ru.target.User
	}
	s.addMessageLocked(m)
	ru.last = m
	return http.StatusOK, "ok"
}

// originalLocked is the message replace_original/delete_original act on.
func (s *Server) originalLocked(ru *responseURL) *Message {
	if ru.target.MessageTS != "" {
		m, ok := s.st.byKey[msgKey{ru.target.Channel, ru.target.MessageTS}]
		if ok && !m.Deleted {
			return m
		}
		return nil
	}
	if ru.last != nil && !ru.last.Deleted {
		return ru.last
	}
	return nil
}
