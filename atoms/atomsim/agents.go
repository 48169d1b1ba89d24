package atomsim

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// createAgent is POST /agent: 201 with the new id as data. The agent is
// versioned from birth: version 1 is published, passed and active, holding
// the platform defaults under the config fields sent at the top level.
func (s *Simulator) createAgent(rq *request) *response {
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	name, _ := body["name"].(string)
	if strings.TrimSpace(name) == "" {
		return errResponse(invalid("name: Required"))
	}
	wt := "single_prompt"
	if v, ok := body["workflowType"]; ok {
		wt, _ = v.(string)
		if !contains(validWorkflowType, wt) {
			return errResponse(invalid("workflowType: Invalid enum value. Expected 'single_prompt' | 'workflow_graph'"))
		}
	}
	descr, _ := body["description"].(string)
	cfg := configFields(body)
	if e := validateConfig(cfg); e != nil {
		return errResponse(e)
	}
	a := s.newAgent(name, descr, wt, cfg, rq.user, rq.now)
	if v, ok := body["allowInboundCall"].(bool); ok {
		a.allowInbound = v
	}
	if s.branchModel {
		// Born on the branch model: Main, live, whose head is revision 1.
		// It never was a v1 version, so it has no versionNumber.
		s.migrate(a)
		a.versions[0].number = 0
	}
	return okResponse(http.StatusCreated, a.id)
}

// newAgent stores an agent with its auto-published, active version 1.
func (s *Simulator) newAgent(name, descr, wt string, cfg map[string]any, by string, now time.Time) *agent {
	full := defaultConfig(wt)
	deepMerge(full, cfg)
	a := &agent{
		id:           s.ids.objectID(now),
		name:         name,
		description:  descr,
		workflowType: wt,
		workflowID:   s.ids.objectID(now),
		createdBy:    by,
		createdAt:    now,
		updatedAt:    now,
		allowInbound: true,
	}
	v := &version{
		id:          s.ids.objectID(now),
		number:      1,
		publishedBy: by,
		publishedAt: now,
		activatedBy: by,
		activatedAt: now,
		blocks:      s.newBlocks(now),
		config:      full,
		check:       checkState{triggeredAt: now, plan: checkPlan{status: checkPassed}},
		createdBy:   by,
		createdAt:   now,
		updatedAt:   now,
	}
	a.versions = []*version{v}
	a.activeVersionID = v.id
	s.agents[a.id] = a
	s.order = append(s.order, a.id)
	return a
}

func (s *Simulator) newBlocks(now time.Time) map[string]string {
	b := make(map[string]string, 13)
	for _, sec := range sectionNames() {
		b[sec] = s.ids.objectID(now)
	}
	return b
}

// listAgents is GET /agent in its live shape. offset is the page size (the
// spec's wording); archived=true lists only archived agents.
func (s *Simulator) listAgents(rq *request) *response {
	page, e := intParam(rq, "page", 1, 1, 1<<30)
	if e != nil {
		return errResponse(e)
	}
	size, e := intParam(rq, "offset", 10, 1, 1<<30)
	if e != nil {
		return errResponse(e)
	}
	archived := rq.query.Get("archived") == "true"
	search := strings.ToLower(strings.TrimSpace(rq.query.Get("search")))
	typ := rq.query.Get("type")
	var hits []*agent
	for _, id := range s.order {
		a := s.agents[id]
		if a.archived != archived || (typ != "" && a.workflowType != typ) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(a.name), search) {
			continue
		}
		hits = append(hits, a)
	}
	sortAgents(hits, rq.query.Get("sortField"), rq.query.Get("sortOrder"))
	total := len(hits)
	from := min((page-1)*size, total)
	to := min(from+size, total)
	items := make([]map[string]any, 0, to-from)
	for _, a := range hits[from:to] {
		items = append(items, s.agentDTO(a, a.version(s.servedVersionID(a, rq.now)), nil, false))
	}
	return okResponse(http.StatusOK, map[string]any{
		"agents":          items,
		"totalCount":      total,
		"totalPages":      (total + size - 1) / size,
		"hasMore":         to < total,
		"isSearchResults": search != "",
	})
}

