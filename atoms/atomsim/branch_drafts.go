package atomsim

import (
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// putBranchDraft is PUT /agent/{id}/branches/{b}/draft: it upserts the
// branch's open draft and answers 200 with the draft row. The sent fields
// are not echoed, as on v1.
func (s *Simulator) putBranchDraft(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	if e := draftWritable(b); e != nil {
		return errResponse(e)
	}
	body, e := decodeObject(rq.body)
	if e != nil {
		return errResponse(e)
	}
	expected, e := expectedRevision(body)
	if e != nil {
		return errResponse(e)
	}
	cfg := branchConfigFields(body)
	if len(cfg) == 0 {
		// Section names at the top level land here too.
		return errResponse(newErr(http.StatusBadRequest, "No recognized config fields in request body"))
	}
	if e := validateConfig(cfg); e != nil {
		return errResponse(e)
	}
	d, e := s.editDraft(a, b, cfg, expected, rq.user, rq.now)
	if e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, a.draftRowDTO(b, d))
}

// draftWritable refuses edits on an archived branch and while a publish
// scans: the scan covers the draft as it was armed, so an edit then would
// either be lost or published unscanned.
func draftWritable(b *branch) *apiError {
	if b.status != branchActive {
		return newErr(http.StatusForbidden, "An archived branch cannot receive draft edits")
	}
	if b.scanning() {
		return errPublishInProgress()
	}
	return nil
}

func expectedRevision(body map[string]any) (*int, *apiError) {
	v, ok := body["expectedRevision"]
	if !ok {
		return nil, nil
	}
	f, isNum := v.(float64)
	if !isNum || f < 0 || f != math.Trunc(f) || f > math.MaxInt32 {
		return nil, invalid("expectedRevision: Expected a non-negative integer, received %s", kindOf(v))
	}
	n := int(f)
	return &n, nil
}

// branchConfigFields are the config fields of a branch draft body: v1's
// plus playbooks.
func branchConfigFields(body map[string]any) map[string]any {
	out := configFields(body)
	if v, ok := body["playbooks"]; ok {
		out["playbooks"] = v
	}
	return out
}

// editDraft applies one validated edit, opening the draft if none is open.
// With expected set, the edit is refused if another edit after that
// draftRevision wrote one of the same leaves.
func (s *Simulator) editDraft(a *agent, b *branch, cfg map[string]any, expected *int, by string, now time.Time) (*branchDraft, *apiError) {
	if e := draftWritable(b); e != nil {
		return nil, e
	}
	d := b.draft
	if expected != nil {
		if e := s.checkConflict(d, cfg, *expected); e != nil {
			return nil, e
		}
	}
	if d == nil {
		d = s.openDraft(a, b, by, now)
	}
	s.applyBranchEdit(d, cfg, by, now)
	return d, nil
}

// openDraft opens a draft on the branch's head, or on the revision it was
// forked from while it has no commit of its own.
func (s *Simulator) openDraft(a *agent, b *branch, by string, now time.Time) *branchDraft {
	d := &branchDraft{
		draftID:   s.ids.uuid(),
		recordID:  s.ids.objectID(now),
		createdBy: by,
		createdAt: now,
		updatedAt: now,
	}
	if base := a.version(cmpOr(b.headID, b.sourceRevisionID)); base != nil {
		d.baseID, d.base, d.blocks = base.id, base.config, maps.Clone(base.blocks)
	} else {
		d.base, d.blocks = defaultConfig(a.workflowType), s.newBlocks(now)
	}
	d.config = copyConfig(d.base)
	b.draft = d
	return d
}

// applyBranchEdit merges the edit (objects deep, arrays replaced), rotates
// the touched sections' blocks and clears the row's security check: an
// edited draft must be scanned again.
func (s *Simulator) applyBranchEdit(d *branchDraft, cfg map[string]any, by string, now time.Time) {
	deepMerge(d.config, cfg)
	sections := touchedSections(cfg)
	for _, sec := range sections {
		d.blocks[sec] = s.ids.objectID(now)
	}
	d.revision++
	d.recordID = s.ids.objectID(now)
	d.updatedAt = now
	d.check = nil
	d.edits = append(d.edits, draftEdit{
		recordID: d.recordID,
		revision: d.revision,
		blocks:   maps.Clone(d.blocks),
		config:   copyConfig(d.config),
		sections: sections,
		leaves:   bodyLeaves(cfg),
		editor:   by,
		at:       now,
	})
}

