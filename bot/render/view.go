package render

import (
	"fmt"
	"strings"

	"github.com/atomsbot/atomsbot/atoms/platform"
)

// changeView is one change, decoded and classified for display.
type changeView struct {
	sec      int
	path     string
	old, new value
	// lines is the line diff of a long change (nil for inline ones).
	lines          []string
	added, removed int
	// same marks a change the API reports between values that display
	// identically (JSON re-encoded); it is shown once, marked.
	same bool
}

func (c changeView) isLong() bool { return c.lines != nil }

type sectionView struct {
	raw     string
	changes []int // indexes into diffView.changes
}

// diffView is the diff decoded once, shared by Diff and DiffText.
type diffView struct {
	sections  []sectionView
	changes   []changeView
	unchanged []string
}

func newDiffView(d platform.Diff, ctx int) diffView {
	var v diffView
	for _, s := range d.Sections {
		if len(s.Changes) == 0 {
			continue
		}
		sv := sectionView{raw: s.Section}
		for _, c := range s.Changes {
			sv.changes = append(sv.changes, len(v.changes))
			v.changes = append(v.changes, newChangeView(len(v.sections), c, ctx))
		}
		v.sections = append(v.sections, sv)
	}
	v.unchanged = d.Unchanged
	return v
}

func newChangeView(sec int, c platform.Change, ctx int) changeView {
	cv := changeView{sec: sec, path: c.Path, old: parseValue(c.Old), new: parseValue(c.New)}
	if !cv.old.long() && !cv.new.long() {
		cv.same = cv.old.inline() == cv.new.inline()
		return cv
	}
	lines := lineDiff(cv.old.text(), cv.new.text(), ctx)
	if len(lines) == 0 {
		// Same text, different JSON (a string "1…" against a number
		// 1…): only the inline forms tell them apart.
		lines = lineDiff(cv.old.inline(), cv.new.inline(), ctx)
	}
	if len(lines) == 0 {
		// The same value, differently encoded: nothing a reader could see.
		cv.same = true
		return cv
	}
	if cv.old.unset || cv.new.unset {
		// A pure addition or removal: the hunk header says nothing.
		lines = lines[1:]
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "+"):
			cv.added++
		case strings.HasPrefix(l, "-"):
			cv.removed++
		}
	}
	cv.lines = lines
	return cv
}

// lineDiff is LineDiff, quiet about a missing final newline when neither
// side has one (prompts rarely do); a newline added or removed at the end
// is still shown.
func lineDiff(old, new string, ctx int) []string {
	if !strings.HasSuffix(old, "\n") && !strings.HasSuffix(new, "\n") {
		old, new = terminate(old), terminate(new)
	}
	return LineDiff(old, new, ctx)
}

func terminate(s string) string {
	if s == "" {
		return s
	}
	return s + "\n"
}

// verb says what happened to a long value.
func (c changeView) verb() string {
	switch {
	case c.old.unset:
		return "added"
	case c.new.unset:
		return "removed"
	}
	return fmt.Sprintf("changed (+%d −%d %s)", c.added, c.removed, plural(c.added+c.removed, "line", "lines"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func count(n int, one, many string) string {
	return fmt.Sprintf("%d %s", n, plural(n, one, many))
}

// summary is "3 changes in 2 sections" (or "No changes").
func (v diffView) summary() string {
	if len(v.changes) == 0 {
		return "No changes"
	}
	return count(len(v.changes), "change", "changes") + " in " + count(len(v.sections), "section", "sections")
}

func (v diffView) changedNames() []string {
	names := make([]string, len(v.sections))
	for i, s := range v.sections {
		names[i] = SectionName(s.raw)
	}
	return names
}

func (v diffView) unchangedNames() []string {
	names := make([]string, len(v.unchanged))
	for i, s := range v.unchanged {
		names[i] = SectionName(s)
	}
	return names
}
