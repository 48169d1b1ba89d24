package atomsim

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const maxBranchName = 100

// branchFor resolves the agent and branch of a /agent/{id}/branches/{b}
// path: 400 for a malformed id, 404 for an unknown one.
func (s *Simulator) branchFor(rq *request) (*agent, *branch, *apiError) {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return nil, nil, e
	}
	id := rq.param(1)
	if !isObjectID(id) {
		return nil, nil, newErr(http.StatusBadRequest, "Invalid branch id")
	}
	b := a.branch(id)
	if b == nil {
		return nil, nil, errBranchNotFound()
	}
	return a, b, nil
}

// listBranches is GET /agent/{id}/branches: the non-archived branches, Main
// first, then by creation.
func (s *Simulator) listBranches(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	v := a.viewAt(rq.now)
	out := []summaryDTO{}
	for _, b := range a.sortedBranches() {
		if b.status == branchActive {
			out = append(out, a.summary(b, v))
		}
	}
	return okResponse(http.StatusOK, map[string]any{"branches": out})
}

func (a *agent) sortedBranches() []*branch {
	out := slices.Clone(a.branches)
	slices.SortStableFunc(out, func(x, y *branch) int {
		if x.isDefault != y.isDefault {
			if x.isDefault {
				return -1
			}
			return 1
		}
		return cmp.Or(x.createdAt.Compare(y.createdAt), cmp.Compare(x.id, y.id))
	})
	return out
}

// getBranch is GET /agent/{id}/branches/{b}; archived branches are readable.
func (s *Simulator) getBranch(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, a.summary(b, a.viewAt(rq.now)))
}

// createBranch is POST /agent/{id}/branches {sourceBranchId, name}: 201
// with the Branch.
func (s *Simulator) createBranch(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	srcID, ok := body["sourceBranchId"].(string)
	if !ok {
		return errResponse(invalid("sourceBranchId: Required"))
	}
	if !isObjectID(srcID) {
		return errResponse(invalid("sourceBranchId: Invalid ObjectId"))
	}
	name, e := branchName(body)
	if e != nil {
		return errResponse(e)
	}
	b, e := s.forkBranch(a, srcID, name, rq.user, rq.now)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusCreated, a.branchDTO(b, b.headID))
}

// branchName reads a name of 1–100 characters, trimmed.
func branchName(body map[string]any) (string, *apiError) {
	v, ok := body["name"]
	if !ok {
		return "", invalid("name: Required")
	}
	name, isStr := v.(string)
	if !isStr {
		return "", invalid("name: Expected string, received %s", kindOf(v))
	}
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n == 0 || n > maxBranchName {
		return "", invalid("name: String must contain between 1 and %d character(s)", maxBranchName)
	}
	return name, nil
}

// nameTaken: names are unique case-insensitively among active branches,
// and "main" is reserved whatever its case.
func (a *agent) nameTaken(name string, self *branch) bool {
	if strings.EqualFold(name, mainBranchName) {
		return true
	}
	for _, b := range a.branches {
		if b != self && b.status == branchActive && strings.EqualFold(b.name, name) {
			return true
		}
	}
	return false
}

// forkBranch creates a branch from the source branch's head. The source's
// open draft is not carried: a fork is of committed config only.
func (s *Simulator) forkBranch(a *agent, srcID, name, by string, now time.Time) (*branch, *apiError) {
	src := a.branch(srcID)
	if src == nil || src.status != branchActive {
		return nil, newErr(http.StatusNotFound, "Source branch not found")
	}
	if a.nameTaken(name, nil) {
		return nil, conflictErr(errTypeNameExists, "A branch with this name already exists")
	}
	if src.headID == "" {
		return nil, conflictErr(errTypeNoCommit, "The source branch has no committed revision")
	}
	if src.draft != nil && src.draft.pending != nil && src.draft.pending.state == "active" {
		return nil, conflictErr(errTypeScanning, "The source branch has a publish still scanning")
	}
	b := &branch{
		id:               s.ids.objectID(now),
		name:             name,
		sourceBranchID:   src.id,
		sourceRevisionID: src.headID,
		status:           branchActive,
		createdBy:        by,
		updatedBy:        by,
		createdAt:        now,
		updatedAt:        now,
	}
	a.branches = append(a.branches, b)
	if s.forkCopiesHead {
		head := a.version(src.headID)
		r := s.newRevision(a, b, head.config, head.blocks, by, now)
		r.sourceVersionID = head.id
	}
	return b, nil
}

// renameBranch is PATCH /agent/{id}/branches/{b} {name}: 200 with the Branch.
func (s *Simulator) renameBranch(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	name, e := branchName(body)
	if e != nil {
		return errResponse(e)
	}
	if e := a.rename(b, name, rq.user, rq.now); e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, a.branchDTO(b, b.headID))
}

func (a *agent) rename(b *branch, name, by string, now time.Time) *apiError {
	switch {
	case b.isDefault:
		return newErr(http.StatusForbidden, "The default branch cannot be renamed")
	case b.status != branchActive:
		return newErr(http.StatusForbidden, "An archived branch cannot be renamed")
	case a.nameTaken(name, b):
		return conflictErr(errTypeNameExists, "A branch with this name already exists")
	}
	b.name, b.updatedBy, b.updatedAt = name, by, now
	return nil
}

// archiveBranch is POST /agent/{id}/branches/{b}/archive: 200
// {archived:true}. The open draft goes with it (a running scan included);
// the revisions stay readable by id. Archiving again is a no-op.
func (s *Simulator) archiveBranch(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	if e := a.archive(b, rq.user, rq.now); e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, map[string]bool{"archived": true})
}

func (a *agent) archive(b *branch, by string, now time.Time) *apiError {
	switch {
	case b.isDefault:
		return newErr(http.StatusForbidden, "The default branch cannot be archived")
	case a.liveBranchID == b.id:
		return newErr(http.StatusForbidden, "The live branch cannot be archived")
	case b.status == branchArchived:
		return nil
	}
	b.status, b.draft, b.updatedBy, b.updatedAt = branchArchived, nil, by, now
	return nil
}

// makeLive is POST /agent/{id}/branches/{b}/live: 200 with the summary.
func (s *Simulator) makeLive(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	if e := s.goLive(a, b, rq.user, rq.now); e != nil {
		return errResponse(e)
	}
	// The answer is the primary's, not a lagging read.
	return okResponse(http.StatusOK, a.summary(b, a.currentView()))
}

// goLive makes b the live branch: its head serves from now on and the
// previously live branch stops being live. The head must have passed its
// scan; making the live branch live again changes nothing.
func (s *Simulator) goLive(a *agent, b *branch, by string, now time.Time) *apiError {
	if b.status != branchActive {
		return newErr(http.StatusForbidden, "An archived branch cannot be made live")
	}
	head := a.version(b.headID)
	if head == nil {
		return errNoCommittedRevision()
	}
	if head.check.at(now).status != checkPassed {
		return newErr(http.StatusForbidden, "The head revision has not passed the security check")
	}
	if a.liveBranchID == b.id {
		return nil
	}
	a.noteChange(now, s.readLag)
	a.liveBranchID, a.activeVersionID = b.id, head.id
	head.activatedBy, head.activatedAt = by, now
	a.updatedAt = now
	return nil
}
