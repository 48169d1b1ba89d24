package render

import (
	"bytes"
	"encoding/json"
	"strings"
)

// inlineMax is the longest value (in runes, as displayed) shown inline as
// `old` → `new`; longer ones, and any with a newline or a backtick, get a
// line diff in a code block.
const inlineMax = 80

// unsetText stands for a JSON null or a missing value.
const unsetText = "(unset)"

// value is one side of a change, decoded for display.
type value struct {
	unset   bool
	isStr   bool
	str     string          // the string, when isStr
	compact string          // compact JSON, when not a string
	raw     json.RawMessage // as received, trimmed
}

func parseValue(raw json.RawMessage) value {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return value{unset: true}
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return value{isStr: true, str: s, raw: raw}
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		return value{compact: buf.String(), raw: raw}
	}
	// Not JSON at all: show what came, as text.
	return value{isStr: true, str: strings.ToValidUTF8(string(raw), "\uFFFD"), raw: raw}
}

// inline is the one-line display: a quoted string, compact JSON or (unset).
func (v value) inline() string {
	switch {
	case v.unset:
		return unsetText
	case v.isStr:
		return quote(v.str)
	}
	return v.compact
}

// quote renders s as a JSON string without HTML escaping, so "<", ">" and
// "&" stay readable (mrkdwn escaping comes later) and emoji sequences whole.
func quote(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(s) != nil {
		return `"` + s + `"`
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// text is the value as multi-line text for a line diff: a string as is,
// other JSON indented; unset is empty.
func (v value) text() string {
	switch {
	case v.unset:
		return ""
	case v.isStr:
		return v.str
	}
	var buf bytes.Buffer
	if json.Indent(&buf, v.raw, "", "  ") != nil {
		return v.compact
	}
	return buf.String()
}

// long reports whether the value needs a line diff rather than inline display.
func (v value) long() bool {
	switch {
	case v.unset:
		return false
	case v.isStr:
		if strings.ContainsAny(v.str, "\n\r`") || len(v.str) > 4*inlineMax {
			return true // without quoting a 20 KB prompt to measure it
		}
		return runeLen(quote(v.str)) > inlineMax
	}
	return runeLen(v.compact) > inlineMax || strings.Contains(v.compact, "`")
}
