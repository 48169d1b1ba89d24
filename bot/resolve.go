package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/render"
)

// RefError is a reference (agent, draft, version) that does not resolve. Its
// message is for the user and suggests what they may have meant.
type RefError struct {
	Msg string
	// Unquoted: the agent or draft named does not exist, and the words
	// after it may be the rest of its name typed without quotes.
	Unquoted bool
}

func (e *RefError) Error() string { return e.Msg }

var (
	objectID   = regexp.MustCompile(`^[a-f0-9]{24}$`)
	versionNum = regexp.MustCompile(`^[vV]([0-9]{1,9})$`)
)

// resolveAgent finds an agent by id, exact name, or a name that matches
// only when case is ignored (when exactly one agent's does).
func (h *Handler) resolveAgent(ctx context.Context, ref string) (platform.Agent, error) {
	if objectID.MatchString(ref) {
		a, err := h.atoms.Agent(ctx, ref)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, platform.ErrNotFound) {
			return platform.Agent{}, err
		}
	}
	found, err := h.atoms.Agents(ctx, ref)
	if err != nil {
		return platform.Agent{}, err
	}
	var exact, folded []platform.Agent
	for _, a := range found {
		switch {
		case a.Name == ref:
			exact = append(exact, a)
		case strings.EqualFold(a.Name, ref):
			folded = append(folded, a)
		}
	}
	switch len(exact) {
	case 1:
		return h.atoms.Agent(ctx, exact[0].ID)
	case 0:
	default:
		ids := make([]string, len(exact))
		for i, a := range exact {
			ids[i] = "`" + a.ID + "`"
		}
		return platform.Agent{}, &RefError{Msg: fmt.Sprintf("Several agents are named “%s”; use the id: %s.", render.Literal(ref), strings.Join(ids, ", "))}
	}
	switch len(folded) {
	case 1:
		return h.atoms.Agent(ctx, folded[0].ID)
	case 0:
	default:
		cands := make([]string, len(folded))
		for i, a := range folded {
			cands[i] = "“" + render.Literal(a.Name) + "” `" + render.Escape(a.ID) + "`"
		}
		return platform.Agent{}, &RefError{Msg: fmt.Sprintf("%d agents are named “%s” when case is ignored: %s. Type the name exactly, or use the id.", len(folded), render.Literal(ref), strings.Join(cands, ", "))}
	}
	names := make([]string, 0, len(found))
	for _, a := range found {
		names = append(names, a.Name)
	}
	if len(names) == 0 {
		// Nothing contains the text: look for near misses among all agents.
		if all, err := h.atoms.Agents(ctx, ""); err == nil {
			for _, a := range all {
				names = append(names, a.Name)
			}
		}
	}
	return platform.Agent{}, &RefError{Unquoted: true, Msg: fmt.Sprintf("No agent named “%s”.%s See `/atoms agents`.", render.Literal(ref), didYouMean(ref, names))}
}

// quoteHint looks at a command whose agent or draft was not found, or that
// had too many words: when words after the subcommand, joined, are an
// agent's name, or after the agent a draft's (case ignored), it is the one
// line telling how to type that name.
func (h *Handler) quoteHint(ctx context.Context, text string) (render.Message, bool) {
	words := command.Words(text)
	if len(words) < 3 {
		return render.Message{}, false
	}
	args := words[1:]
	found, err := h.atoms.Agents(ctx, args[0])
	if err != nil {
		return render.Message{}, false
	}
	names := make([]string, len(found))
	for i, a := range found {
		names[i] = a.Name
	}
	if name, ok := spannedName(args, names); ok {
		return quoteIt(name), true
	}
	if len(args) < 3 {
		return render.Message{}, false
	}
	agent, err := h.resolveAgent(ctx, args[0])
	if err != nil {
		return render.Message{}, false
	}
	drafts, err := h.atoms.Drafts(ctx, agent.ID)
	if err != nil {
		return render.Message{}, false
	}
	names = names[:0]
	for _, d := range drafts {
		names = append(names, d.Name)
	}
	if name, ok := spannedName(args[1:], names); ok {
		return quoteIt(name), true
	}
	return render.Message{}, false
}

// spannedName is the longest run of two or more of words, from the first,
// that is one of names with its spaces (case ignored).
func spannedName(words, names []string) (string, bool) {
	spaced := make([]string, len(names)) // each name with single spaces
	for i, n := range names {
		spaced[i] = strings.Join(strings.Fields(n), " ")
	}
	for k := len(words); k >= 2; k-- {
		joined := strings.Join(words[:k], " ")
		for i, n := range spaced {
			if strings.EqualFold(n, joined) {
				return names[i], true
			}
		}
	}
	return "", false
}

func quoteIt(name string) render.Message {
	q := `"` + name + `"`
	if strings.Contains(name, `"`) {
		q = "'" + name + "'"
	}
	return render.Note(":bulb: A name with spaces needs quotes — quote it: " + render.Literal(q))
}

