package slackfake

import (
	"encoding/json"
	"fmt"
	"time"
)

// Trigger and modal-stack rules: a trigger id is valid for 3 s and once; a modal stack holds three views.
const (
	triggerLifetime = 3 * time.Second
	maxViewStack    = 3
)

type trigger struct {
	user   string
	issued time.Time
	used   bool
}

// IssueTrigger returns a trigger_id for userID, as Slack puts in a slash
// command or an interaction: valid for 3 s on the injected clock (expired once
// 3 s have passed) and usable once.
//
// The first call switches the fake to strict triggers: from then on
// views.open and views.push accept only issued triggers, answering
// invalid_trigger_id, exchanged_trigger_id or expired_trigger_id otherwise.
// Until then any non-empty trigger_id is accepted and the view has no user.
func (s *Server) IssueTrigger(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.strictTriggers = true
	s.st.ids++
	now := s.now()
	id := fmt.Sprintf("%d.%d.%032x", now.UnixMilli(), s.st.ids, uint64(s.st.ids)*0x9E3779B97F4A7C15)
	s.st.triggers[id] = &trigger{user: userID, issued: now}
	return id
}

// CloseViews empties userID's modal stack, as when the user closes the modal
// or a submission is answered with an empty 200; the views stay listed.
func (s *Server) CloseViews(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.stacks, userID)
}

// checkTriggerLocked validates a trigger_id without using it up, returning
// the user it was issued for.
func (s *Server) checkTriggerLocked(id string) (string, *apiError) {
	if id == "" {
		return "", errCode("invalid_arguments", "[ERROR] missing required field: trigger_id [json-pointer:/trigger_id]")
	}
	if !s.st.strictTriggers {
		return "", nil
	}
	t, ok := s.st.triggers[id]
	switch {
	case !ok:
		return "", errCode("invalid_trigger_id")
	case t.used:
		return "", errCode("exchanged_trigger_id")
	case !s.now().Before(t.issued.Add(triggerLifetime)):
		return "", errCode("expired_trigger_id", "[ERROR] `trigger_id` expired [json-pointer:/trigger_id]")
	}
	return t.user, nil
}

func (s *Server) useTriggerLocked(id string) {
	if t, ok := s.st.triggers[id]; ok {
		t.used = true
	}
}

// requestView decodes and validates the view parameter of views.*.
func requestView(req *apiRequest) (json.RawMessage, map[string]any, *apiError) {
	raw, ok := req.raw("view")
	if !ok {
		return nil, nil, errCode("invalid_arguments", "[ERROR] missing required field: view [json-pointer:/view]")
	}
	if len(raw) > maxViewBytes {
		return nil, nil, errCode("view_too_large")
	}
	var view map[string]any
	if err := json.Unmarshal([]byte(raw), &view); err != nil || view == nil {
		return nil, nil, errCode("invalid_arguments", "[ERROR] must be an object [json-pointer:/view]")
	}
	if problems := validateModal(view, "/view"); len(problems) > 0 {
		return nil, nil, errCode("invalid_arguments", problems...)
	}
	return json.RawMessage(raw), view, nil
}

func (s *Server) newHashLocked() string {
	s.st.ids++
	return fmt.Sprintf("%d.%08x", s.now().Unix(), uint32(s.st.ids)*2654435761)
}

// wireView renders a view as views.* return it: the view as sent plus the
// fields Slack adds.
func (s *Server) wireView(v *View) map[string]any {
	out := map[string]any{}
	_ = json.Unmarshal(v.View, &out) // validated when stored
	out["id"] = v.ID
	out["team_id"] = fakeTeamID
	out["app_id"] = fakeAppID
	out["bot_id"] = fakeBotID
	out["app_installed_team_id"] = fakeTeamID
	out["hash"] = v.Hash
	out["root_view_id"] = v.RootViewID
	out["previous_view_id"] = nil
	if v.PreviousViewID != "" {
		out["previous_view_id"] = v.PreviousViewID
	}
	out["external_id"] = v.ExternalID
	out["state"] = map[string]any{"values": map[string]any{}}
	for _, k := range []string{"private_metadata", "callback_id"} {
		if _, ok := out[k]; !ok {
			out[k] = ""
		}
	}
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, ok := out[k]; !ok {
			out[k] = false
		}
	}
	return out
}

// openLocked is views.open and views.push: check the trigger, validate the
// view, then record it on the user's stack.
func (s *Server) openLocked(req *apiRequest, push bool) (result, *apiError) {
	triggerID := req.param("trigger_id")
	user, aerr := s.checkTriggerLocked(triggerID)
	if aerr != nil {
		return nil, aerr
	}
	raw, view, aerr := requestView(req)
	if aerr != nil {
		return nil, aerr
	}
	ext, _ := view["external_id"].(string)
	if ext != "" && s.viewByExternalIDLocked(ext) != nil {
		return nil, errCode("duplicate_external_id")
	}
	stack := s.st.stacks[user]
	if !push {
		stack = nil
	}
	if len(stack) >= maxViewStack {
		return nil, errCode("push_limit_reached")
	}
	v := &View{ID: s.nextIDLocked("V"), Hash: s.newHashLocked(), UserID: user, ExternalID: ext, View: raw}
	v.RootViewID = v.ID
	if len(stack) > 0 {
		v.RootViewID = stack[0]
		v.PreviousViewID = stack[len(stack)-1]
	}
	s.useTriggerLocked(triggerID)
	s.st.stacks[user] = append(stack, v.ID)
	s.st.views = append(s.st.views, v)
	s.st.viewByID[v.ID] = v
	t := EventViewOpened
	if push {
		t = EventViewPushed
	}
	s.viewEventLocked(t, v)
	return result{"view": s.wireView(v)}, nil
}

func (s *Server) viewsOpen(req *apiRequest) (result, *apiError) { return s.openLocked(req, false) }

// viewsPush pushes onto the trigger user's stack; a stack holds at most 3
// views (push_limit_reached).
func (s *Server) viewsPush(req *apiRequest) (result, *apiError) { return s.openLocked(req, true) }

func (s *Server) viewByExternalIDLocked(ext string) *View {
	for _, v := range s.st.views {
		if v.ExternalID == ext {
			return v
		}
	}
	return nil
}

// viewsUpdate replaces a view found by view_id or external_id. A hash that
// is given must be the view's current one (hash_conflict otherwise); every
// update issues a new hash.
func (s *Server) viewsUpdate(req *apiRequest) (result, *apiError) {
	id, ext := req.param("view_id"), req.param("external_id")
	if id == "" && ext == "" {
		return nil, errCode("invalid_arguments", "[ERROR] either view_id or external_id is required")
	}
	raw, _, aerr := requestView(req)
	if aerr != nil {
		return nil, aerr
	}
	v := s.st.viewByID[id]
	if id == "" {
		v = s.viewByExternalIDLocked(ext)
	}
	if v == nil {
		return nil, errCode("not_found")
	}
	if h := req.param("hash"); h != "" && h != v.Hash {
		return nil, errCode("hash_conflict")
	}
	v.View = raw
	v.Hash = s.newHashLocked()
	v.Updates++
	s.viewEventLocked(EventViewUpdated, v)
	return result{"view": s.wireView(v)}, nil
}
