package slackfake

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// tsPattern is the shape of a Slack message ts.
var tsPattern = regexp.MustCompile(`^\d+\.\d+$`)

// content is a message's validated text and blocks.
type content struct {
	text    string
	hasText bool
	blocks  json.RawMessage // as received; nil when not sent
}

// parseContent applies Slack's checks on message content: text length
// (msg_too_long), blocks that are not a JSON array (invalid_blocks_format),
// Block Kit violations (invalid_blocks), and neither text nor blocks nor
// attachments (no_text).
func parseContent(text string, hasText bool, blocks string, hasBlocks, hasAttachments bool) (content, *apiError) {
	c := content{text: text, hasText: hasText}
	if utf8.RuneCountInString(text) > maxMessageText {
		return c, errCode("msg_too_long", fmt.Sprintf("[ERROR] must be less than %d characters [json-pointer:/text]", maxMessageText+1))
	}
	n := 0
	if hasBlocks {
		v := &validator{}
		decoded, ok := validateBlocksJSON(blocks, "/blocks", maxMessageBlocks, v)
		if !ok {
			return c, errCode("invalid_blocks_format", "[ERROR] blocks must be a JSON array [json-pointer:/blocks]")
		}
		if len(v.problems) > 0 {
			return c, errCode("invalid_blocks", v.problems...)
		}
		n = len(decoded)
		c.blocks = json.RawMessage(blocks)
	}
	if text == "" && n == 0 && !hasAttachments {
		return c, errCode("no_text")
	}
	return c, nil
}

func (s *Server) requestContent(req *apiRequest) (content, *apiError) {
	text, hasText := req.raw("text")
	blocks, hasBlocks := req.raw("blocks")
	return parseContent(text, hasText, blocks, hasBlocks, req.has("attachments"))
}

// threadParentLocked resolves thread_ts the way Slack does: a reply to a
// reply lands under the thread's parent. Stricter than Slack, which silently
// accepts a reply to a ts that does not exist: a bot doing that has a bug the
// tests should see, so the fake answers thread_not_found.
func (s *Server) threadParentLocked(channel, threadTS string) (string, *apiError) {
	if threadTS == "" {
		return "", nil
	}
	if !tsPattern.MatchString(threadTS) {
		return "", errCode("invalid_thread_ts", fmt.Sprintf("[ERROR] %s is not a valid thread_ts", threadTS))
	}
	parent, ok := s.liveMessageLocked(channel, threadTS)
	if !ok {
		return "", errCode("thread_not_found")
	}
	if parent.ThreadTS != "" {
		return parent.ThreadTS, nil
	}
	return parent.TS, nil
}

// wireMessage renders a message the way chat.postMessage and chat.update
// return it.
func (s *Server) wireMessage(m *Message) map[string]any {
	out := map[string]any{
		"type":    "message",
		"user":    s.opts.BotUserID,
		"bot_id":  fakeBotID,
		"app_id":  fakeAppID,
		"team":    fakeTeamID,
		"text":    m.Text,
		"ts":      m.TS,
		"subtype": "bot_message",
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Edits > 0 {
		out["edited"] = map[string]any{"user": s.opts.BotUserID, "ts": m.TS}
	}
	return out
}

// newPostLocked reads what every chat.post* call carries — the channel, the
// content and the thread — into a message with a fresh ts.
func (s *Server) newPostLocked(req *apiRequest) (*Message, *apiError) {
	channel := req.param("channel")
	if channel == "" {
		return nil, errCode("channel_not_found")
	}
	if aerr := s.channelErrLocked(channel, true); aerr != nil {
		return nil, aerr
	}
	c, aerr := s.requestContent(req)
	if aerr != nil {
		return nil, aerr
	}
	thread, aerr := s.threadParentLocked(channel, req.param("thread_ts"))
	if aerr != nil {
		return nil, aerr
	}
	return &Message{Channel: channel, TS: s.nextTSLocked(), ThreadTS: thread, Text: c.text, Blocks: c.blocks}, nil
}

func (s *Server) chatPostMessage(req *apiRequest) (result, *apiError) {
	m, aerr := s.newPostLocked(req)
	if aerr != nil {
		return nil, aerr
	}
	if raw, ok := req.raw("metadata"); ok {
		if m.Metadata, aerr = parseMetadata(raw); aerr != nil {
			return nil, aerr
		}
	}
	m.Method = MethodPostMessage
	m.ReplyBroadcast = m.ThreadTS != "" && req.flag("reply_broadcast")
	s.addMessageLocked(m)
	return result{"channel": m.Channel, "ts": m.TS, "message": s.wireMessage(m)}, nil
}

func (s *Server) chatPostEphemeral(req *apiRequest) (result, *apiError) {
	if req.param("channel") != "" && req.param("user") == "" {
		return nil, errCode("user_not_found")
	}
	m, aerr := s.newPostLocked(req)
	if aerr != nil {
		return nil, aerr
	}
	m.User, m.Ephemeral, m.Method = req.param("user"), true, MethodPostEphemeral
	s.addMessageLocked(m)
	return result{"message_ts": m.TS}, nil
}

// chatUpdate edits a bot message in place. Text or blocks left out of the
// request keep their current value; blocks=[] clears the blocks. Ephemeral
// messages cannot be updated (message_not_found), as in Slack.
func (s *Server) chatUpdate(req *apiRequest) (result, *apiError) {
	channel, ts := req.param("channel"), req.param("ts")
	if channel == "" {
		return nil, errCode("channel_not_found")
	}
	if ts == "" {
		return nil, errCode("invalid_arguments", "[ERROR] missing required field: ts")
	}
	if aerr := s.channelErrLocked(channel, true); aerr != nil {
		return nil, aerr
	}
	m, ok := s.liveMessageLocked(channel, ts)
	if !ok {
		return nil, errCode("message_not_found")
	}
	c, aerr := s.requestContent(req)
	if aerr != nil {
		return nil, aerr
	}
	s.editMessageLocked(m, c.text, c.hasText, c.blocks)
	return result{"channel": channel, "ts": ts, "text": m.Text, "message": s.wireMessage(m)}, nil
}

func (s *Server) chatDelete(req *apiRequest) (result, *apiError) {
	channel, ts := req.param("channel"), req.param("ts")
	if channel == "" {
		return nil, errCode("channel_not_found")
	}
	m, ok := s.liveMessageLocked(channel, ts)
	if !ok {
		return nil, errCode("message_not_found")
	}
	s.deleteMessageLocked(m)
	return result{"channel": channel, "ts": ts}, nil
}

// chatGetPermalink answers https://fake.slack.local/archives/<C>/p<ts
// without the dot>, with ?thread_ts=…&cid=… for replies as Slack does.
func (s *Server) chatGetPermalink(req *apiRequest) (result, *apiError) {
	channel, ts := req.param("channel"), req.param("message_ts")
	if channel == "" {
		return nil, errCode("channel_not_found")
	}
	m, ok := s.liveMessageLocked(channel, ts)
	if !ok {
		return nil, errCode("message_not_found")
	}
	link := fmt.Sprintf("%sarchives/%s/p%s", fakeWorkspace, channel, strings.ReplaceAll(ts, ".", ""))
	if m.ThreadTS != "" {
		link += fmt.Sprintf("?thread_ts=%s&cid=%s", m.ThreadTS, channel)
	}
	return result{"channel": channel, "permalink": link}, nil
}
