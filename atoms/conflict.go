package atoms

import (
	"errors"
	"slices"
	"strings"
)

// DraftConflict is a branch draft edit refused because another edit since
// its ExpectedRevision changed some of the same fields.
//
// The API answers it in two shapes. The lean one (production) lists only
// Paths; the rich one also gives the two revisions and, in Changes, the
// other edit's values (Old = the value at ExpectedRevision, New = the
// current one). Revisions are 0 and Changes nil for the lean shape.
type DraftConflict struct {
	// Paths are "<section>.<path>", e.g. "workflow_prompt.prompt",
	// "voice.synthesizer.voiceConfig.voiceId".
	Paths            []string
	ExpectedRevision int
	LatestRevision   int
	Changes          []SectionDiff
}

// conflictBody is the data member of the rich conflict answer.
type conflictBody struct {
	Conflict *struct {
		ExpectedRevision int           `json:"expectedRevision"`
		LatestRevision   int           `json:"latestRevision"`
		Diffs            []SectionDiff `json:"diffs"`
	} `json:"conflict"`
}

func (b *conflictBody) draftConflict() *DraftConflict {
	if b == nil || b.Conflict == nil {
		return nil
	}
	return &DraftConflict{
		ExpectedRevision: b.Conflict.ExpectedRevision,
		LatestRevision:   b.Conflict.LatestRevision,
		Changes:          b.Conflict.Diffs,
	}
}

// DraftConflictOf reports whether err is a draft-edit conflict and returns
// its details (a copy the caller may keep). errors.Is(err, ErrDraftConflict)
// answers the same question. base_revision_unavailable is not a conflict of
// fields: see ErrBaseRevisionUnavailable.
func DraftConflictOf(err error) (*DraftConflict, bool) {
	var ae *APIError
	if !errors.As(err, &ae) {
		return nil, false
	}
	return ae.draftConflict()
}

// draftConflict recognises a 409 that is a conflict of fields: one with a
// data.conflict member, or one without error_type whose every message is a
// conflict path (the lean shape has nothing else to tell it by).
func (e *APIError) draftConflict() (*DraftConflict, bool) {
	if e.Status != 409 || e.Type == MigrationErrorType {
		return nil, false
	}
	if e.conflict != nil {
		c := *e.conflict
		c.Changes = slices.Clone(c.Changes)
		for _, m := range e.Messages {
			if isConflictPath(m) {
				c.Paths = append(c.Paths, m)
			}
		}
		if len(c.Paths) == 0 {
			for _, s := range c.Changes {
				for _, ch := range s.Changes {
					c.Paths = append(c.Paths, joinKey(s.Section, ch.Path))
				}
			}
		}
		return &c, true
	}
	if e.Type != "" || len(e.Messages) == 0 {
		return nil, false
	}
	for _, m := range e.Messages {
		if !isConflictPath(m) {
			return nil, false
		}
	}
	return &DraftConflict{Paths: slices.Clone(e.Messages)}, true
}

// configSections are the sections of an agent's configuration, the first
// element of every conflict path.
var configSections = map[string]bool{
	"workflow_prompt": true, "workflow_tools": true, "workflow_graph": true, "llm": true,
	"voice": true, "language": true, "call_handling": true, "detection": true, "analytics": true,
	"timeouts": true, "audio": true, "privacy": true, "widget": true, "playbooks": true,
}

// isConflictPath reports whether s reads "<section>.<path>": a config
// section, a dot, then a path as diffs write it — a lower camelCase field,
// then dot-separated keys, each with optional [i] indexes. Later keys may
// hold '_' or '-': they can be names users chose (variables, say).
func isConflictPath(s string) bool {
	section, path, ok := strings.Cut(s, ".")
	if !ok || !configSections[section] {
		return false
	}
	for i, seg := range strings.Split(path, ".") {
		name, idx, _ := strings.Cut(seg, "[")
		if !validIndexes(idx) || name == "" {
			return false
		}
		if i == 0 && (name[0] < 'a' || name[0] > 'z') {
			return false
		}
		for _, r := range name {
			word := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
			if !word && (i == 0 || (r != '_' && r != '-')) {
				return false
			}
		}
	}
	return true
}

// validIndexes reports whether rest (what follows a key's first '[') is
// empty or "0]", "0][1]", …
func validIndexes(rest string) bool {
	if rest == "" {
		return true
	}
	for _, part := range strings.Split(rest, "[") {
		num, ok := strings.CutSuffix(part, "]")
		if !ok || num == "" || strings.Trim(num, "0123456789") != "" {
			return false
		}
	}
	return true
}
