package atomsim

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// seedPlan describes one demo agent's history: its version 1, the versions
// published after it (each from a draft forked off the previous one), which
// one is active, and the draft left open.
type seedPlan struct {
	name, descr, workflowType string
	creator                   string
	ageDays                   int // created this many days before now
	initial                   obj
	versions                  []seedVersion
	active                    int // version number to activate
	activatedBy               string
	draft                     seedDraft
	// mainEdits are left open on Main under the branch model (the dashboard
	// edits Main's draft slot too); v1 has no equivalent.
	mainEdits []seedEdit
}

type seedVersion struct {
	label, descr, by string
	edits            []seedEdit
}

type seedEdit struct {
	by  string
	cfg obj // body of a config PATCH
}

type seedDraft struct {
	name, by string
	edits    []seedEdit
}

// SeedDemo adds the demo agents (a support concierge, a clinic scheduler, a
// payment-reminder agent and a workflow_graph lead qualifier), each with
// 2–4 published versions by different people, an active version that is
// not always the newest, and one open draft with pending edits. Their history
// lies in the past of the clock, so every security check has passed. Agents
// whose name already exists are left alone, so seeding twice is harmless.
//
// Under the branch model the same agents get the same history, migrated:
// Main is live with the versions as its revisions and the active one as its
// head; each draft becomes a feature branch of the same name, forked from
// Main's head, with the same edits open; support-concierge also has an open
// draft on Main.
func (s *Simulator) SeedDemo() ([]AgentInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []AgentInfo
	for _, p := range seedPlans() {
		a := s.agentNamed(p.name)
		if a == nil {
			var err error
			if a, err = s.seedAgent(p, now); err != nil {
				return out, fmt.Errorf("seed %s: %w", p.name, err)
			}
		}
		out = append(out, a.info(now))
	}
	return out, nil
}

func (s *Simulator) agentNamed(name string) *agent {
	for _, id := range s.order {
		if s.agents[id].name == name {
			return s.agents[id]
		}
	}
	return nil
}

func (s *Simulator) seedAgent(p seedPlan, now time.Time) (*agent, error) {
	start := now.Add(-time.Duration(p.ageDays) * 24 * time.Hour)
	t := start
	step := func() time.Time { t = t.Add(26*time.Hour + 17*time.Minute); return t }
	a, err := s.seedHistory(p, start, step)
	if err != nil {
		return nil, err
	}
	if s.branchModel {
		return a, s.seedBranches(a, p, step)
	}
	newest := a.versions[len(a.versions)-1]
	d, e := s.fork(a, newest.id, "", p.draft.name, p.draft.by, step())
	if e != nil {
		return nil, fmt.Errorf("draft: %s", e.messages[0])
	}
	if err := s.seedEdits(d, p.draft.edits, step); err != nil {
		return nil, fmt.Errorf("draft: %w", err)
	}
	return a, nil
}

// seedHistory creates the agent at start with its versions, one step
// apart, and activates one.
func (s *Simulator) seedHistory(p seedPlan, start time.Time, step func() time.Time) (*agent, error) {
	initial, err := parseSeedConfig(p.initial)
	if err != nil {
		return nil, fmt.Errorf("version 1: %w", err)
	}
	a := s.newAgent(p.name, p.descr, p.workflowType, initial, p.creator, start)
	for i, sv := range p.versions {
		prev := a.versions[len(a.versions)-1]
		d, e := s.fork(a, prev.id, "", "", sv.by, step())
		if e != nil {
			return nil, fmt.Errorf("fork for version %d: %s", i+2, e.messages[0])
		}
		if err := s.seedEdits(d, sv.edits, step); err != nil {
			return nil, fmt.Errorf("version %d: %w", i+2, err)
		}
		s.publish(a, d, sv.label, sv.descr, sv.by, step())
	}
	if active := a.versions[p.active-1]; active.id != a.activeVersionID {
		if e := activate(a, active, p.activatedBy, step()); e != nil {
			return nil, fmt.Errorf("activate v%d: %s", p.active, e.messages[0])
		}
	}
	return a, nil
}

func (s *Simulator) seedEdits(d *draft, edits []seedEdit, next func() time.Time) error {
	for _, ed := range edits {
		cfg, err := parseSeedConfig(ed.cfg)
		if err != nil {
			return err
		}
		s.applyEdit(d, cfg, ed.by, next())
	}
	return nil
}

// obj and arr keep the seed literals short.
type (
	obj = map[string]any
	arr = []any
)

// parseSeedConfig normalizes and validates seed config exactly as a request
// body would be, so the demo data can never hold what the API would refuse.
func parseSeedConfig(raw obj) (map[string]any, error) {
	n, err := normalize(raw)
	if err != nil {
		return nil, err
	}
	cfg, _ := n.(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	if len(configFields(cfg)) != len(cfg) {
		return nil, fmt.Errorf("unrecognized config field among %v", slices.Sorted(maps.Keys(cfg)))
	}
	if e := validateConfig(cfg); e != nil {
		return nil, fmt.Errorf("invalid config: %s", e.messages[0])
	}
	return cfg, nil
}
