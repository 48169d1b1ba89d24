package slackfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Identity the fake answers with (auth.test, message objects, views).
const (
	fakeTeamID    = "T0FAKE"
	fakeBotID     = "B0FAKEBOT"
	fakeAppID     = "A0FAKEAPP"
	fakeWorkspace = "https://fake.slack.local/"
)

// maxAPIBody bounds a Web API request body; views may be 250 kB and a
// message's blocks a little more, so this is generous without being open.
const maxAPIBody = 4 << 20

// Options configures a Server.
type Options struct {
	// Token is the bot token ("xoxb-…") requests must carry. A request
	// without a token gets not_authed, one with another token invalid_auth.
	// When empty, any non-empty token is accepted.
	Token string
	// Now is the clock for ts, hashes, trigger and response_url lifetimes.
	// Defaults to time.Now.
	Now func() time.Time
	// BotUserID is the bot's user id (auth.test, posted messages). Defaults
	// to "U0BOT".
	BotUserID string
}

// Server is the fake Slack Web API; it is an http.Handler. Its zero value is
// not usable: create one with New.
type Server struct {
	opts     Options
	now      func() time.Time
	handlers map[string]handler

	mu sync.Mutex
	st store
}

// handler answers one Web API method with s.mu held: a result to send with
// ok:true, or an error.
type handler func(req *apiRequest) (result, *apiError)

// result is the method-specific part of an ok:true answer.
type result map[string]any

// apiError is an ok:false answer. messages go to response_metadata.messages
// (and, without the "[ERROR] " prefix, to errors) the way Slack reports them.
type apiError struct {
	code     string
	messages []string
}

func errCode(code string, messages ...string) *apiError {
	return &apiError{code: code, messages: messages}
}

// New returns a fake Slack Web API.
func New(opts Options) *Server {
	if opts.BotUserID == "" {
		opts.BotUserID = "U0BOT"
	}
	s := &Server{opts: opts, now: opts.Now, st: newStore()}
	if s.now == nil {
		s.now = time.Now
	}
	s.handlers = map[string]handler{
		"auth.test":                    s.authTest,
		"chat.postMessage":             s.chatPostMessage,
		"chat.postEphemeral":           s.chatPostEphemeral,
		"chat.update":                  s.chatUpdate,
		"chat.delete":                  s.chatDelete,
		"chat.getPermalink":            s.chatGetPermalink,
		"conversations.history":        s.conversationsHistory,
		"views.open":                   s.viewsOpen,
		"views.push":                   s.viewsPush,
		"views.update":                 s.viewsUpdate,
		"files.getUploadURLExternal":   s.filesGetUploadURLExternal,
		"files.completeUploadExternal": s.filesCompleteUploadExternal,
	}
	return s
}

// SetBaseURL records the URL the fake is served at (for example an
// httptest.Server's URL, or the sandbox's mount point), so the response URLs
// and upload URLs it hands out are absolute. Without it, NewResponseURL
// returns a path and upload URLs are built from the request's Host. To serve
// the fake under a path prefix, wrap it in http.StripPrefix and pass the
// prefixed URL here.
func (s *Server) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.baseURL = strings.TrimSuffix(u, "/")
}

// ServeHTTP answers Web API methods at /<method>, response URLs at
// /response/<id> and upload URLs at /upload/<id>.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if id, ok := strings.CutPrefix(path, "response/"); ok {
		s.serveResponseURL(w, r, id)
		return
	}
	if id, ok := strings.CutPrefix(path, "upload/"); ok {
		s.serveUpload(w, r, id)
		return
	}
	req, perr := parseAPIRequest(w, r, path)
	if perr != nil {
		s.mu.Lock()
		s.recordLocked(Call{Method: path, Error: perr.code, Status: http.StatusOK})
		s.mu.Unlock()
		writeAPI(w, reply{status: http.StatusOK, err: perr})
		return
	}
	rep := s.dispatch(req)
	if rep.hold {
		// The call ran; its answer comes after the client stopped waiting.
		<-r.Context().Done()
		return
	}
	writeAPI(w, rep)
}

// reply is a whole Web API answer.
type reply struct {
	status     int
	retryAfter string // Retry-After header for 429
	res        result
	err        *apiError
	hold       bool // answer nothing until the client gives up (HoldNext)
}

func (s *Server) dispatch(req *apiRequest) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := s.answerLocked(req)
	c := Call{Method: req.method, Form: cloneValues(req.form), JSON: req.rawJSON, Status: rep.status}
	if rep.hold {
		c.Status = 0
	} else if rep.err != nil {
		c.Error = rep.err.code
	}
	s.recordLocked(c)
	return rep
}

