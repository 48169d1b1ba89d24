package render

import (
	"strings"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/slack-go/slack"
)

// DiffOptions tunes Diff. The zero value is fine.
type DiffOptions struct {
	// Context is the number of context lines in line diffs: 0 means 3,
	// negative means none.
	Context int
	// MaxPages caps the number of messages (0: unlimited). When the diff
	// needs more, the last page ends with a note saying exactly what was cut
	// ("… 37 more changes in 4 sections not shown"), so the caller can offer
	// DiffText another way (a snippet, thread replies).
	MaxPages int
	// Budget is the per-page total of block text, in runes: 0 means
	// PageBudget; it is clamped to [MinBudget, PageBudget].
	Budget int
	// HeaderBlocks go at the top of page 1, before the intro. They count
	// against MaxBlocks and Budget, so keep them small.
	HeaderBlocks []slack.Block
	// ReserveBlocks keeps that many blocks of page 1 free for the caller,
	// who embeds the page in a larger message (clamped to 0–40).
	ReserveBlocks int
}

// MinBudget is the smallest per-page budget Diff accepts: room for the
// page's intro, a section heading, the footer and a readable chunk of diff.
const MinBudget = 2000

func (o DiffOptions) normalised() DiffOptions {
	switch {
	case o.Context == 0:
		o.Context = 3
	case o.Context < 0:
		o.Context = 0
	}
	if o.Budget == 0 {
		o.Budget = PageBudget
	}
	o.Budget = min(max(o.Budget, MinBudget), PageBudget)
	o.MaxPages = max(o.MaxPages, 0)
	return o
}

// sectionNames are the human names of the Atoms config sections (the
// platform's internal "blocks").
var sectionNames = map[string]string{
	"workflow_prompt": "Prompt",
	"workflow_tools":  "Tools",
	"workflow_graph":  "Workflow graph",
	"llm":             "Model",
	"voice":           "Voice",
	"language":        "Language",
	"call_handling":   "Call handling",
	"detection":       "Detection",
	"analytics":       "Post-call analytics",
	"timeouts":        "Timeouts",
	"audio":           "Audio",
	"privacy":         "Privacy",
	"widget":          "Widget",
	"playbooks":       "Playbooks",
}

// SectionName maps an Atoms config section to a human name
// ("workflow_prompt" → "Prompt"); an unknown section keeps its raw name.
func SectionName(section string) string {
	if n, ok := sectionNames[section]; ok {
		return n
	}
	return section
}

// Diff renders an Atoms diff as one or more messages (pages). Page 1 starts
// with opt.HeaderBlocks and an intro built from title (plain text; it is
// escaped). Changes are grouped by config section, in the API's order:
// short values as `path`: old → new, long text (a newline, or more than 80
// characters, like prompts) and large JSON values as a unified line diff in
// code blocks, split across section blocks at line boundaries (an over-long
// line is split with a "[line continues]" note). An empty diff is one page
// saying "No changes".
//
// Every page respects MaxBlocks, MaxSectionText, the budget and
// MaxMessageText. Every page but the last ends with "Diff continues in the
// next message (k/n)"; when there are several pages, their text fallback
// is numbered "(i/n)".
func Diff(title string, d platform.Diff, opt DiffOptions) []Message {
	opt = opt.normalised()
	v := newDiffView(d, opt.Context)
	l := newLayout(title, v, opt)
	return l.render()
}

// DiffText is the whole diff as plain text, not escaped and not cut, for a
// snippet or file upload when the pages are cut (or for logs and tests).
func DiffText(title string, d platform.Diff) string {
	v := newDiffView(d, 3)
	var b strings.Builder
	b.WriteString(title)
	b.WriteString("\n")
	b.WriteString(v.summary())
	if len(v.changes) > 0 {
		b.WriteString(": " + strings.Join(v.changedNames(), ", "))
	}
	b.WriteString("\n")
	if len(v.unchanged) > 0 {
		b.WriteString("Unchanged: " + strings.Join(v.unchangedNames(), ", ") + "\n")
	}
	for _, s := range v.sections {
		b.WriteString("\n== " + sectionLabel(s.raw) + " — " + count(len(s.changes), "change", "changes") + " ==\n")
		for _, ci := range s.changes {
			c := v.changes[ci]
			path := c.path
			if path == "" {
				path = wholeSection
			}
			switch {
			case c.same:
				b.WriteString(path + ": " + sameNote + "\n")
				continue
			case !c.isLong():
				b.WriteString(path + ": " + c.old.inline() + " → " + c.new.inline() + "\n")
				continue
			}
			b.WriteString(path + " " + c.verb() + ":\n")
			for _, l := range c.lines {
				b.WriteString("    " + l + "\n")
			}
		}
	}
	return b.String()
}

// sectionLabel is "Prompt (workflow_prompt)", or the raw name when unknown.
func sectionLabel(raw string) string {
	if n := SectionName(raw); n != raw {
		return n + " (" + raw + ")"
	}
	return raw
}
