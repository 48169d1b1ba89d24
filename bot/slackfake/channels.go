package slackfake

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// RemoveBot takes the bot out of channel, as when it was never invited or
// was removed: Web API calls in the channel answer not_in_channel. Response
// URLs keep working there, as in Slack (they need no membership).
func (s *Server) RemoveBot(channel string) { s.setAway(channel, "not_in_channel") }

// ArchiveChannel archives channel: posts and edits there answer is_archived;
// its history can still be read.
func (s *Server) ArchiveChannel(channel string) { s.setAway(channel, "is_archived") }

// DeleteChannel deletes channel: every call about it answers
// channel_not_found.
func (s *Server) DeleteChannel(channel string) { s.setAway(channel, "channel_not_found") }

// AddBot undoes RemoveBot, ArchiveChannel and DeleteChannel for channel.
func (s *Server) AddBot(channel string) { s.setAway(channel, "") }

func (s *Server) setAway(channel, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.st.away, channel)
	} else {
		s.st.away[channel] = code
	}
	s.changedLocked(nil)
}

// channelErrLocked is Slack's answer to a call in channel the bot cannot
// make: writes fail in a channel it is not in or that is archived; reads
// fail only where it is not a member or the channel is gone.
func (s *Server) channelErrLocked(channel string, write bool) *apiError {
	code, ok := s.st.away[channel]
	if !ok || (code == "is_archived" && !write) {
		return nil
	}
	return errCode(code)
}

// parseMetadata checks chat.postMessage's metadata the way Slack does: a
// JSON object with a non-empty event_type and an object event_payload.
func parseMetadata(raw string) (json.RawMessage, *apiError) {
	var md struct {
		EventType    string         `json:"event_type"`
		EventPayload map[string]any `json:"event_payload"`
	}
	if err := json.Unmarshal([]byte(raw), &md); err != nil || md.EventType == "" || md.EventPayload == nil {
		return nil, errCode("invalid_metadata_format", "[ERROR] metadata must be an object with event_type and event_payload [json-pointer:/metadata]")
	}
	return json.RawMessage(raw), nil
}

// History defaults and bounds (conversations.history).
const (
	historyDefaultLimit = 100
	historyMaxLimit     = 999
)

// conversationsHistory lists a channel's top-level messages (and replies
// broadcast to it), newest first, between oldest and latest, in pages.
// Message metadata is included with include_all_metadata, as in Slack.
func (s *Server) conversationsHistory(req *apiRequest) (result, *apiError) {
	channel := req.param("channel")
	if channel == "" {
		return nil, errCode("channel_not_found")
	}
	if aerr := s.channelErrLocked(channel, false); aerr != nil {
		return nil, aerr
	}
	limit := historyDefaultLimit
	if v := req.param("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, errCode("invalid_limit")
		}
		limit = min(n, historyMaxLimit)
	}
	oldest, ok := parseTS(req.param("oldest"), 0)
	if !ok {
		return nil, errCode("invalid_ts_oldest")
	}
	latest, ok := parseTS(req.param("latest"), 1<<62)
	if !ok {
		return nil, errCode("invalid_ts_latest")
	}
	inclusive := req.flag("inclusive")
	offset := 0
	if c := req.param("cursor"); c != "" {
		b, err := base64.StdEncoding.DecodeString(c)
		n, cerr := strconv.Atoi(strings.TrimPrefix(string(b), "offset:"))
		if err != nil || cerr != nil || n < 0 {
			return nil, errCode("invalid_cursor")
		}
		offset = n
	}
	withMeta := req.flag("include_all_metadata")
	var matched []map[string]any
	for i := len(s.st.messages) - 1; i >= 0; i-- {
		m := s.st.messages[i]
		if m.Channel != channel || m.Ephemeral || m.Deleted || m.Author != "" || (m.ThreadTS != "" && !m.ReplyBroadcast) {
			continue
		}
		ts, _ := parseTS(m.TS, 0)
		if ts < oldest || ts > latest || (!inclusive && (ts == oldest || ts == latest)) {
			continue
		}
		w := s.wireMessage(m)
		if withMeta && m.Metadata != nil {
			w["metadata"] = m.Metadata
		}
		matched = append(matched, w)
	}
	page := matched[min(offset, len(matched)):]
	more := len(page) > limit
	if more {
		page = page[:limit]
	}
	res := result{"messages": page, "has_more": more, "pin_count": 0}
	if more {
		next := base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(offset+limit)))
		res["response_metadata"] = map[string]any{"next_cursor": next}
	}
	return res, nil
}

// parseTS reads a message ts as microseconds; "" is def.
func parseTS(ts string, def int64) (int64, bool) {
	if ts == "" {
		return def, true
	}
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || len(frac) > 6 {
		return 0, false
	}
	us := int64(0)
	if frac != "" {
		f, err := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil {
			return 0, false
		}
		us = f
	}
	return s*1e6 + us, true
}
