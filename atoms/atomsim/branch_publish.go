package atomsim

import (
	"net/http"
	"slices"
	"time"
)

// publishBranchDraft is POST /agent/{id}/branches/{b}/draft/publish
// {label?}: 200 {state:"committed", revision} when nothing needs scanning,
// else 202 {state:"scanning"} with no revision id. The scan then ends on
// the clock, check delay later (see settle).
func (s *Simulator) publishBranchDraft(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	label, e := optString(body, "label", maxLabel)
	if e != nil {
		return errResponse(e)
	}
	v, e := s.publishOnBranch(a, b, label, rq.user, rq.now)
	if e != nil {
		return errResponse(e)
	}
	if v == nil {
		return okResponse(http.StatusAccepted, map[string]string{"state": "scanning"})
	}
	return okResponse(http.StatusOK, map[string]any{"state": "committed", "revision": a.revisionDTO(v, rq.now)})
}

// publishable is what every publish checks first. Re-publishing a draft
// whose scan failed, unedited, is refused (an edit clears the failure); an
// errored scan may be retried as it is.
func publishable(b *branch) *apiError {
	switch d := b.draft; {
	case b.status != branchActive:
		return newErr(http.StatusForbidden, "An archived branch cannot be published")
	case d == nil:
		return errNoOpenDraft()
	case d.pending != nil && d.pending.state == "active":
		return errPublishInProgress()
	case d.check != nil && d.check.status == checkFailed:
		return conflictErr(errTypeScanFailed, "The draft failed its security check; edit it before publishing again")
	}
	return nil
}

// publishOnBranch commits at once a draft that needs no scan (it already
// passed, or the agent is a workflow_graph one, which is not scannable) and
// returns the revision; otherwise it arms the scan and returns nil.
func (s *Simulator) publishOnBranch(a *agent, b *branch, label, by string, now time.Time) (*version, *apiError) {
	if e := publishable(b); e != nil {
		return nil, e
	}
	d := b.draft
	if d.check != nil && d.check.status == checkPassed || a.workflowType == "workflow_graph" {
		return s.commitDraft(a, b, label, by, now, now), nil
	}
	d.pending = &pendingPublish{state: "active", startedBy: by, startedAt: now}
	d.check = &checkView{status: checkQueued, triggeredAt: now}
	d.scan = &scanJob{
		due:         now.Add(s.checkDelay),
		triggeredAt: now,
		plan:        s.takeScanPlan(a, b),
		label:       label,
		by:          by,
	}
	return nil, nil
}

// commitDraft turns the branch's draft into its next revision at time at
// and closes the draft. triggered is when its scan started.
func (s *Simulator) commitDraft(a *agent, b *branch, label, by string, at, triggered time.Time) *version {
	d := b.draft
	v := s.newRevision(a, b, d.config, d.blocks, by, at)
	v.label = label
	v.sourceDraftID = d.draftID
	v.sourceVersionID = d.baseID
	v.trail = d.edits
	v.check = checkState{triggeredAt: triggered, delay: at.Sub(triggered), plan: checkPlan{status: checkPassed}}
	b.draft = nil
	return v
}

// settle ends every scan whose delay has passed by now, in the order they
// ended, each at its own due time: the state is what it would be had a
// timer fired then. Called before each request and each direct access.
func (s *Simulator) settle(now time.Time) {
	type job struct {
		a *agent
		b *branch
	}
	var due []job
	for _, id := range s.order {
		a := s.agents[id]
		for _, b := range a.branches {
			if b.scanning() && !now.Before(b.draft.scan.due) {
				due = append(due, job{a, b})
			}
		}
	}
	slices.SortStableFunc(due, func(x, y job) int { return x.b.draft.scan.due.Compare(y.b.draft.scan.due) })
	for _, j := range due {
		s.finishScan(j.a, j.b)
	}
}

// finishScan applies a scan's plan: pass commits; fail or error leaves the
// draft open with the outcome and the head where it was.
func (s *Simulator) finishScan(a *agent, b *branch) {
	d := b.draft
	job := d.scan
	d.scan = nil
	if job.plan.status == checkPassed {
		s.commitDraft(a, b, job.label, job.by, job.due, job.triggeredAt)
		return
	}
	d.pending = nil
	d.check = &checkView{
		status:      job.plan.status,
		reason:      job.plan.reason,
		triggeredAt: job.triggeredAt,
		completedAt: job.due,
	}
}

// cancelBranchPublish is POST …/draft/publish/cancel: always 200
// {cancelled:true}. A running scan stops, its draft stays open with
// pendingPublish cancelled and no security check; a scan that already ended
// is not undone (settle ran before this request).
func (s *Simulator) cancelBranchPublish(rq *request) *response {
	_, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	cancelScan(b)
	return okResponse(http.StatusOK, map[string]bool{"cancelled": true})
}

func cancelScan(b *branch) {
	if !b.scanning() {
		return
	}
	d := b.draft
	d.scan, d.check = nil, nil
	d.pending.state = "cancelled"
}
