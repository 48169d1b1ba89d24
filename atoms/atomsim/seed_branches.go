package atomsim

import (
	"fmt"
	"time"
)

// seedBranches gives a seeded agent its branch-model shape: migrated (Main
// live, its versions as revisions, the active one as head), its v1 draft as
// a feature branch of the same name forked from Main's head with the same
// edits open, and the plan's Main edits open on Main.
func (s *Simulator) seedBranches(a *agent, p seedPlan, step func() time.Time) error {
	s.migrate(a)
	main := a.branches[0]
	b, e := s.forkBranch(a, main.id, p.draft.name, p.draft.by, step())
	if e != nil {
		return fmt.Errorf("branch %q: %s", p.draft.name, e.Error())
	}
	if err := s.seedBranchEdits(a, b, p.draft.edits, step); err != nil {
		return fmt.Errorf("branch %q: %w", p.draft.name, err)
	}
	if err := s.seedBranchEdits(a, main, p.mainEdits, step); err != nil {
		return fmt.Errorf("branch Main: %w", err)
	}
	return nil
}

func (s *Simulator) seedBranchEdits(a *agent, b *branch, edits []seedEdit, next func() time.Time) error {
	for _, ed := range edits {
		cfg, err := parseSeedConfig(ed.cfg)
		if err != nil {
			return err
		}
		if _, e := s.editDraft(a, b, cfg, nil, ed.by, next()); e != nil {
			return e
		}
	}
	return nil
}
