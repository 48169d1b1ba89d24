package render

import "strings"

// Display caps for names that come from the API or the caller, in runes
// after escaping.
const (
	maxTitleRunes   = 150
	maxNameRunes    = 100           // section and path names
	maxListRunes    = 300           // "Changed: …" and "Unchanged: …" lists
	maxInlineRunes  = 5 * inlineMax // an inline value, escaped
	footerReserve   = 320           // room every page keeps for its last context block
	fenceOverhead   = 8             // "```\n" + "\n```"
	lineContinues   = " [line continues]"
	lineContinued   = "[…] "
	ellipsis        = "…"
	continuedSuffix = " (continued)"
	wholeSection    = "(whole section)"
	maxPageNumber   = 999999 // for reserving room; no diff gets near it
	defaultTitle    = "Diff"
	sameNote        = "re-encoded, no visible difference"
)

// unit is one block of content: a section heading (divider + section) or a
// section holding short changes or one chunk of a long change's line diff.
type unit struct {
	sec     int
	heading bool
	text    string
	// label is prepended when a chunk opens a page after its change's
	// first chunk, so the reader knows which value the lines belong to.
	label   string
	changes []int // the changes this unit shows (all of it, or one chunk)
}

func (u unit) blocks() int {
	if u.heading {
		return 2
	}
	return 1
}

// layout holds everything one Diff call needs to paginate.
type layout struct {
	opt        DiffOptions
	v          diffView
	title      string // escaped and truncated
	chunkLimit int    // max runes of one content unit, label included
	units      []unit
	chunksOf   []int // per change: number of units showing it
}

func newLayout(title string, v diffView, opt DiffOptions) *layout {
	l := &layout{opt: opt, v: v, chunksOf: make([]int, len(v.changes))}
	if strings.TrimSpace(title) == "" {
		title = defaultTitle
	}
	l.title = Truncate(safeText(strings.ToValidUTF8(title, "\uFFFD")), maxTitleRunes, ellipsis)
	headingMax := 0
	for i := range v.sections {
		headingMax = max(headingMax, runeLen(l.heading(i, true)))
	}
	// A unit must fit a fresh continuation page after its intro, a
	// continued heading and before the footer.
	l.chunkLimit = min(MaxSectionText, opt.Budget-l.worstIntro()-headingMax-footerReserve)
	for i := range v.sections {
		l.addSection(i)
	}
	return l
}

func (l *layout) heading(sec int, continued bool) string {
	s := l.v.sections[sec]
	raw := Truncate(safeText(s.raw), maxNameRunes, ellipsis)
	var b strings.Builder
	if name := SectionName(s.raw); name != s.raw {
		b.WriteString("*" + safeText(name) + "* · " + inlineCode(raw))
	} else {
		b.WriteString("*" + raw + "*")
	}
	b.WriteString(" · " + count(len(s.changes), "change", "changes"))
	if continued {
		b.WriteString(continuedSuffix)
	}
	return b.String()
}

// pathCode shows a change's path as code; the empty path is a section
// replaced as a whole (how the spec-shaped diff reports an emptied object).
func (l *layout) pathCode(ci int) string {
	p := l.v.changes[ci].path
	if p == "" {
		return wholeSection
	}
	return inlineCode(Truncate(safeText(p), maxNameRunes, ellipsis))
}

// inlineLine is "• `path`: old → new" for a short change.
func (l *layout) inlineLine(ci int) string {
	c := l.v.changes[ci]
	if c.same {
		return "• " + l.pathCode(ci) + ": " + sameNote
	}
	show := func(v value) string {
		if v.unset {
			return unsetText
		}
		// Inline values are short (inlineMax before escaping); the cap
		// only guards the block limit.
		return inlineCode(Truncate(safeText(v.inline()), maxInlineRunes, ellipsis))
	}
	return "• " + l.pathCode(ci) + ": " + show(c.old) + " → " + show(c.new)
}

func (l *layout) addSection(sec int) {
	l.units = append(l.units, unit{sec: sec, heading: true, text: l.heading(sec, false)})
	var group []string
	var groupChanges []int
	groupLen := 0
	flush := func() {
		if len(group) == 0 {
			return
		}
		l.units = append(l.units, unit{sec: sec, text: strings.Join(group, "\n"), changes: groupChanges})
		for _, ci := range groupChanges {
			l.chunksOf[ci]++
		}
		group, groupChanges, groupLen = nil, nil, 0
	}
	for _, ci := range l.v.sections[sec].changes {
		if l.v.changes[ci].isLong() {
			flush()
			l.addLong(sec, ci)
			continue
		}
		line := l.inlineLine(ci)
		n := runeLen(line)
		if len(group) > 0 && groupLen+1+n > l.chunkLimit {
			flush()
		}
		if len(group) > 0 {
			groupLen++
		}
		group = append(group, line)
		groupChanges = append(groupChanges, ci)
		groupLen += n
	}
	flush()
}

// addLong splits a long change's line diff into code-block chunks.
func (l *layout) addLong(sec, ci int) {
	c := l.v.changes[ci]
	head := "• " + l.pathCode(ci) + " " + c.verb() + ":\n"
	label := "• " + l.pathCode(ci) + continuedSuffix + ":\n"
	avail := l.chunkLimit - max(runeLen(head), runeLen(label)) - fenceOverhead

	var body []string
	bodyLen := 0
	emit := func() {
		text := fence(strings.Join(body, "\n"))
		u := unit{sec: sec, text: text, changes: []int{ci}}
		if l.chunksOf[ci] == 0 {
			u.text = head + text
		} else {
			u.label = label
		}
		l.units = append(l.units, u)
		l.chunksOf[ci]++
		body, bodyLen = nil, 0
	}
	for _, raw := range c.lines {
		for _, piece := range splitLine(safeText(raw), avail) {
			n := runeLen(piece)
			if len(body) > 0 && bodyLen+1+n > avail {
				emit()
			}
			if len(body) > 0 {
				bodyLen++
			}
			body = append(body, piece)
			bodyLen += n
		}
	}
	if len(body) > 0 {
		emit()
	}
}

// splitLine cuts a diff line longer than avail runes into pieces that say
// so: each but the last ends with lineContinues, each but the first starts
// with the line's prefix and lineContinued.
func splitLine(line string, avail int) []string {
	if runeLen(line) <= avail || line == "" {
		return []string{line}
	}
	prefix, rest := line[:1], line[1:] // "+", "-" or " ": one byte
	var pieces []string
	lead := ""
	for runeLen(prefix)+runeLen(lead)+runeLen(rest) > avail {
		room := avail - runeLen(prefix) - runeLen(lead) - runeLen(lineContinues)
		cut := safeCut(rest, room)
		if cut == 0 {
			// Only with a room smaller than an entity or a grapheme, which
			// real limits never give: cut at a rune, keep making progress.
			cut = runeOffset(rest, max(room, 1))
		}
		pieces = append(pieces, prefix+lead+rest[:cut]+lineContinues)
		rest = rest[cut:]
		lead = lineContinued
	}
	return append(pieces, prefix+lead+rest)
}