func (s *Server) recordLocked(c Call) {
	s.st.calls = append(s.st.calls, c)
	s.changedLocked(nil)
}

// answerLocked runs the checks in Slack's order — method exists, token,
// injected faults — and then the method.
func (s *Server) answerLocked(req *apiRequest) reply {
	h, ok := s.handlers[req.method]
	if !ok {
		return reply{status: http.StatusOK, err: errCode("unknown_method")}
	}
	switch {
	case req.token == "":
		return reply{status: http.StatusOK, err: errCode("not_authed")}
	case s.opts.Token != "" && req.token != s.opts.Token:
		return reply{status: http.StatusOK, err: errCode("invalid_auth")}
	}
	rep, after, ok := s.takeFaultLocked(req)
	if ok && after == nil {
		return rep
	}
	res, aerr := h(req)
	if after != nil {
		return rep // it ran; the client does not hear how
	}
	return reply{status: http.StatusOK, res: res, err: aerr}
}

func writeAPI(w http.ResponseWriter, rep reply) {
	body := map[string]any{"ok": rep.err == nil}
	if rep.err != nil {
		body["error"] = rep.err.code
		if len(rep.err.messages) > 0 {
			errs := make([]string, len(rep.err.messages))
			for i, m := range rep.err.messages {
				errs[i] = strings.TrimPrefix(m, "[ERROR] ")
			}
			body["errors"] = errs
			body["response_metadata"] = map[string]any{"messages": rep.err.messages}
		}
	}
	for k, v := range rep.res {
		body[k] = v
	}
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	writeJSON(w, rep.status, body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		http.Error(w, "slackfake: encoding answer: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// apiRequest is a Web API call decoded from either wire format.
type apiRequest struct {
	method  string
	token   string
	form    url.Values                 // form or query parameters; nil for JSON
	json    map[string]json.RawMessage // JSON body fields; nil for forms
	rawJSON json.RawMessage
	origin  string // scheme://host the request came to, for upload URLs
}

// parseAPIRequest reads the token from Authorization: Bearer or the token
// parameter, and the parameters from the query plus a form, multipart or JSON
// body.
func parseAPIRequest(w http.ResponseWriter, r *http.Request, method string) (*apiRequest, *apiError) {
	req := &apiRequest{method: method, origin: origin(r)}
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errCode("request_too_large")
		}
		return nil, errCode("invalid_form_data")
	}
	switch ctype {
	case "application/json":
		if err := json.Unmarshal(body, &req.json); err != nil || req.json == nil {
			return nil, errCode("invalid_json")
		}
		req.rawJSON = body
	case "multipart/form-data":
		r.Body = io.NopCloser(bytes.NewReader(body))
		if err := r.ParseMultipartForm(maxAPIBody); err != nil {
			return nil, errCode("invalid_form_data")
		}
		req.form = url.Values(r.MultipartForm.Value)
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, errCode("invalid_form_data")
		}
		req.form = form
	}
	if req.form == nil {
		req.form = url.Values{}
	}
	for k, vs := range r.URL.Query() {
		if _, ok := req.form[k]; !ok {
			req.form[k] = vs
		}
	}
	if req.json != nil && len(r.URL.Query()) == 0 {
		req.form = nil
	}
	req.token = req.param("token")
	if auth, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && auth != "" {
		req.token = auth
	}
	return req, nil
}

func origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// raw returns a parameter as text: a JSON string unquoted, any other JSON
// value (an array of blocks, a view object, a bool) as its JSON text, and a
// form value as is. JSON null counts as absent.
func (r *apiRequest) raw(name string) (string, bool) {
	if v, ok := r.json[name]; ok {
		v = bytes.TrimSpace(v)
		if len(v) == 0 || string(v) == "null" {
			return "", false
		}
		if v[0] == '"' {
			var s string
			if json.Unmarshal(v, &s) == nil {
				return s, true
			}
		}
		return string(v), true
	}
	if vs, ok := r.form[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// param returns a parameter's text, "" when absent.
func (r *apiRequest) param(name string) string {
	v, _ := r.raw(name)
	return v
}

func (r *apiRequest) has(name string) bool {
	_, ok := r.raw(name)
	return ok
}

func (r *apiRequest) flag(name string) bool {
	v := r.param(name)
	return v == "true" || v == "1"
}

func (s *Server) authTest(*apiRequest) (result, *apiError) {
	return result{
		"url":     fakeWorkspace,
		"team":    "Fake Workspace",
		"user":    "atomsbot",
		"team_id": fakeTeamID,
		"user_id": s.opts.BotUserID,
		"bot_id":  fakeBotID,
	}, nil
}
