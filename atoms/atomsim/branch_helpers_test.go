package atomsim

import (
	"slices"
	"testing"
	"time"
)

// testDelay is the scan delay of the branch-model tests.
const testDelay = 6 * time.Second

// newV2 is a simulator on the branch model with one fresh agent.
func newV2(t *testing.T, opts Options) (*env, string) {
	t.Helper()
	opts.BranchModel = true
	if opts.CheckDelay == 0 {
		opts.CheckDelay = testDelay
	}
	e := newEnv(t, opts)
	return e, e.createAgent(map[string]any{"name": "branchy", "firstMessage": "Hello"})
}

// summary is the part of a BranchSummary the tests read.
type summary struct {
	Branch struct {
		ID               string  `json:"_id"`
		Agent            string  `json:"agent"`
		Name             string  `json:"name"`
		IsDefault        bool    `json:"isDefault"`
		SourceBranchID   *string `json:"sourceBranchId"`
		SourceRevisionID *string `json:"sourceRevisionId"`
		HeadRevisionID   *string `json:"headRevisionId"`
		OpenDraftID      *string `json:"openDraftId"`
		Status           string  `json:"status"`
		CreatedBy        string  `json:"createdBy"`
	} `json:"branch"`
	IsLive             bool    `json:"isLive"`
	HasOpenDraft       bool    `json:"hasOpenDraft"`
	RevisionsCount     int     `json:"revisionsCount"`
	HeadRevisionNumber *int    `json:"headRevisionNumber"`
	CreatedByName      *string `json:"createdByName"`
}

func (s summary) head() string { return deref(s.Branch.HeadRevisionID) }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func bpath(agentID, branchID string, rest string) string {
	return "/agent/" + agentID + "/branches/" + branchID + rest
}

func (e *env) branches(agentID string) []summary {
	e.t.Helper()
	var out struct {
		Branches []summary `json:"branches"`
	}
	e.must(200, "GET", "/agent/"+agentID+"/branches", nil).data(e.t, &out)
	return out.Branches
}

func (e *env) branch(agentID, branchID string) summary {
	e.t.Helper()
	var out summary
	e.must(200, "GET", bpath(agentID, branchID, ""), nil).data(e.t, &out)
	return out
}

func (e *env) mainBranch(agentID string) summary {
	e.t.Helper()
	for _, b := range e.branches(agentID) {
		if b.Branch.IsDefault {
			return b
		}
	}
	e.t.Fatal("no Main branch")
	return summary{}
}

func (e *env) liveBranch(agentID string) summary {
	e.t.Helper()
	i := slices.IndexFunc(e.branches(agentID), func(s summary) bool { return s.IsLive })
	if i < 0 {
		e.t.Fatal("no live branch")
	}
	return e.branches(agentID)[i]
}

// newBranch forks a branch from src and returns its id.
func (e *env) newBranch(agentID, src, name string) string {
	e.t.Helper()
	r := e.must(201, "POST", "/agent/"+agentID+"/branches", map[string]any{"sourceBranchId": src, "name": name})
	return str(r.obj(e.t)["_id"])
}

// edit PUTs a draft edit and returns the draft row.
func (e *env) edit(agentID, branchID string, body map[string]any) map[string]any {
	e.t.Helper()
	return e.must(200, "PUT", bpath(agentID, branchID, "/draft"), body).obj(e.t)
}

// commit edits, publishes and waits out the scan; it returns the new head.
func (e *env) commit(agentID, branchID string, body map[string]any) string {
	e.t.Helper()
	e.edit(agentID, branchID, body)
	e.must(202, "POST", bpath(agentID, branchID, "/draft/publish"), nil)
	e.clock.Advance(testDelay)
	return e.branch(agentID, branchID).head()
}

func (e *env) activeOf(agentID string) string {
	e.t.Helper()
	ag := e.must(200, "GET", "/agent/"+agentID, nil).obj(e.t)
	if ag["activeVersionId"] != ag["versionId"] {
		e.t.Fatalf("activeVersionId %v != versionId %v", ag["activeVersionId"], ag["versionId"])
	}
	return str(ag["activeVersionId"])
}

// revision reads GET …/revisions/{r}.
func (e *env) revision(agentID, branchID, revID string) map[string]any {
	e.t.Helper()
	return e.must(200, "GET", bpath(agentID, branchID, "/revisions/"+revID), nil).obj(e.t)["revision"].(map[string]any)
}

// wantErr checks an error answer: status, error_type and first message.
func wantErr(t *testing.T, r reply, status int, errorType, msg string) {
	t.Helper()
	if r.status != status || r.env.ErrorType != errorType || r.env.Status || (msg != "" && r.errText() != msg) {
		t.Fatalf("got %d %s, want %d error_type %q %q", r.status, r.raw, status, errorType, msg)
	}
}