func sortAgents(list []*agent, field, order string) {
	key := func(a, b *agent) int {
		switch field {
		case "name":
			return cmp.Compare(strings.ToLower(a.name), strings.ToLower(b.name))
		case "updatedAt":
			return a.updatedAt.Compare(b.updatedAt)
		case "totalCalls":
			return cmp.Compare(a.totalCalls, b.totalCalls)
		case "workflowType":
			return cmp.Compare(a.workflowType, b.workflowType)
		}
		return a.createdAt.Compare(b.createdAt)
	}
	slices.SortStableFunc(list, func(a, b *agent) int {
		c := key(a, b)
		if c == 0 {
			c = cmp.Compare(a.id, b.id) // ObjectIds grow with creation
		}
		if order != "asc" {
			c = -c
		}
		return c
	})
}

// getAgent is GET /agent/{id}; ?draftId= or ?versionId= resolve
// _resolvedConfig from that draft or version and add _configSource.
func (s *Simulator) getAgent(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errNoAgentFound)
	if e != nil {
		return errResponse(e)
	}
	// Under the branch model the active version is the live branch's head,
	// as a possibly lagging read shows it.
	active := a.version(s.servedVersionID(a, rq.now))
	var cfg map[string]any
	if active != nil {
		cfg = active.config
	}
	source := ""
	if id := rq.query.Get("draftId"); id != "" {
		cfg = a.draftConfig(id)
		if cfg == nil {
			return errResponse(errDraftNotFound())
		}
		source = "draft"
	} else if id := rq.query.Get("versionId"); id != "" {
		if !isObjectID(id) {
			return errResponse(newErr(http.StatusBadRequest, "Invalid version id"))
		}
		v := a.version(id)
		if v == nil {
			return errResponse(errVersionNotFound())
		}
		cfg, source = v.config, "version"
	}
	dto := s.agentDTO(a, active, cfg, true)
	if source != "" {
		dto["_configSource"] = source
	}
	return okResponse(http.StatusOK, dto)
}

// draftConfig is the config of an open draft by draftId: a v1 draft or a
// branch's (openDraftId).
func (a *agent) draftConfig(draftID string) map[string]any {
	if d := a.draft(draftID); d != nil {
		return d.config
	}
	if _, d := a.branchDraftByID(draftID); d != nil {
		return d.config
	}
	return nil
}

// updateAgent is PATCH /agent/{id}: metadata only on a versioned agent.
func (s *Simulator) updateAgent(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errNoAgentFound)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	if len(configFields(body)) > 0 {
		return errResponse(newErr(http.StatusBadRequest, "Agent has versioning enabled. Config changes must be made through drafts."))
	}
	if v, ok := body["name"].(string); ok && strings.TrimSpace(v) != "" {
		a.name = v
	}
	if v, ok := body["description"].(string); ok {
		a.description = v
	}
	if v, ok := body["allowInboundCall"].(bool); ok {
		a.allowInbound = v
	}
	if v, ok := body["visibleToEveryone"].(bool); ok {
		a.visibleToAll = v
	}
	a.updatedAt = rq.now
	return okResponse(http.StatusOK, a.id)
}

// archiveAgent is DELETE /agent/{id}/archive?on= (default true).
func (s *Simulator) archiveAgent(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	on := true
	if v := rq.query.Get("on"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errResponse(invalid("on: Expected boolean, received string"))
		}
		on = b
	}
	switch {
	case on && a.archived:
		return errResponse(newErr(http.StatusConflict, "Agent is already archived"))
	case !on && !a.archived:
		return errResponse(newErr(http.StatusConflict, "Agent is already active"))
	}
	a.archived, a.updatedAt = on, rq.now
	msg := "Agent unarchived"
	a.archivedAt = time.Time{}
	if on {
		msg, a.archivedAt = "Agent archived", rq.now
	}
	return okResponse(http.StatusOK, map[string]string{"message": msg})
}

// intParam parses an integer query parameter within [lo, hi].
func intParam(rq *request, name string, def, lo, hi int) (int, *apiError) {
	raw := rq.query.Get(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		return 0, invalid("%s: Number must be between %d and %d", name, lo, hi)
	}
	return n, nil
}
