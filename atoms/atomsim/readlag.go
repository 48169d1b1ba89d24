package atomsim

import "time"

// liveView is what reads show of an agent's branches: the live branch and
// each branch's head and revision count. With a read lag, reads see the
// view as it was before the changes of the last lag window, the way a
// lagging read replica would.
type liveView struct {
	live   string
	heads  map[string]string
	counts map[string]int
}

// lagEntry hides a change made at until-lag: until then, reads show before.
type lagEntry struct {
	until  time.Time
	before liveView
}

func (a *agent) currentView() liveView {
	v := liveView{live: a.liveBranchID, heads: map[string]string{}, counts: map[string]int{}}
	for _, b := range a.branches {
		v.heads[b.id] = b.headID
	}
	for _, r := range a.versions {
		if r.branchID != "" {
			v.counts[r.branchID]++
		}
	}
	return v
}

// noteChange is called before a commit or a make-live at time at.
func (a *agent) noteChange(at time.Time, lag time.Duration) {
	if lag <= 0 {
		return
	}
	a.lag = append(a.lag, lagEntry{until: at.Add(lag), before: a.currentView()})
}

// viewAt is the view a read at now sees: the state before the oldest change
// still inside its lag window, else the current state.
func (a *agent) viewAt(now time.Time) liveView {
	kept := a.lag[:0]
	for _, e := range a.lag {
		if now.Before(e.until) {
			kept = append(kept, e)
		}
	}
	a.lag = kept
	if len(kept) > 0 {
		return kept[0].before
	}
	return a.currentView()
}

// head is the branch's head in the view; a branch created after the view
// was taken shows its current head.
func (v liveView) head(b *branch) string {
	if h, ok := v.heads[b.id]; ok {
		return h
	}
	return b.headID
}

func (v liveView) count(a *agent, b *branch) int {
	if _, ok := v.heads[b.id]; ok {
		return v.counts[b.id]
	}
	return len(a.branchRevisions(b))
}

// servedVersionID is the activeVersionId reads answer: under the branch
// model the live branch's head as the (possibly lagging) view has it.
func (s *Simulator) servedVersionID(a *agent, now time.Time) string {
	if !s.branchModel || !a.onBranchModel() {
		return a.activeVersionID
	}
	v := a.viewAt(now)
	if b := a.branch(v.live); b != nil {
		return v.head(b)
	}
	return a.activeVersionID
}
