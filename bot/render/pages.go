package render

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"
)

// page is a page under construction.
type page struct {
	units  []unit
	runes  int
	blocks int
}

func (p *page) fits(u unit, budget int) bool {
	return p.blocks+u.blocks()+1 <= MaxBlocks && p.runes+runeLen(u.text)+footerReserve <= budget
}

func (p *page) add(u unit) {
	p.units = append(p.units, u)
	p.runes += runeLen(u.text)
	p.blocks += u.blocks()
}

// paginate packs the units into pages. A heading never ends a page; a page
// that starts inside a section repeats its heading, marked continued.
func (l *layout) paginate(first page) []page {
	pages := []page{}
	cur := first
	worstIntro := l.worstIntro()
	for _, u := range l.units {
		if cur.fits(u, l.opt.Budget) {
			cur.add(u)
			continue
		}
		var carry *unit
		if n := len(cur.units); n > 0 && cur.units[n-1].heading {
			h := cur.units[n-1]
			carry = &h
			cur.units = cur.units[:n-1]
		}
		pages = append(pages, cur)
		cur = page{runes: worstIntro, blocks: 1}
		switch {
		case carry != nil:
			cur.add(*carry)
		case !u.heading:
			cur.add(unit{sec: u.sec, heading: true, text: l.heading(u.sec, true)})
			if u.label != "" {
				u.text = u.label + u.text
			}
		}
		cur.add(u)
	}
	return append(pages, cur)
}

// worstIntro bounds the length of any page's contIntro: page numbers
// are only known after paginating.
func (l *layout) worstIntro() int {
	return runeLen(l.contIntro(maxPageNumber, maxPageNumber))
}

// contIntro opens a continuation page.
func (l *layout) contIntro(i, n int) string {
	return "*" + l.title + "*" + continuedSuffix + " (" + strconv.Itoa(i) + "/" + strconv.Itoa(n) + ")"
}

// intro opens page 1.
func (l *layout) intro() string {
	var b strings.Builder
	b.WriteString("*" + l.title + "*\n" + l.v.summary())
	if len(l.v.changes) > 0 {
		b.WriteString(": " + Truncate(safeText(strings.Join(l.v.changedNames(), ", ")), maxListRunes, ellipsis))
	} else {
		b.WriteString(".")
	}
	if len(l.v.unchanged) > 0 {
		b.WriteString("\nUnchanged: " + Truncate(safeText(strings.Join(l.v.unchangedNames(), ", ")), maxListRunes, ellipsis))
	}
	return b.String()
}

func (l *layout) render() []Message {
	intro := l.intro()
	first := page{
		runes:  TextLen(l.opt.HeaderBlocks...) + runeLen(intro),
		blocks: len(l.opt.HeaderBlocks) + 1 + min(max(l.opt.ReserveBlocks, 0), 40),
	}
	pages := l.paginate(first)
	n := len(pages)
	note := ""
	if l.opt.MaxPages > 0 && n > l.opt.MaxPages {
		pages = pages[:l.opt.MaxPages]
		n = len(pages)
		note = l.cutNote(pages)
	}

	msgs := make([]Message, 0, n)
	for i, p := range pages {
		var blocks []slack.Block
		var text string
		if i == 0 {
			blocks = append(blocks, l.opt.HeaderBlocks...)
			blocks = append(blocks, mrkdwnSection(intro))
			text = l.title + ": " + strings.ToLower(l.v.summary()[:1]) + l.v.summary()[1:]
		} else {
			blocks = append(blocks, noteBlock(l.contIntro(i+1, n)))
			text = l.title + ": diff continued"
		}
		if n > 1 {
			text += " (" + strconv.Itoa(i+1) + "/" + strconv.Itoa(n) + ")"
		}
		for _, u := range p.units {
			if u.heading {
				blocks = append(blocks, slack.NewDividerBlock())
			}
			blocks = append(blocks, mrkdwnSection(u.text))
		}
		switch {
		case i < n-1:
			blocks = append(blocks, noteBlock(continuesText(i+2, n)))
		case note != "":
			blocks = append(blocks, noteBlock(note))
			text += " (cut)"
		}
		msgs = append(msgs, Message{Text: text, Blocks: blocks})
	}
	return msgs
}

// cutNote says what the kept pages leave out: changes not shown at all
// (and in how many sections), and a change shown only in part.
func (l *layout) cutNote(kept []page) string {
	shown := make([]int, len(l.v.changes))
	for _, p := range kept {
		for _, u := range p.units {
			for _, ci := range u.changes {
				shown[ci]++
			}
		}
	}
	missing, partial := 0, ""
	secs := map[int]bool{}
	for ci, s := range shown {
		switch {
		case s == 0:
			missing++
			secs[l.v.changes[ci].sec] = true
		case s < l.chunksOf[ci]:
			partial = l.pathCode(ci)
		}
	}
	return cutNoteText(partial, missing, len(secs))
}

// cutNoteText is "… the rest of the `prompt` diff and 37 more changes in 4
// sections not shown", with either part left out when it does not apply.
func cutNoteText(partial string, missing, sections int) string {
	var parts []string
	if partial != "" {
		parts = append(parts, "the rest of the "+partial+" diff")
	}
	if missing > 0 {
		parts = append(parts, count(missing, "more change", "more changes")+" in "+count(sections, "section", "sections"))
	}
	return ellipsis + " " + strings.Join(parts, " and ") + " not shown"
}

// continuesText ends every page but the last; next is the next page's number.
func continuesText(next, n int) string {
	return "Diff continues in the next message (" + strconv.Itoa(next) + "/" + strconv.Itoa(n) + ")"
}

func mrkdwnSection(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, true), nil, nil)
}

// noteBlock is a one-element context block of mrkdwn. Verbatim keeps
// Slack from linking URLs and "@here"-like words by itself.
func noteBlock(text string) *slack.ContextBlock {
	return slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, text, false, true))
}
