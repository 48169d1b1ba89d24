package slackfake

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// What a person does in Slack, for a page standing in for Slack's client (the
// sandbox): a typed slash command and its acknowledgement are messages the
// person sees, and a modal closes when its submission is accepted. The bot
// never calls these; they do not go through the Web API.

// ErrNoSuchView is returned for a view id the fake does not hold.
var ErrNoSuchView = errors.New("slackfake: no such view")

// RecordCommand records a slash command typed by user in channel, such as
// "/atoms diff support-concierge". Slack shows the invocation to nobody but
// the person who typed it, so it is ephemeral to them (Author and User are
// both user); it is never counted as a bot post.
func (s *Server) RecordCommand(channel, user, text string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{
		Channel: channel, TS: s.nextTSLocked(), User: user, Author: user,
		Text: text, Ephemeral: true, Method: MethodSlashCommand,
	}
	s.addMessageLocked(m)
	return cloneMessage(*m)
}

// RecordAck records the body of a slash command's acknowledgement — an
// immediate answer with text and blocks — as Slack shows it: to user only,
// unless inChannel (response_type in_channel). The content is checked as a
// posted message's is (msg_too_long, invalid_blocks, no_text), so a bot whose
// ack Slack would refuse fails here too; the error wraps the Slack code.
func (s *Server) RecordAck(channel, user, text string, blocks json.RawMessage, inChannel bool) (Message, error) {
	hasBlocks := len(blocks) > 0 && string(blocks) != "null"
	c, aerr := parseContent(text, true, string(blocks), hasBlocks, false)
	if aerr != nil {
		return Message{}, fmt.Errorf("slackfake: acknowledgement refused: %s %v", aerr.code, aerr.messages)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &Message{
		Channel: channel, TS: s.nextTSLocked(), Text: c.text, Blocks: c.blocks, Method: MethodAck,
		ResponseType: "in_channel",
	}
	if !inChannel {
		m.Ephemeral, m.User, m.ResponseType = true, user, "ephemeral"
	}
	s.addMessageLocked(m)
	return cloneMessage(*m), nil
}

// ViewStack returns the views open for user, root first (the modal a person
// sees is the last one).
func (s *Server) ViewStack(user string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := s.st.stacks[user]
	out := make([]View, 0, len(ids))
	for _, id := range ids {
		if v, ok := s.st.viewByID[id]; ok {
			out = append(out, cloneView(*v))
		}
	}
	return out
}

// CloseView takes viewID and every view pushed above it off user's stack, as
// when a submission is answered with an empty 200 or the person closes the
// modal. It reports whether the view was open; each view closed is announced
// with EventViewClosed.
func (s *Server) CloseView(user, viewID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	stack := s.st.stacks[user]
	i := slices.Index(stack, viewID)
	if i < 0 {
		return false
	}
	closed := stack[i:]
	if i == 0 {
		delete(s.st.stacks, user)
	} else {
		s.st.stacks[user] = stack[:i:i]
	}
	for j := len(closed) - 1; j >= 0; j-- {
		if v, ok := s.st.viewByID[closed[j]]; ok {
			s.viewEventLocked(EventViewClosed, v)
		}
	}
	return true
}

// ReplaceView replaces an open view's content, as a view_submission answered
// with response_action "update" does. The view is checked as views.update
// checks it; a new hash is issued.
func (s *Server) ReplaceView(viewID string, view json.RawMessage) (View, error) {
	if len(view) > maxViewBytes {
		return View{}, errors.New("slackfake: view_too_large")
	}
	var obj map[string]any
	if err := json.Unmarshal(view, &obj); err != nil || obj == nil {
		return View{}, errors.New("slackfake: view is not a JSON object")
	}
	if problems := validateModal(obj, "/view"); len(problems) > 0 {
		return View{}, fmt.Errorf("slackfake: invalid view: %v", problems)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.st.viewByID[viewID]
	if !ok {
		return View{}, ErrNoSuchView
	}
	v.View = slices.Clone(view)
	v.Hash = s.newHashLocked()
	v.Updates++
	s.viewEventLocked(EventViewUpdated, v)
	return cloneView(*v), nil
}
