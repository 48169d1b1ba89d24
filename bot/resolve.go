package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/render"
)

// RefError is a reference (agent, draft, version) that does not resolve. Its
// message is for the user and suggests what they may have meant.
type RefError struct {
	Msg string
}

func (e *RefError) Error() string { return e.Msg }

var (
	objectID   = regexp.MustCompile(`^[a-f0-9]{24}$`)
	versionNum = regexp.MustCompile(`^[vV]([0-9]{1,9})$`)
)

// resolveAgent finds an agent by id or exact name and returns its full document.
func (h *Handler) resolveAgent(ctx context.Context, ref string) (*atoms.Agent, error) {
	if objectID.MatchString(ref) {
		a, err := h.atoms.GetAgent(ctx, ref, atoms.GetAgentOptions{})
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, atoms.ErrNotFound) {
			return nil, err
		}
	}
	found, err := h.atoms.AllAgents(ctx, ref)
	if err != nil {
		return nil, err
	}
	var exact []atoms.Agent
	for _, a := range found {
		if a.Name == ref {
			exact = append(exact, a)
		}
	}
	switch len(exact) {
	case 1:
		return h.atoms.GetAgent(ctx, exact[0].ID, atoms.GetAgentOptions{})
	case 0:
	default:
		ids := make([]string, len(exact))
		for i, a := range exact {
			ids[i] = "`" + a.ID + "`"
		}
		return nil, &RefError{Msg: fmt.Sprintf("Several agents are named “%s”; use the id: %s.", render.Escape(ref), strings.Join(ids, ", "))}
	}
	names := make([]string, 0, len(found))
	for _, a := range found {
		names = append(names, a.Name)
	}
	if len(names) == 0 {
		// Nothing contains the text: look for near misses among all agents.
		if all, err := h.atoms.AllAgents(ctx, ""); err == nil {
			for _, a := range all {
				names = append(names, a.Name)
			}
		}
	}
	return nil, &RefError{Msg: fmt.Sprintf("No agent named “%s”.%s See `/atoms agents`.", render.Escape(ref), didYouMean(ref, names))}
}

// resolveDraft finds an open draft by draft id, record id or name.
func (h *Handler) resolveDraft(ctx context.Context, agent *atoms.Agent, ref string) (atoms.Version, error) {
	drafts, err := h.atoms.ListDrafts(ctx, agent.ID)
	if err != nil {
		return atoms.Version{}, err
	}
	var byName []atoms.Version
	for _, d := range drafts {
		if d.DraftID == ref || d.ID == ref {
			return d, nil
		}
		if d.DraftName == ref {
			byName = append(byName, d)
		}
	}
	if len(byName) == 1 {
		return byName[0], nil
	}
	if len(byName) > 1 {
		return atoms.Version{}, &RefError{Msg: fmt.Sprintf("Several drafts of %s are named “%s”; use the draft id (see `/atoms drafts %s`).", render.Escape(agent.Name), render.Escape(ref), render.Escape(agent.Name))}
	}
	names := make([]string, 0, len(drafts))
	for _, d := range drafts {
		names = append(names, d.DraftName)
	}
	return atoms.Version{}, &RefError{Msg: fmt.Sprintf("%s has no open draft “%s”.%s See `/atoms drafts %s`.", render.Escape(agent.Name), render.Escape(ref), didYouMean(ref, names), render.Escape(agent.Name))}
}

// onlyDraft is the draft to use when none was named: the only open one.
func (h *Handler) onlyDraft(ctx context.Context, agent *atoms.Agent) (atoms.Version, error) {
	drafts, err := h.atoms.ListDrafts(ctx, agent.ID)
	if err != nil {
		return atoms.Version{}, err
	}
	switch len(drafts) {
	case 0:
		return atoms.Version{}, &RefError{Msg: fmt.Sprintf("%s has no open draft. Start one with `/atoms edit %s`.", render.Escape(agent.Name), render.Escape(agent.Name))}
	case 1:
		return drafts[0], nil
	}
	names := make([]string, 0, len(drafts))
	for _, d := range drafts {
		names = append(names, "“"+render.Escape(d.DraftName)+"”")
	}
	return atoms.Version{}, &RefError{Msg: fmt.Sprintf("%s has %d open drafts (%s); name the one you mean.", render.Escape(agent.Name), len(drafts), strings.Join(names, ", "))}
}

// resolveVersion finds a published version by id or vN.
func (h *Handler) resolveVersion(ctx context.Context, agent *atoms.Agent, ref string) (atoms.Version, error) {
	if m := versionNum.FindStringSubmatch(ref); m != nil {
		n, _ := strconv.Atoi(m[1])
		var newest int
		for skip := 0; ; skip += 100 {
			page, err := h.atoms.ListVersions(ctx, agent.ID, atoms.ListVersionsOptions{Limit: 100, Skip: skip})
			if err != nil {
				return atoms.Version{}, err
			}
			for _, v := range page.Versions {
				newest = max(newest, v.VersionNumber)
				if v.VersionNumber == n {
					return v, nil
				}
			}
			if len(page.Versions) < 100 || skip+100 >= page.Total {
				break
			}
		}
		return atoms.Version{}, &RefError{Msg: fmt.Sprintf("%s has no version v%d (the newest is v%d). See `/atoms versions %s`.", render.Escape(agent.Name), n, newest, render.Escape(agent.Name))}
	}
	if objectID.MatchString(ref) {
		d, err := h.atoms.GetVersion(ctx, agent.ID, ref)
		if err == nil {
			return d.Version, nil
		}
		if !errors.Is(err, atoms.ErrNotFound) {
			return atoms.Version{}, err
		}
	}
	return atoms.Version{}, &RefError{Msg: fmt.Sprintf("“%s” is not a version of %s: use vN or a version id (see `/atoms versions %s`).", render.Escape(ref), render.Escape(agent.Name), render.Escape(agent.Name))}
}

// didYouMean suggests up to three names close to ref.
func didYouMean(ref string, names []string) string {
	type cand struct {
		name string
		dist int
	}
	lref := strings.ToLower(ref)
	var cands []cand
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		ln := strings.ToLower(n)
		d := levenshtein(lref, ln)
		if strings.Contains(ln, lref) || strings.Contains(lref, ln) {
			d = min(d, 1)
		}
		if d <= max(2, len([]rune(ref))/3) {
			cands = append(cands, cand{n, d})
		}
	}
	if len(cands) == 0 {
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].dist < cands[j].dist })
	out := make([]string, 0, 3)
	for _, c := range cands[:min(3, len(cands))] {
		out = append(out, "“"+render.Escape(c.name)+"”")
	}
	return " Did you mean " + strings.Join(out, " or ") + "?"
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 200 || len(rb) > 200 {
		return max(len(ra), len(rb))
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