// checkConflict: 409 base_revision_unavailable for a revision the draft
// never had; else 409 with the leaves this body shares with the edits made
// after expected (lean, or rich with data.conflict).
func (s *Simulator) checkConflict(d *branchDraft, cfg map[string]any, expected int) *apiError {
	latest := 0
	if d != nil {
		latest = d.revision
	}
	if expected > latest {
		return newErr(http.StatusConflict, "base_revision_unavailable")
	}
	if d == nil {
		return nil
	}
	var theirs []string
	for _, ed := range d.edits[expected:] {
		theirs = append(theirs, ed.leaves...)
	}
	var hits []string
	for _, p := range bodyLeaves(cfg) {
		if slices.ContainsFunc(theirs, func(q string) bool { return overlaps(p, q) }) {
			hits = append(hits, p)
		}
	}
	if len(hits) == 0 {
		return nil
	}
	e := &apiError{status: http.StatusConflict, messages: hits}
	if s.richConflicts {
		e.data = map[string]any{"conflict": map[string]any{
			"expectedRevision": expected,
			"latestRevision":   latest,
			"diffs":            conflictDiffs(d.configAt(expected), d.config, hits),
		}}
	}
	return e
}

// conflictDiffs is how the conflicting leaves changed since expected.
func conflictDiffs(oldCfg, newCfg map[string]any, hits []string) []sectionDiff {
	out := []sectionDiff{}
	for _, sd := range diffConfigs(branchSectionNames(), oldCfg, newCfg) {
		var kept []change
		for _, c := range sd.Changes {
			p := sd.Section + "." + c.Path
			if slices.ContainsFunc(hits, func(h string) bool { return overlaps(p, h) }) {
				kept = append(kept, c)
			}
		}
		if len(kept) > 0 {
			out = append(out, sectionDiff{Section: sd.Section, Changes: kept})
		}
	}
	return out
}

// bodyLeaves are the leaves a config body writes, as "<section>.<path>"
// with the paths diffs use. Arrays are replaced wholesale, so an array is
// one leaf; an empty object writes nothing.
func bodyLeaves(cfg map[string]any) []string {
	var out []string
	for _, sec := range branchSectionNames() {
		view := sectionView(cfg, sec)
		for _, k := range slices.Sorted(maps.Keys(view)) {
			walkLeaves(sec+"."+k, view[k], &out)
		}
	}
	return out
}

func walkLeaves(path string, v any, out *[]string) {
	switch t := v.(type) {
	case nil:
		// sectionView's placeholder for an absent workflowGraph: not written.
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			walkLeaves(path+"."+k, t[k], out)
		}
	default:
		*out = append(*out, path)
	}
}

// overlaps: one path is the other or lies inside it.
func overlaps(p, q string) bool {
	inside := func(x, y string) bool {
		return strings.HasPrefix(x, y+".") || strings.HasPrefix(x, y+"[")
	}
	return p == q || inside(p, q) || inside(q, p)
}

// getBranchDraft is GET /agent/{id}/branches/{b}/draft: the draft row, the
// edit count and the history, oldest edit first.
func (s *Simulator) getBranchDraft(rq *request) *response {
	a, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	d := b.draft
	if d == nil {
		return errResponse(errNoOpenDraft())
	}
	hist := make([]branchEditDTO, 0, len(d.edits))
	for _, ed := range d.edits {
		hist = append(hist, a.editRowDTO(b.id, d.draftID, d.baseID, d.createdBy, d.createdAt, ed))
	}
	return okResponse(http.StatusOK, map[string]any{
		"latest":      a.draftRowDTO(b, d),
		"editCount":   len(d.edits),
		"editHistory": hist,
	})
}

// deleteBranchDraft is DELETE /agent/{id}/branches/{b}/draft: 200
// {discarded:true}; the head stays what it was.
func (s *Simulator) deleteBranchDraft(rq *request) *response {
	_, b, e := s.branchFor(rq)
	if e != nil {
		return errResponse(e)
	}
	if e := discardBranchDraft(b); e != nil {
		return errResponse(e)
	}
	return okResponse(http.StatusOK, map[string]bool{"discarded": true})
}

func discardBranchDraft(b *branch) *apiError {
	if b.draft == nil {
		return errNoOpenDraft()
	}
	if b.scanning() {
		return errPublishInProgress()
	}
	b.draft = nil
	return nil
}
