package atomsim

import "time"

// BranchInfo is a snapshot of a branch, as the primary has it (no read lag).
type BranchInfo struct {
	ID               string
	Name             string
	Default          bool
	Live             bool
	Status           string // "active" or "archived"
	SourceBranchID   string
	SourceRevisionID string
	HeadRevisionID   string // "" before the first commit
	HeadNumber       int    // the head's revisionNumber; 0 without a head
	// The open draft: DraftID is "" when none is open.
	DraftID       string
	DraftRevision int
	Scanning      bool   // a publish of the draft is scanning
	CheckStatus   string // the draft's security check: "", queued, failed, errored, passed
	CheckReason   string
}

// RevisionInfo is a snapshot of a committed revision.
type RevisionInfo struct {
	ID                     string
	BranchID               string
	Number                 int // revisionNumber
	VersionNumber          int // the v1 versionNumber of a migrated version; else 0
	Label                  string
	CheckStatus            string
	PublishedBy            string
	PublishedAt            time.Time
	RestoredFromRevisionID string
	SourceDraftID          string
	Active                 bool // it is the live branch's head
}

// Branches returns the agent's branches, Main first, archived ones included.
func (s *Simulator) Branches(agentID string) ([]BranchInfo, bool) {
	info, ok := s.Agent(agentID)
	return info.Branches, ok
}

// Revisions returns a branch's committed revisions, oldest first.
func (s *Simulator) Revisions(agentID, branchID string) ([]RevisionInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.settle(now)
	a := s.agents[agentID]
	if a == nil {
		return nil, false
	}
	b := a.branch(branchID)
	if b == nil {
		return nil, false
	}
	var out []RevisionInfo
	for _, v := range a.branchRevisions(b) {
		out = append(out, RevisionInfo{
			ID: v.id, BranchID: b.id, Number: v.revisionNumber, VersionNumber: v.number, Label: v.label,
			CheckStatus: v.check.at(now).status, PublishedBy: v.publishedBy, PublishedAt: v.publishedAt,
			RestoredFromRevisionID: v.restoredFromID, SourceDraftID: v.sourceDraftID,
			Active: v.id == a.activeVersionID,
		})
	}
	return out, true
}

func (a *agent) branchInfo(b *branch) BranchInfo {
	bi := BranchInfo{
		ID: b.id, Name: b.name, Default: b.isDefault, Live: a.liveBranchID == b.id, Status: b.status,
		SourceBranchID: b.sourceBranchID, SourceRevisionID: b.sourceRevisionID, HeadRevisionID: b.headID,
	}
	if h := a.version(b.headID); h != nil {
		bi.HeadNumber = h.revisionNumber
	}
	if d := b.draft; d != nil {
		bi.DraftID, bi.DraftRevision, bi.Scanning = d.draftID, d.revision, d.scan != nil
		if d.check != nil {
			bi.CheckStatus, bi.CheckReason = d.check.status, d.check.reason
		}
	}
	return bi
}
