package render

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Escape makes s safe as mrkdwn text: exactly &, < and > are replaced by
// their entities (Slack's rule), so "<!channel>" or "<@U123>" in a prompt
// renders as text and pings no one.
func Escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

// Truncate returns s unchanged when it has at most max runes; otherwise it
// cuts s and appends note so that the result has at most max runes. The cut
// never splits a rune, a grapheme (combining marks, emoji ZWJ sequences,
// modifiers, flags) or an mrkdwn entity (&amp; &lt; &gt;), so it is safe on
// escaped text. A note longer than max is itself cut.
func Truncate(s string, max int, note string) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := utf8.RuneCountInString(note)
	if n >= max {
		return note[:safeCut(note, max)]
	}
	return s[:safeCut(s, max-n)] + note
}

// CodeBlock wraps s in a ``` code block: s is escaped and any run of three
// backticks inside it is broken up, so the value cannot close the block early.
func CodeBlock(s string) string {
	return fence(safeText(s))
}

// fence wraps already escaped and neutralised text in a code block.
func fence(body string) string {
	return "```\n" + body + "\n```"
}

// zeroWidthSpace separates backticks: invisible, but it stops "```" from
// being read as a fence.
const zeroWidthSpace = "\u200b"

// neutraliseFences inserts a zero-width space inside every pair of adjacent
// backticks (non-overlapping), so the text holds no run of three.
func neutraliseFences(s string) string {
	if !strings.Contains(s, "```") {
		return s
	}
	return strings.ReplaceAll(s, "``", "`"+zeroWidthSpace+"`")
}

// inlineCode renders escaped text as `code`. Text holding a backtick cannot
// be inline code in mrkdwn, so it is returned bare.
func inlineCode(escaped string) string {
	if escaped == "" || strings.Contains(escaped, "`") {
		return escaped
	}
	return "`" + escaped + "`"
}

// runeLen is the length Slack's limits are checked against.
func runeLen(s string) int {
	return utf8.RuneCountInString(s)
}

// maxGraphemeBackoff bounds how far safeCut walks back over combining marks,
// so a pathological run of them still yields a cut rather than an empty string.
const maxGraphemeBackoff = 32

// runeOffset is the byte offset of rune n of s (len(s) when s is shorter).
func runeOffset(s string, n int) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// safeCut returns a byte offset at most n runes into s that does not split a
// rune, a grapheme cluster (approximately) or an mrkdwn entity. When n covers
// all of s it returns len(s).
func safeCut(s string, n int) int {
	cut := runeOffset(s, n)
	if cut >= len(s) {
		return len(s)
	}
	best := cut
	for i := 0; i < maxGraphemeBackoff && cut > 0 && !graphemeBoundary(s, cut); i++ {
		_, size := utf8.DecodeLastRuneInString(s[:cut])
		cut -= size
	}
	if cut == 0 || !graphemeBoundary(s, cut) {
		cut = best // give up on grapheme safety rather than return nothing
	}
	return tokenCut(s, entityCut(s, cut))
}

// graphemeBoundary reports whether a cut at byte offset i of s falls between
// two user-perceived characters (a practical subset of UAX #29: marks, ZWJ
// sequences, variation selectors, skin-tone modifiers, tags, flag pairs).
func graphemeBoundary(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(s[i:])
	prev, _ := utf8.DecodeLastRuneInString(s[:i])
	if extends(next) || prev == '\u200d' {
		return false
	}
	if prev == '\r' && next == '\n' {
		return false
	}
	if isRegionalIndicator(prev) && isRegionalIndicator(next) {
		// Flags are pairs: a cut after an odd count of indicators splits one.
		count := 0
		for j := i; j > 0; {
			r, size := utf8.DecodeLastRuneInString(s[:j])
			if !isRegionalIndicator(r) {
				break
			}
			count++
			j -= size
		}
		return count%2 == 0
	}
	return true
}

// extends reports whether r attaches to the character before it.
func extends(r rune) bool {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc):
		return true
	case r == '\u200d', r >= '\ufe00' && r <= '\ufe0f': // ZWJ, variation selectors
		return true
	case r >= 0x1f3fb && r <= 0x1f3ff: // skin-tone modifiers
		return true
	case r >= 0xe0020 && r <= 0xe007f, r >= 0xe0100 && r <= 0xe01ef: // tags, VS supplement
		return true
	}
	return false
}

func isRegionalIndicator(r rune) bool { return r >= 0x1f1e6 && r <= 0x1f1ff }

var entities = [...]string{"&amp;", "&lt;", "&gt;"}

// entityCut moves a cut at byte offset i back to the start of an mrkdwn
// entity when i falls inside one.
func entityCut(s string, i int) int {
	lo := max(i-4, 0) // entities are at most 5 bytes long
	for j := i - 1; j >= lo; j-- {
		if s[j] != '&' {
			continue
		}
		for _, e := range entities {
			if strings.HasPrefix(s[j:], e) && j+len(e) > i {
				return j
			}
		}
		break
	}
	return i
}

// safeText is user or agent text made safe for mrkdwn anywhere: escaped,
// and unable to open or close a code block.
func safeText(s string) string {
	return neutraliseFences(Escape(s))
}
