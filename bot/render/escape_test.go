package render

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"channel", "<!channel>", "&lt;!channel&gt;"},
		{"user", "hi <@U123>", "hi &lt;@U123&gt;"},
		{"ampersand first", "a & <b>", "a &amp; &lt;b&gt;"},
		{"entity is escaped again", "&lt;", "&amp;lt;"},
		{"others untouched", `"quotes" 'and' *bold* _it_ ~s~ ` + "`c`", `"quotes" 'and' *bold* _it_ ~s~ ` + "`c`"},
		{"unicode", "héllo 👋 日本", "héllo 👋 日本"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Escape(tt.in); got != tt.want {
				t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		note string
		want string
	}{
		{"fits", "hello", 5, "…", "hello"},
		{"cut with note", "hello world", 8, "…", "hello w…"},
		{"cut with longer note", "hello world", 10, " (cut)", "hell (cut)"},
		{"note longer than max", "hello world", 3, " (cut)", " (c"},
		{"zero max", "hello", 0, "…", ""},
		{"empty note", "hello", 3, "", "hel"},
		{"runes not bytes", "日本語のテキスト", 4, "…", "日本語…"},
		{"emoji kept whole", "ab👋👋👋", 4, "…", "ab👋…"},
		{"combining mark stays with base", "ae\u0301e\u0301e\u0301", 3, "…", "a…"},
		{"zwj family not split", "a👩\u200d👩\u200d👧b", 4, "…", "a…"},
		{"skin tone not split", "ab👍\U0001F3FDcd", 4, "…", "ab…"},
		{"flag pair not split", "a🇫🇷🇩🇪", 3, "…", "a…"},
		{"second flag whole", "a🇫🇷🇩🇪x", 4, "…", "a🇫🇷…"},
		{"entity not split", "a &amp; b", 4, "…", "a …"},
		{"entity kept whole", "a &amp; b", 8, "…", "a &amp;…"},
		{"lt not split", "x&lt;y", 4, "…", "x…"},
		{"bare ampersand cut normally", "x&ltz0123", 4, "…", "x&l…"},
		{"crlf not split", "ab\r\ncd", 3, "", "ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.max, tt.note)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d, %q) = %q, want %q", tt.in, tt.max, tt.note, got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > max(tt.max, 0) {
				t.Errorf("result has %d runes, max %d", n, tt.max)
			}
			if !utf8.ValidString(got) {
				t.Errorf("result %q is not valid UTF-8", got)
			}
		})
	}
}

func TestTruncateLongCombiningRun(t *testing.T) {
	// A run of marks longer than the back-off still gets a cut, on a rune boundary.
	in := "a" + strings.Repeat("\u0301", 100)
	got := Truncate(in, 50, "…")
	if n := utf8.RuneCountInString(got); n != 50 || !utf8.ValidString(got) {
		t.Fatalf("got %d runes (valid %v), want 50", n, utf8.ValidString(got))
	}
}

func TestCodeBlock(t *testing.T) {
	zw := zeroWidthSpace
	tests := []struct {
		name, in, want string
	}{
		{"plain", "x := 1", "```\nx := 1\n```"},
		{"escaped", "<!here> & <@U1>", "```\n&lt;!here&gt; &amp; &lt;@U1&gt;\n```"},
		{"fence inside", "a ``` b", "```\na `" + zw + "``" + " b\n```"},
		{"long backtick run", "`````", "```\n`" + zw + "``" + zw + "``\n```"},
		{"single and double backticks kept", "`a` ``b``", "```\n`a` ``b``\n```"},
		{"multi-line", "a\nb", "```\na\nb\n```"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CodeBlock(tt.in)
			if got != tt.want {
				t.Errorf("CodeBlock(%q) = %q, want %q", tt.in, got, tt.want)
			}
			inner := strings.TrimSuffix(strings.TrimPrefix(got, "```"), "```")
			if strings.Contains(inner, "```") {
				t.Errorf("fence inside the block: %q", got)
			}
		})
	}
}
