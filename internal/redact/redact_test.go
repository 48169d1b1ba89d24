package redact

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const key = "sk_live_9f8e7d6c5b4a3921xyz"

// jsonEscaped writes every byte of s as a \u escape, as a JSON encoder that
// escapes everything would.
func jsonEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

func percentEncoded(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// leaks reports the first piece of the key of MinPiece bytes or more in s.
func leaks(s, secret string) string {
	for i := 0; i+MinPiece <= len(secret); i++ {
		if p := secret[i : i+MinPiece]; strings.Contains(s, p) {
			return p
		}
	}
	return ""
}

func TestStringRedactsEveryShape(t *testing.T) {
	r := New(key, "short")
	cases := []struct {
		name, in string
	}{
		{"verbatim", "Unauthorized: bad token " + key},
		{"bearer header", "Authorization: Bearer " + key + "\n"},
		{"json escaped first letter", `{"token":"\u0073k_live_9f8e7d6c5b4a3921xyz"}`},
		{"json escaped whole", `token ` + jsonEscaped(key)},
		{"json escaped twice", `token ` + strings.ReplaceAll(jsonEscaped(key), `\`, `\\`)},
		{"percent encoded first letter", "GET /agent?key=%73k_live_9f8e7d6c5b4a3921xyz"},
		{"percent encoded whole", "key=" + percentEncoded(key)},
		{"percent encoded lower case", "key=" + strings.ToLower(percentEncoded(key))},
		{"query escaped", "next=" + url.QueryEscape("/x?key="+key)},
		{"percent inside json", `{"u":"` + strings.ReplaceAll(percentEncoded(key[:4]), "%", `\u0025`) + key[4:] + `"}`},
		{"html entities", "<p>&#115;&#x6b;_live_9f8e7d6c5b4a3921xyz</p>"},
		{"prefix cut at the end", "…bad token " + key[:MinPiece]},
		{"suffix cut at the start", key[len(key)-MinPiece-3:] + " was refused"},
		{"middle piece", "x" + key[5:17] + "y"},
		{"twice", key + " and " + key},
		{"split by an escape", "sk_live_9f8e\\u0037d6c5b4a3921xyz"},
		{"short secret whole", "the word short is a secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := r.String(tc.in)
			if p := leaks(got, key); p != "" {
				t.Errorf("String(%q) = %q: piece %q left", tc.in, got, p)
			}
			if strings.Contains(got, "short") {
				t.Errorf("String(%q) = %q: short secret left", tc.in, got)
			}
			if !strings.Contains(got, Marker) {
				t.Errorf("String(%q) = %q: no marker", tc.in, got)
			}
			if !r.Contains(tc.in) {
				t.Errorf("Contains(%q) = false", tc.in)
			}
		})
	}
}

func TestStringLeavesCleanTextAlone(t *testing.T) {
	r := New(key)
	for _, s := range []string{
		"", "ok", "GET /agent/{id}: 500 Internal server error",
		"path=/a%20b&x=1 \\u0041", key[:MinPiece-1] + " is too short a piece",
	} {
		if got := r.String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
		if r.Contains(s) {
			t.Errorf("Contains(%q) = true", s)
		}
	}
	var none *Redactor
	if none.String(key) != key || none.Contains(key) || !New("").Empty() {
		t.Error("a nil or empty Redactor redacted something")
	}
}

func TestDecode(t *testing.T) {
	cases := map[string]string{
		`\u0073k`:              "sk",
		`%73k+x`:               "sk+x",
		`%2B`:                  "+",
		`\\u0073`:              "s",
		`\ud83d\ude00`:         "😀",
		`bad \u12 and %G1 & %`: "bad \\u12 and %G1 & %",
		`a\/b \"c\"`:           `a/b "c"`,
		`&lt;&#115;&gt;`:       "<s>",
	}
	for in, want := range cases {
		if got := Decode(in); got != want {
			t.Errorf("Decode(%q) = %q, want %q", in, got, want)
		}
	}
}

func BenchmarkString(b *testing.B) {
	r := New(key, "xoxb-1234567890-abcdefghijkl", "0123456789abcdef0123456789abcdef")
	line := `atoms call method=GET endpoint=/agent/{id}/versions status=200 duration=12ms request_id=5f1c9e0a7b3d1122`
	b.Run("clean line", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.String(line)
		}
	})
	dirty := line + " echo=%73k_live_9f8e7d6c5b4a3921xyz"
	b.Run("encoded key", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = r.String(dirty)
		}
	})
}