// openDrafts lists the agent's open drafts.
func (h *Handler) openDrafts(ctx context.Context, agent platform.Agent) ([]platform.Draft, error) {
	all, err := h.atoms.Drafts(ctx, agent.ID)
	if err != nil {
		return nil, err
	}
	open := all[:0:0]
	for _, d := range all {
		if d.Open {
			open = append(open, d)
		}
	}
	return open, nil
}

// resolveDraft finds a draft by id or name: with openOnly an open one, else
// any place a draft can be edited (on branches, a branch without an open
// draft too).
func (h *Handler) resolveDraft(ctx context.Context, agent platform.Agent, ref string, openOnly bool) (platform.Draft, error) {
	drafts, err := h.atoms.Drafts(ctx, agent.ID)
	if err != nil {
		return platform.Draft{}, err
	}
	var byName []platform.Draft
	var names []string
	for _, d := range drafts {
		if openOnly && !d.Open {
			continue
		}
		if d.ID == ref {
			return d, nil
		}
		if d.Name == ref {
			byName = append(byName, d)
		}
		names = append(names, d.Name)
	}
	if len(byName) == 1 {
		return byName[0], nil
	}
	if len(byName) > 1 {
		return platform.Draft{}, &RefError{Msg: fmt.Sprintf("Several drafts of %s are named “%s”; use the draft id (see `/atoms drafts %s`).", render.Literal(agent.Name), render.Literal(ref), render.Escape(refArg(agent.Name, agent.ID)))}
	}
	for _, d := range drafts {
		if openOnly && !d.Open && (d.ID == ref || d.Name == ref) {
			return platform.Draft{}, &RefError{Msg: fmt.Sprintf("%s has no open draft on “%s”. Start one with `/atoms edit %s %s`.", render.Literal(agent.Name), render.Literal(d.Name), render.Escape(refArg(agent.Name, agent.ID)), render.Escape(refArg(d.Name, d.ID)))}
		}
	}
	return platform.Draft{}, &RefError{Unquoted: true, Msg: fmt.Sprintf("%s has no open draft “%s”.%s See `/atoms drafts %s`.", render.Literal(agent.Name), render.Literal(ref), didYouMean(ref, names), render.Escape(refArg(agent.Name, agent.ID)))}
}

// onlyDraft is the draft to use when none was named: the only open one.
func (h *Handler) onlyDraft(ctx context.Context, agent platform.Agent) (platform.Draft, error) {
	drafts, err := h.openDrafts(ctx, agent)
	if err != nil {
		return platform.Draft{}, err
	}
	switch len(drafts) {
	case 0:
		return platform.Draft{}, &RefError{Msg: fmt.Sprintf("%s has no open draft. Start one with `/atoms edit %s`.", render.Literal(agent.Name), render.Escape(refArg(agent.Name, agent.ID)))}
	case 1:
		return drafts[0], nil
	}
	names := make([]string, 0, len(drafts))
	for _, d := range drafts {
		names = append(names, "“"+render.Literal(d.Name)+"”")
	}
	return platform.Draft{}, &RefError{Msg: fmt.Sprintf("%s has %d open drafts (%s); name the one you mean.", render.Literal(agent.Name), len(drafts), strings.Join(names, ", "))}
}

// parseVersionRef reads a version as typed: an id, vN, or branch/vN.
func parseVersionRef(ref string) (platform.VersionRef, bool) {
	if objectID.MatchString(ref) {
		return platform.VersionRef{ID: ref}, true
	}
	branch, num := "", ref
	if i := strings.LastIndexByte(ref, '/'); i > 0 {
		branch, num = ref[:i], ref[i+1:]
	}
	m := versionNum.FindStringSubmatch(num)
	if m == nil {
		return platform.VersionRef{}, false
	}
	n, _ := strconv.Atoi(m[1])
	return platform.VersionRef{Branch: branch, Number: n}, true
}

// resolveVersion finds a published version by id, vN or branch/vN. A
// platform's not-found message completes "<agent> has …".
func (h *Handler) resolveVersion(ctx context.Context, agent platform.Agent, ref string) (platform.Version, error) {
	vr, ok := parseVersionRef(ref)
	if ok {
		v, err := h.atoms.Version(ctx, agent.ID, vr)
		switch {
		case err == nil:
			return v, nil
		case !errors.Is(err, platform.ErrNotFound):
			return platform.Version{}, err
		case vr.ID == "":
			return platform.Version{}, &RefError{Msg: fmt.Sprintf("%s has %s. See `/atoms versions %s`.", render.Literal(agent.Name), render.Escape(platform.Explain(err)), render.Escape(refArg(agent.Name, agent.ID)))}
		}
	}
	return platform.Version{}, &RefError{Msg: fmt.Sprintf("“%s” is not a version of %s: use vN or a version id (see `/atoms versions %s`).", render.Literal(ref), render.Literal(agent.Name), render.Escape(refArg(agent.Name, agent.ID)))}
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
		d := command.Distance(lref, ln)
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
		out = append(out, "“"+render.Literal(c.name)+"”")
	}
	return " Did you mean " + strings.Join(out, " or ") + "?"
}
