package render

import (
	"regexp"
	"strings"
)

// Slack's mrkdwn has no escape for its formatting marks. What it does show
// as typed is the fallback text of a date token it cannot format: a token
// with no valid format shows its fallback, unformatted and copied as the
// character itself. So each mark in user text becomes such a token, and a
// name like "*VIP* agent" inside *bold* stays one bold name that shows its
// asterisks, without lookalike characters or invisible ones.
const (
	markOpen  = "<!date^0^{_}|"
	markClose = ">"
)

var marks = strings.NewReplacer(
	"*", markOpen+"*"+markClose,
	"_", markOpen+"_"+markClose,
	"~", markOpen+"~"+markClose,
	"`", markOpen+"`"+markClose,
)

// emojiCode is an emoji shortcode (":white_check_mark:"): its underscores
// are part of the name, not formatting.
var emojiCode = regexp.MustCompile(`:[a-z0-9_+'-]+:`)

// Literal is user or agent text (a name, a label) for mrkdwn outside code:
// escaped like Escape, and with the formatting marks * _ ~ and ` shown as
// typed instead of starting or ending bold, italics, strikethrough or code.
// Emoji shortcodes are left as they are. Not for text inside backticks,
// where Slack shows everything as typed anyway: use Escape there.
func Literal(s string) string {
	s = Escape(s)
	if !strings.ContainsAny(s, "*_~`") {
		return s
	}
	codes := emojiCode.FindAllStringIndex(s, -1)
	if codes == nil {
		return marks.Replace(s)
	}
	var b strings.Builder
	at := 0
	for _, c := range codes {
		b.WriteString(marks.Replace(s[at:c[0]]))
		b.WriteString(s[c[0]:c[1]])
		at = c[1]
	}
	b.WriteString(marks.Replace(s[at:]))
	return b.String()
}

// maxToken bounds how far back a cut looks for the "<" of a Slack token
// (a mention, link or date) it may fall into.
const maxToken = 600

// tokenCut moves a cut at byte offset i of mrkdwn s back to the start of a
// <…> token when i falls inside one, so a cut never leaves half a token.
// A raw "<" in mrkdwn is always the bot's own: user text has it escaped.
func tokenCut(s string, i int) int {
	lo := max(i-maxToken, 0)
	for j := i - 1; j >= lo; j-- {
		switch s[j] {
		case '>':
			return i
		case '<':
			if strings.IndexByte(s[i:], '>') >= 0 {
				return j
			}
			return i
		}
	}
	return i
}
