package atomsim

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiPrefix is the real API's mount point; requests may carry it or not.
const apiPrefix = "/atoms/v1"

// maxBody caps request bodies; the real API refuses large ones too.
const maxBody = 1 << 20

// request is one parsed call as the route handlers see it.
type request struct {
	method string
	path   string   // relative to the mount point, no trailing slash
	params []string // the wildcard segments, in order
	query  url.Values
	body   []byte
	header http.Header
	user   string // x-atomsim-user, else "api"
	now    time.Time
	placed *Conversation // the call the request placed, for Options.OnCall
}

func (rq *request) param(i int) string { return rq.params[i] }

type handlerFunc func(s *Simulator, rq *request) *response

// route is one endpoint. A "*" segment matches any non-empty segment.
// deprecated routes answer the migration 409 under the branch model; kept
// routes are the v1 endpoints that still work there (with Deprecation: true);
// branch routes exist only under the branch model, and their writes answer
// 423 during a config freeze.
type route struct {
	method     string
	pattern    []string
	deprecated bool
	kept       bool
	branch     bool
	write      bool
	h          handlerFunc
}

func newRoute(method, pattern string, h handlerFunc) route {
	return route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), h: h}
}

// routes lists the endpoints in Express registration order: the literal
// /versions/diff comes before /versions/{versionId}.
func routes() []route {
	dep := func(r route) route { r.deprecated = true; return r }
	kept := func(r route) route { r.kept = true; return r }
	read := func(method, pattern string, h handlerFunc) route {
		r := newRoute(method, pattern, h)
		r.branch = true
		return r
	}
	write := func(method, pattern string, h handlerFunc) route {
		r := read(method, pattern, h)
		r.write = true
		return r
	}
	return []route{
		newRoute("GET", "/agent", (*Simulator).listAgents),
		newRoute("POST", "/agent", (*Simulator).createAgent),
		newRoute("GET", "/agent/*", (*Simulator).getAgent),
		newRoute("PATCH", "/agent/*", (*Simulator).updateAgent),
		newRoute("DELETE", "/agent/*/archive", (*Simulator).archiveAgent),
		dep(newRoute("GET", "/agent/*/drafts", (*Simulator).listDrafts)),
		dep(newRoute("POST", "/agent/*/drafts", (*Simulator).forkDraft)),
		kept(newRoute("GET", "/agent/*/drafts/*", (*Simulator).getDraft)),
		dep(newRoute("PATCH", "/agent/*/drafts/*", (*Simulator).renameDraft)),
		dep(newRoute("DELETE", "/agent/*/drafts/*", (*Simulator).discardDraft)),
		dep(newRoute("PATCH", "/agent/*/drafts/*/config", (*Simulator).patchDraftConfig)),
		kept(newRoute("GET", "/agent/*/drafts/*/diff", (*Simulator).draftDiff)),
		dep(newRoute("POST", "/agent/*/drafts/*/publish", (*Simulator).publishDraft)),
		kept(newRoute("POST", "/agent/*/drafts/*/test-call", (*Simulator).draftTestCall)),
		dep(newRoute("GET", "/agent/*/versions", (*Simulator).listVersions)),
		kept(newRoute("GET", "/agent/*/versions/diff", (*Simulator).versionsDiff)),
		kept(newRoute("GET", "/agent/*/versions/*", (*Simulator).getVersion)),
		dep(newRoute("PATCH", "/agent/*/versions/*", (*Simulator).patchVersion)),
		dep(newRoute("PATCH", "/agent/*/versions/*/activate", (*Simulator).activateVersion)),
		kept(newRoute("POST", "/agent/*/versions/*/test-call", (*Simulator).versionTestCall)),
		read("GET", "/agent/*/branches", (*Simulator).listBranches),
		write("POST", "/agent/*/branches", (*Simulator).createBranch),
		read("GET", "/agent/*/branches/*", (*Simulator).getBranch),
		write("PATCH", "/agent/*/branches/*", (*Simulator).renameBranch),
		write("POST", "/agent/*/branches/*/archive", (*Simulator).archiveBranch),
		write("POST", "/agent/*/branches/*/live", (*Simulator).makeLive),
		write("PUT", "/agent/*/branches/*/draft", (*Simulator).putBranchDraft),
		read("GET", "/agent/*/branches/*/draft", (*Simulator).getBranchDraft),
		write("DELETE", "/agent/*/branches/*/draft", (*Simulator).deleteBranchDraft),
		write("POST", "/agent/*/branches/*/draft/publish", (*Simulator).publishBranchDraft),
		write("POST", "/agent/*/branches/*/draft/publish/cancel", (*Simulator).cancelBranchPublish),
		read("GET", "/agent/*/branches/*/revisions", (*Simulator).listRevisions),
		read("GET", "/agent/*/branches/*/revisions/*", (*Simulator).getRevision),
		read("GET", "/agent/*/branches/*/revisions/*/history", (*Simulator).revisionHistory),
		write("POST", "/agent/*/branches/*/revisions/*/restore", (*Simulator).restoreRevision),
		read("POST", "/agent/*/branches/*/test-call", (*Simulator).branchTestCall),
		read("GET", "/agent/*/diff", (*Simulator).diffRefs),
		newRoute("POST", "/conversation/outbound", (*Simulator).outbound),
	}
}

