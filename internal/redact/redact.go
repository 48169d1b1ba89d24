// Package redact keeps secrets out of text that leaves the process (log
// lines, errors, Slack messages), whatever shape an echo of them takes:
// verbatim, JSON-escaped (\u0073k_…), percent-encoded (%73k_…), as HTML
// entities, or cut so that only a piece of the secret is left.
package redact

import (
	"html"
	"strings"
	"unicode/utf8"
)

// Marker replaces every secret or piece of one.
const Marker = "[REDACTED]"

// MinPiece is the shortest piece of a secret that is redacted on its own:
// a cut echo (an excerpt that ends half-way through a key) leaves a prefix
// or suffix that still narrows the key down. Shorter secrets are redacted
// only whole.
const MinPiece = 8

// filterBits is the size of the bit set that rules most positions out
// before the map of pieces is consulted.
const filterBits = 1 << 16

// Redactor scrubs a fixed set of secrets. The zero value and nil redact
// nothing. It is safe for concurrent use.
type Redactor struct {
	short  []string            // secrets shorter than MinPiece, matched whole
	pieces map[uint64]struct{} // every MinPiece-byte window of the longer ones
	filter []uint64            // bit set over hash(window), filterBits bits
}

// New returns a Redactor of the non-empty secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	for _, s := range secrets {
		switch {
		case s == "":
		case len(s) < MinPiece:
			r.short = append(r.short, s)
		default:
			if r.pieces == nil {
				r.pieces = map[uint64]struct{}{}
				r.filter = make([]uint64, filterBits/64)
			}
			var w uint64
			for i := 0; i < len(s); i++ {
				w = w<<8 | uint64(s[i])
				if i >= MinPiece-1 {
					r.pieces[w] = struct{}{}
					h := hash(w)
					r.filter[h/64] |= 1 << (h % 64)
				}
			}
		}
	}
	return r
}

func hash(w uint64) uint64 { return (w * 0x9E3779B97F4A7C15) >> (64 - 16) }

// Empty reports whether r has no secret to redact.
func (r *Redactor) Empty() bool { return r == nil || (len(r.short) == 0 && r.pieces == nil) }

// Contains reports whether s, or s decoded (see Decode), holds a secret or a
// piece of one of at least MinPiece bytes.
func (r *Redactor) Contains(s string) bool {
	if r.Empty() {
		return false
	}
	if r.found(s) {
		return true
	}
	if encoded(s) {
		if d := Decode(s); d != s {
			return r.found(d)
		}
	}
	return false
}

// String returns s with every secret and every piece of one (MinPiece bytes
// or more) replaced by Marker. When a secret only shows after decoding, the
// decoded text is returned, redacted. Text without secrets comes back as is.
func (r *Redactor) String(s string) string {
	if r.Empty() {
		return s
	}
	out := s
	if r.found(s) {
		out = r.scrub(s)
	}
	if encoded(out) {
		if d := Decode(out); d != out && r.found(d) {
			return r.scrub(d)
		}
	}
	return out
}

// found reports whether s holds a short secret or a piece of a long one.
func (r *Redactor) found(s string) bool {
	for _, sec := range r.short {
		if strings.Contains(s, sec) {
			return true
		}
	}
	if r.pieces == nil || len(s) < MinPiece {
		return false
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w = w<<8 | uint64(s[i])
		if i >= MinPiece-1 && r.piece(w) {
			return true
		}
	}
	return false
}

func (r *Redactor) piece(w uint64) bool {
	h := hash(w)
	if r.filter[h/64]&(1<<(h%64)) == 0 {
		return false
	}
	_, ok := r.pieces[w]
	return ok
}

// scrub replaces each run of bytes covered by pieces of a secret with one
// Marker, then the short secrets.
func (r *Redactor) scrub(s string) string {
	if r.pieces != nil && len(s) >= MinPiece {
		var b strings.Builder
		var w uint64
		last := 0    // s[:last] is written
		runEnd := -1 // end of the covered run being built; -1: none
		runStart := 0
		for i := 0; i < len(s); i++ {
			w = w<<8 | uint64(s[i])
			if i < MinPiece-1 || !r.piece(w) {
				continue
			}
			start := i - MinPiece + 1
			if runEnd >= start {
				runEnd = i + 1
				continue
			}
			if runEnd >= 0 {
				b.WriteString(s[last:runStart])
				b.WriteString(Marker)
				last = runEnd
			}
			runStart, runEnd = start, i+1
		}
		if runEnd >= 0 {
			b.WriteString(s[last:runStart])
			b.WriteString(Marker)
			last = runEnd
			b.WriteString(s[last:])
			s = b.String()
		}
	}
	for _, sec := range r.short {
		s = strings.ReplaceAll(s, sec, Marker)
	}
	return s
}

// encoded reports whether s may hold escapes Decode undoes.
func encoded(s string) bool { return strings.ContainsAny(s, `\%&`) }

// maxDecodeRounds undoes nested encodings (a percent-encoded key inside a
// JSON string inside an HTML page) without looping on hostile input.
const maxDecodeRounds = 4

// Decode undoes the encodings an echo of a secret may come in: JSON string
// escapes (\uXXXX, \", \\, \/, \n…), percent-encoding (%XX; a '+' stays a
// '+', keys hold no spaces) and HTML character references, repeatedly for
// nested ones. Malformed escapes are left as they are.
func Decode(s string) string {
	for range maxDecodeRounds {
		if !encoded(s) {
			return s
		}
		d := decodeOnce(s)
		if strings.IndexByte(d, '&') >= 0 {
			d = html.UnescapeString(d)
		}
		if d == s {
			return s
		}
		s = d
	}
	return s
}

func decodeOnce(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 3
			continue
		case c == '\\' && i+1 < len(s):
			if n, ok := jsonEscape(&b, s[i:]); ok {
				i += n
				continue
			}
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// jsonEscape writes the character the escape at the start of s stands for
// and returns its length.
func jsonEscape(b *strings.Builder, s string) (int, bool) {
	switch s[1] {
	case '"', '\\', '/', '\'':
		b.WriteByte(s[1])
		return 2, true
	case 'n', 'r', 't', 'b', 'f':
		b.WriteByte(' ')
		return 2, true
	case 'u':
		r, ok := hex4(s[2:])
		if !ok {
			return 0, false
		}
		n := 6
		if r >= 0xD800 && r < 0xDC00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
			if lo, ok := hex4(s[8:]); ok && lo >= 0xDC00 && lo < 0xE000 {
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				n = 12
			}
		}
		if !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		b.WriteRune(r)
		return n, true
	}
	return 0, false
}

func hex4(s string) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for i := range 4 {
		if !isHex(s[i]) {
			return 0, false
		}
		r = r<<4 | rune(unhex(s[i]))
	}
	return r, true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
