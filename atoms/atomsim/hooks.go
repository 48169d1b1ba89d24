package atomsim

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The hooks below act as a named dashboard user, directly (no HTTP, no
// faults), through the same rules as the API, a config freeze included.
// Their errors wrap ErrNotFound, ErrInvalid, ErrForbidden, ErrConflict,
// ErrFrozen, ErrCheckFailed or ErrNotBranchModel.

// SetFrozen switches a config freeze on or off: every branch-model write
// answers 423 config_freeze_active; reads and test calls pass.
func (s *Simulator) SetFrozen(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frozen = on
}

// SetConflictShape picks the draft conflict's 409: rich (with data.conflict,
// as dev answers) or lean (paths only, as production answers).
func (s *Simulator) SetConflictShape(rich bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.richConflicts = rich
}

// SetReadLag sets the read-back lag of later commits and make-lives (see
// Options.ReadLag); 0 switches it off for them.
func (s *Simulator) SetReadLag(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readLag = max(d, 0)
}

// SetForkCopiesHead: see Options.ForkCopiesHead.
func (s *Simulator) SetForkCopiesHead(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forkCopiesHead = on
}

// SetListScanningDraft: see Options.ListScanningDraft.
func (s *Simulator) SetListScanningDraft(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listScanning = on
}

// SetScanOutcome decides how the next scan started on the branch ends:
// status "pass", "fail" or "error" ("passed", "failed", "errored" work
// too), with reason as the check's reason. It wins over FailNextCheck.
func (s *Simulator) SetScanOutcome(agentID, branchID, status, reason string) error {
	var plan checkPlan
	switch status {
	case "pass", checkPassed:
		plan.status = checkPassed
	case "fail", checkFailed:
		plan = checkPlan{status: checkFailed, reason: reason}
	case "error", checkErrored:
		plan = checkPlan{status: checkErrored, reason: reason}
	default:
		return fmt.Errorf("%w: %q (want pass, fail or error)", ErrInvalidStatus, status)
	}
	return s.onBranch(agentID, branchID, "set scan outcome", false, func(_ *agent, b *branch, _ time.Time) error {
		b.nextScan = &plan
		return nil
	})
}

// DashboardEditDraft edits the branch's draft with cfg (a config partial
// as PUT draft takes it), opening one if none is open, last write wins. It
// returns the draft's new draftRevision.
func (s *Simulator) DashboardEditDraft(agentID, branchID string, cfg map[string]any, by string) (int, error) {
	rev := 0
	err := s.onBranch(agentID, branchID, "edit draft", true, func(a *agent, b *branch, now time.Time) error {
		d, e := s.dashboardEdit(a, b, cfg, by, now)
		if e != nil {
			return e
		}
		rev = d.revision
		return nil
	})
	return rev, err
}

func (s *Simulator) dashboardEdit(a *agent, b *branch, cfg map[string]any, by string, now time.Time) (*branchDraft, *apiError) {
	parsed, err := parseSeedConfig(cfg)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return s.editDraft(a, b, parsed, nil, by, now)
}

// DashboardPublish edits the branch's draft with cfg (nil or empty: publish
// the open draft as it is) and publishes it with the scan resolved at once:
// it commits unless the planned outcome (SetScanOutcome, FailNextCheck) is a
// failure, in which case the draft keeps it and the error wraps
// ErrCheckFailed. On the live branch the new revision goes live, as a
// dashboard publish does. It returns the new revision's id.
func (s *Simulator) DashboardPublish(agentID, branchID string, cfg map[string]any, by string) (string, error) {
	id := ""
	err := s.onBranch(agentID, branchID, "publish", true, func(a *agent, b *branch, now time.Time) error {
		if len(cfg) > 0 {
			if _, e := s.dashboardEdit(a, b, cfg, by, now); e != nil {
				return e
			}
		}
		if e := publishable(b); e != nil {
			return e
		}
		plan := checkPlan{status: checkPassed}
		if a.workflowType != "workflow_graph" {
			plan = s.takeScanPlan(a, b)
		}
		if plan.status != checkPassed {
			b.draft.check = &checkView{status: plan.status, reason: plan.reason, triggeredAt: now, completedAt: now}
			return fmt.Errorf("scan %s (%s): %w", plan.status, plan.reason, ErrCheckFailed)
		}
		id = s.commitDraft(a, b, "", by, now, now).id
		return nil
	})
	return id, err
}

// DashboardMakeLive makes the branch live, as the dashboard's "Make live".
func (s *Simulator) DashboardMakeLive(agentID, branchID, by string) error {
	return s.onBranch(agentID, branchID, "make live", true, func(a *agent, b *branch, now time.Time) error {
		if e := s.goLive(a, b, by, now); e != nil {
			return e
		}
		return nil
	})
}

// DashboardRestore restores a revision of the branch as its new head (live
// at once on the live branch) and returns the new revision's id.
func (s *Simulator) DashboardRestore(agentID, branchID, revisionID, by string) (string, error) {
	id := ""
	err := s.onBranch(agentID, branchID, "restore", true, func(a *agent, b *branch, now time.Time) error {
		src := a.version(revisionID)
		if src == nil || src.branchID != b.id {
			return errRevisionNotFound()
		}
		r, e := s.restore(a, b, src, by, now)
		if e != nil {
			return e
		}
		id = r.id
		return nil
	})
	return id, err
}

// DashboardFork creates a branch named name from the source branch's head
// and returns its id.
func (s *Simulator) DashboardFork(agentID, sourceBranchID, name, by string) (string, error) {
	id := ""
	err := s.onBranch(agentID, sourceBranchID, "fork", true, func(a *agent, src *branch, now time.Time) error {
		nb, e := branchName(map[string]any{"name": name})
		if e != nil {
			return e
		}
		b, e := s.forkBranch(a, src.id, nb, by, now)
		if e != nil {
			return e
		}
		id = b.id
		return nil
	})
	return id, err
}

// DashboardArchive archives the branch (its open draft goes with it).
func (s *Simulator) DashboardArchive(agentID, branchID, by string) error {
	return s.onBranch(agentID, branchID, "archive", true, func(a *agent, b *branch, now time.Time) error {
		if e := a.archive(b, by, now); e != nil {
			return e
		}
		return nil
	})
}

// onBranch runs f on a branch under the lock, after due scans have ended.
// A write is refused during a config freeze, as on the API.
func (s *Simulator) onBranch(agentID, branchID, op string, write bool, f func(*agent, *branch, time.Time) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.branchModel {
		return fmt.Errorf("%s: %w", op, ErrNotBranchModel)
	}
	now := s.now()
	s.settle(now)
	a := s.agents[agentID]
	if a == nil {
		return fmt.Errorf("%s: agent %s: %w", op, agentID, ErrNotFound)
	}
	b := a.branch(branchID)
	if b == nil {
		return fmt.Errorf("%s: branch %s: %w", op, branchID, ErrNotFound)
	}
	var err error
	if write && s.frozen {
		err = errFrozen()
	} else {
		err = f(a, b, now)
	}
	if err == nil {
		return nil
	}
	var e *apiError
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", op, err)
	}
	kind := errors.New("atomsim: unexpected status")
	switch e.status {
	case http.StatusBadRequest:
		kind = ErrInvalid
	case http.StatusForbidden:
		kind = ErrForbidden
	case http.StatusNotFound:
		kind = ErrNotFound
	case http.StatusConflict:
		kind = ErrConflict
	case http.StatusLocked:
		kind = ErrFrozen
	}
	return fmt.Errorf("%s: %s: %w", op, e.Error(), kind)
}
