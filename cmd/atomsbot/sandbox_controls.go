package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

// dashboardUser is who the sandbox's controls act as in the simulated
// dashboard: the name the bot's watch announcement shows.
const dashboardUser = "dana (Atoms dashboard)"

// simFailReason is the reason the simulated scanner gives for a check the
// page asked to fail.
const simFailReason = "the sandbox was asked to fail this check"

// simControls are the page's controls over the simulated Atoms: the
// scanner's next verdict and the dashboard's way of changing what is live,
// on either versioning model.
type simControls struct{ sim *atomsim.Simulator }

func (c simControls) Agents(context.Context) ([]string, error) {
	var out []string
	for _, a := range c.sim.Agents() {
		if !a.Archived {
			out = append(out, a.Name)
		}
	}
	return out, nil
}

func (c simControls) agent(name string) (atomsim.AgentInfo, error) {
	for _, a := range c.sim.Agents() {
		if a.Name == name && !a.Archived {
			return a, nil
		}
	}
	return atomsim.AgentInfo{}, fmt.Errorf("there is no agent named %q", name)
}

func (c simControls) FailNextCheck(_ context.Context, name string) (string, error) {
	a, err := c.agent(name)
	if err != nil {
		return "", err
	}
	if err := c.sim.FailNextCheck(a.ID, "failed", simFailReason); err != nil {
		return "", fmt.Errorf("the simulator refused: %w", err)
	}
	return fmt.Sprintf("The next security check of %s will fail. Promote one of its drafts to see what atomsbot does then.", a.Name), nil
}

// ChangeLive makes the newest other version that passed its check live:
// activated on the drafts model, restored as the live branch's new head
// on the branch model (what the dashboard does). Done twice, it switches
// back.
func (c simControls) ChangeLive(_ context.Context, name string) (string, error) {
	a, err := c.agent(name)
	if err != nil {
		return "", err
	}
	if a.LiveBranchID == "" {
		return c.activate(a)
	}
	return c.restore(a)
}

func (c simControls) activate(a atomsim.AgentInfo) (string, error) {
	for i := len(a.Versions) - 1; i >= 0; i-- {
		v := a.Versions[i]
		if v.Active || v.CheckStatus != "passed" {
			continue
		}
		if err := c.sim.ActivateDirect(a.ID, v.ID, dashboardUser); err != nil {
			return "", fmt.Errorf("the dashboard could not activate v%d: %w", v.Number, err)
		}
		return fmt.Sprintf("In the Atoms dashboard, %s activated v%d of %s: it is live now.", dashboardUser, v.Number, a.Name), nil
	}
	return "", errors.New(a.Name + " has no other version that passed its security check")
}

// restore restores the newest other revision of the live branch that
// passed its check; when the live branch has none (a branch just made live
// by a promotion), it makes another branch live, Main first.
func (c simControls) restore(a atomsim.AgentInfo) (string, error) {
	live := branchNamed(a, a.LiveBranchID)
	revs, _ := c.sim.Revisions(a.ID, a.LiveBranchID)
	for i := len(revs) - 1; i >= 0; i-- {
		r := revs[i]
		if r.Active || r.CheckStatus != "passed" {
			continue
		}
		if _, err := c.sim.DashboardRestore(a.ID, a.LiveBranchID, r.ID, dashboardUser); err != nil {
			return "", fmt.Errorf("the dashboard could not restore v%d on %s: %w", r.Number, live, err)
		}
		return fmt.Sprintf("In the Atoms dashboard, %s restored v%d on %s of %s: it is live now, as a new revision.", dashboardUser, r.Number, live, a.Name), nil
	}
	branches := append([]atomsim.BranchInfo(nil), a.Branches...)
	slices.SortStableFunc(branches, func(x, y atomsim.BranchInfo) int {
		return cmp.Compare(boolRank(!x.Default), boolRank(!y.Default))
	})
	for _, b := range branches {
		if b.Live || b.Status != "active" || b.HeadRevisionID == "" || !c.headPassed(a.ID, b) {
			continue
		}
		if err := c.sim.DashboardMakeLive(a.ID, b.ID, dashboardUser); err != nil {
			return "", fmt.Errorf("the dashboard could not make %s live: %w", b.Name, err)
		}
		return fmt.Sprintf("In the Atoms dashboard, %s made the branch %s of %s live (v%d): it is live now.", dashboardUser, b.Name, a.Name, b.HeadNumber), nil
	}
	return "", errors.New(a.Name + " has no other version that passed its security check")
}

func (c simControls) headPassed(agentID string, b atomsim.BranchInfo) bool {
	revs, _ := c.sim.Revisions(agentID, b.ID)
	for _, r := range revs {
		if r.ID == b.HeadRevisionID {
			return r.CheckStatus == "passed"
		}
	}
	return false
}

func branchNamed(a atomsim.AgentInfo, id string) string {
	for _, b := range a.Branches {
		if b.ID == id {
			return b.Name
		}
	}
	return id
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