func (rt route) match(method string, segs []string) ([]string, bool) {
	if rt.method != method || len(rt.pattern) != len(segs) {
		return nil, false
	}
	var params []string
	for i, p := range rt.pattern {
		switch {
		case p == "*" && segs[i] != "":
			params = append(params, segs[i])
		case p != segs[i]:
			return nil, false
		}
	}
	return params, true
}

// relPath strips the /atoms/v1 prefix and trailing slashes (Express routing
// is not strict about them, so GET /agent/ is the list).
func relPath(p string) string {
	if p == apiPrefix || strings.HasPrefix(p, apiPrefix+"/") {
		p = p[len(apiPrefix):]
	}
	p = strings.TrimRight(p, "/")
	if p == "" {
		return "/"
	}
	return p
}

// ServeHTTP answers one API call: latency and faults first, then auth, the
// branch-model switch and the route.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		body = nil
	}
	s.mu.Lock()
	latency := s.faults.Latency
	applies := s.faults.applies(r.Method)
	s.mu.Unlock()
	if latency > 0 && applies {
		s.sleep(r.Context(), latency)
	}
	resp, placed, onCall := s.handle(r, body)
	if placed != nil && onCall != nil {
		onCall(*placed)
	}
	for k, vs := range resp.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// handle answers under the lock; it also returns the call the request
// placed, if any, and the OnCall hook to report it to once unlocked.
func (s *Simulator) handle(r *http.Request, body []byte) (*response, *Conversation, func(Conversation)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rq := &request{
		method: r.Method,
		path:   relPath(r.URL.Path),
		query:  r.URL.Query(),
		body:   body,
		header: r.Header,
		user:   identity(r.Header),
		now:    s.now(),
	}
	call := newCall(rq)
	// Scans that ended since the last call take effect first.
	s.settle(rq.now)
	resp, fault := s.preFault(rq.method)
	if resp == nil {
		resp = s.dispatch(r.Header, rq)
		resp, fault = s.afterFault(rq.method, resp)
	}
	call.RequestID = s.ids.uuid()
	resp.header.Set("X-Request-Id", call.RequestID)
	call.Status, call.Fault = resp.status, fault
	s.record(call)
	return resp, rq.placed, s.onCall
}

func (s *Simulator) dispatch(h http.Header, rq *request) *response {
	if s.apiKey != "" && !authorized(h, s.apiKey) {
		return errResponse(newErr(http.StatusUnauthorized, "Unauthorized: User not found"))
	}
	if len(rq.body) > maxBody {
		return errResponse(newErr(http.StatusRequestEntityTooLarge, "request entity too large"))
	}
	segs := strings.Split(strings.TrimPrefix(rq.path, "/"), "/")
	for _, rt := range s.table {
		params, ok := rt.match(rq.method, segs)
		if !ok || rt.branch && !s.branchModel {
			continue
		}
		if s.branchModel && rt.deprecated {
			return errResponse(migrationError())
		}
		// Like the migration 409, the freeze is checked before the body or
		// the ids are looked at.
		if rt.write && s.frozen {
			return errResponse(errFrozen())
		}
		rq.params = params
		resp := rt.h(s, rq)
		if s.branchModel && rt.kept {
			resp.header.Set("Deprecation", "true")
		}
		return resp
	}
	// Express answers an unmatched method+path, plain DELETE /agent/{id}
	// included, with its HTML page rather than the JSON envelope.
	return htmlNotFound(rq.method, rq.path)
}

func authorized(h http.Header, key string) bool {
	got, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(key)) == 1
}

// identity is who the call acts as: the dashboard user a test impersonates
// through x-atomsim-user, else "api" (the API key's owner).
func identity(h http.Header) string {
	if u := strings.TrimSpace(h.Get("X-Atomsim-User")); u != "" {
		return u
	}
	return "api"
}

// decodeObject parses a JSON object body; an empty body is {}.
func decodeObject(body []byte) (map[string]any, *apiError) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, newErr(http.StatusBadRequest, "Invalid JSON in request body")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("Expected object, received %s", kindOf(v))
	}
	return m, nil
}

// Lookup errors; the style differs by route family: GET /agent/{id} answers
// an unknown agent with 400 "No agent found", the versioning routes with 404.
func errInvalidAgentID() *apiError { return newErr(http.StatusBadRequest, "Invalid agent id") }
func errNoAgentFound() *apiError   { return newErr(http.StatusBadRequest, "No agent found") }
func errAgentNotFound() *apiError  { return newErr(http.StatusNotFound, "Agent not found") }
func errDraftNotFound() *apiError  { return newErr(http.StatusNotFound, "Draft not found") }
func errVersionNotFound() *apiError {
	return newErr(http.StatusNotFound, "Version not found")
}

// agentFor resolves the agent id of the path; notFound is the route's answer
// for a well-formed id that names no agent.
func (s *Simulator) agentFor(id string, notFound func() *apiError) (*agent, *apiError) {
	if !isObjectID(id) {
		return nil, errInvalidAgentID()
	}
	a := s.agents[id]
	if a == nil {
		return nil, notFound()
	}
	return a, nil
}
