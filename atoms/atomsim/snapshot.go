package atomsim

import "time"

// AgentInfo is a snapshot of one agent for tests and the sandbox.
type AgentInfo struct {
	ID              string
	Name            string
	WorkflowType    string
	Archived        bool
	ActiveVersionID string
	TotalCalls      int
	Versions        []VersionInfo // oldest first; under the branch model every branch's revisions
	Drafts          []DraftInfo   // open v1 drafts, oldest first
	// The branch model (empty until the agent is on it).
	LiveBranchID string
	Branches     []BranchInfo // Main first, then by creation; archived ones included
}

// VersionInfo is a snapshot of a published version.
type VersionInfo struct {
	ID            string
	Number        int
	Label         string
	Active        bool
	CheckStatus   string // as the API would answer it now
	CheckReason   string
	SourceDraftID string
	PublishedBy   string
	PublishedAt   time.Time
	ActivatedBy   string
	ActivatedAt   time.Time
	// Branch model: the branch it is a revision of and its number there
	// (Number, the v1 versionNumber, is 0 for revisions committed on a branch).
	BranchID       string
	RevisionNumber int
}

// DraftInfo is a snapshot of an open draft.
type DraftInfo struct {
	DraftID         string
	RecordID        string
	Name            string
	Revision        int
	SourceVersionID string
	LastEditor      string
}

// Agents returns every agent, archived ones included, in creation order.
func (s *Simulator) Agents() []AgentInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.settle(now)
	out := make([]AgentInfo, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.agents[id].info(now))
	}
	return out
}

// Agent returns one agent by id.
func (s *Simulator) Agent(id string) (AgentInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.agents[id]
	if a == nil {
		return AgentInfo{}, false
	}
	now := s.now()
	s.settle(now)
	return a.info(now), true
}

// Config returns a copy of the full config, defaults included, of a
// published version or branch revision (by id), of an open v1 or branch
// draft (by draftId), or of a branch's open draft by "<branchId>:draft".
func (s *Simulator) Config(agentID, id string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settle(s.now())
	a := s.agents[agentID]
	if a == nil {
		return nil, false
	}
	if v := a.version(id); v != nil {
		return copyConfig(v.config), true
	}
	if cfg := a.draftConfig(id); cfg != nil {
		return copyConfig(cfg), true
	}
	if cfg, e := a.configByRef(id); e == nil {
		return copyConfig(cfg), true
	}
	return nil, false
}

func (a *agent) info(now time.Time) AgentInfo {
	ai := AgentInfo{
		ID: a.id, Name: a.name, WorkflowType: a.workflowType, Archived: a.archived,
		ActiveVersionID: a.activeVersionID, TotalCalls: a.totalCalls,
	}
	for _, v := range a.versions {
		ch := v.check.at(now)
		ai.Versions = append(ai.Versions, VersionInfo{
			ID: v.id, Number: v.number, Label: v.label, Active: v.id == a.activeVersionID,
			CheckStatus: ch.status, CheckReason: ch.reason, SourceDraftID: v.sourceDraftID,
			PublishedBy: v.publishedBy, PublishedAt: v.publishedAt,
			ActivatedBy: v.activatedBy, ActivatedAt: v.activatedAt,
			BranchID: v.branchID, RevisionNumber: v.revisionNumber,
		})
	}
	for _, d := range a.drafts {
		ai.Drafts = append(ai.Drafts, DraftInfo{
			DraftID: d.draftID, RecordID: d.recordID, Name: d.name, Revision: d.revision,
			SourceVersionID: d.sourceVersionID, LastEditor: d.lastEditor(),
		})
	}
	ai.LiveBranchID = a.liveBranchID
	for _, b := range a.sortedBranches() {
		ai.Branches = append(ai.Branches, a.branchInfo(b))
	}
	return ai
}
