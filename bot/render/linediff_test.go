package render

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		ctx      int
		want     []string
	}{
		{"identical", "a\nb\n", "a\nb\n", 3, nil},
		{"both empty", "", "", 3, nil},
		{"insert", "a\nb\nc\n", "a\nb\nx\nc\n", 3,
			[]string{"@@ -1,3 +1,4 @@", " a", " b", "+x", " c"}},
		{"insert at top", "a\nb\n", "x\na\nb\n", 1,
			[]string{"@@ -1,1 +1,2 @@", "+x", " a"}},
		{"delete", "a\nb\nc\n", "a\nc\n", 3,
			[]string{"@@ -1,3 +1,2 @@", " a", "-b", " c"}},
		{"replace", "a\nb\nc\n", "a\nB\nc\n", 3,
			[]string{"@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"}},
		{"replace block deletions first", "a\nb\nc\nd\n", "a\nX\nY\nd\n", 0,
			[]string{"@@ -2,2 +2,2 @@", "-b", "-c", "+X", "+Y"}},
		{"trailing newline added", "a\nb", "a\nb\n", 3,
			[]string{"@@ -1,2 +1,2 @@", " a", "-b", NoNewline, "+b"}},
		{"trailing newline removed", "a\nb\n", "a\nb", 3,
			[]string{"@@ -1,2 +1,2 @@", " a", "-b", "+b", NoNewline}},
		{"unterminated context", "a\nb", "A\nb", 3,
			[]string{"@@ -1,2 +1,2 @@", "-a", "+A", " b", NoNewline}},
		{"empty old", "", "x\ny\n", 3,
			[]string{"@@ -0,0 +1,2 @@", "+x", "+y"}},
		{"empty new", "x\ny\n", "", 3,
			[]string{"@@ -1,2 +0,0 @@", "-x", "-y"}},
		{"no context", "1\n2\n3\n", "1\nX\n3\n", 0,
			[]string{"@@ -2,1 +2,1 @@", "-2", "+X"}},
		{"negative context is none", "1\n2\n3\n", "1\nX\n3\n", -2,
			[]string{"@@ -2,1 +2,1 @@", "-2", "+X"}},
		{"pure insert without context", "1\n2\n", "1\nX\n2\n", 0,
			[]string{"@@ -1,0 +2,1 @@", "+X"}},
		{"crlf is content", "a\r\nb\r\n", "a\nb\r\n", 1,
			[]string{"@@ -1,2 +1,2 @@", "-a\r", "+a", " b\r"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LineDiff(tt.old, tt.new, tt.ctx)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LineDiff(%q, %q, %d) =\n%s\nwant\n%s", tt.old, tt.new, tt.ctx,
					strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if tt.want != nil {
				if back, err := applyUnified(tt.old, got); err != nil || back != tt.new {
					t.Errorf("applying the diff: %q, %v; want %q", back, err, tt.new)
				}
			}
		})
	}
}

func TestLineDiffHunks(t *testing.T) {
	var lines []string
	for i := 1; i <= 30; i++ {
		lines = append(lines, strconv.Itoa(i))
	}
	old := strings.Join(lines, "\n") + "\n"
	edit := func(at ...int) string {
		l := append([]string(nil), lines...)
		for _, i := range at {
			l[i-1] += "x"
		}
		return strings.Join(l, "\n") + "\n"
	}
	tests := []struct {
		name    string
		new     string
		ctx     int
		headers []string
	}{
		{"gap of 2*ctx merges", edit(5, 12), 3, []string{"@@ -2,14 +2,14 @@"}},
		{"gap over 2*ctx splits", edit(5, 13), 3, []string{"@@ -2,7 +2,7 @@", "@@ -10,7 +10,7 @@"}},
		{"context clipped at the top", edit(1), 3, []string{"@@ -1,4 +1,4 @@"}},
		{"context clipped at the end", edit(30), 3, []string{"@@ -27,4 +27,4 @@"}},
		{"three hunks", edit(2, 15, 29), 2, []string{"@@ -1,4 +1,4 @@", "@@ -13,5 +13,5 @@", "@@ -27,4 +27,4 @@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LineDiff(old, tt.new, tt.ctx)
			var headers []string
			for _, l := range got {
				if strings.HasPrefix(l, "@@") {
					headers = append(headers, l)
				}
			}
			if !reflect.DeepEqual(headers, tt.headers) {
				t.Errorf("headers %q, want %q", headers, tt.headers)
			}
			if back, err := applyUnified(old, got); err != nil || back != tt.new {
				t.Errorf("applying the diff: %v", err)
			}
		})
	}
}

// TestLineDiffRandom checks, on random inputs, that the script is a
// shortest one (its kept lines are a longest common subsequence) and that
// the unified output applies back to the new text.
func TestLineDiffRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "c", "d", "", "e e"}
	gen := func() string {
		n := rng.IntN(25)
		var b strings.Builder
		for i := range n {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
			if i < n-1 || rng.IntN(3) > 0 {
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	for i := range 2000 {
		old, new := gen(), gen()
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			a, b := splitLines(old), splitLines(new)
			ops := editScript(a, b)
			kept := 0
			for _, o := range ops {
				if o == opEqual {
					kept++
				}
			}
			if want := lcsLen(a, b); kept != want {
				t.Fatalf("script keeps %d lines, LCS is %d (%q → %q)", kept, want, old, new)
			}
			for _, ctx := range []int{0, 1, 3} {
				d := LineDiff(old, new, ctx)
				back, err := applyUnified(old, d)
				if err != nil || back != new {
					t.Fatalf("ctx %d: apply gave %q, %v; want %q\n%s", ctx, back, err, new, strings.Join(d, "\n"))
				}
			}
		})
	}
}

func TestLineDiffFallbackBeyondLimit(t *testing.T) {
	// Two texts with no line in common and more lines than the edit bound:
	// the result is a full replacement, still correct.
	var a, b strings.Builder
	for i := range maxEditDistance {
		fmt.Fprintf(&a, "a%d\n", i)
		fmt.Fprintf(&b, "b%d\n", i)
	}
	d := LineDiff(a.String(), b.String(), 3)
	if back, err := applyUnified(a.String(), d); err != nil || back != b.String() {
		t.Fatalf("apply: %v", err)
	}
	if d[0] != fmt.Sprintf("@@ -1,%d +1,%d @@", maxEditDistance, maxEditDistance) {
		t.Errorf("header %q", d[0])
	}
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// applyUnified applies LineDiff output to old, checking every context and
// deleted line against it.
func applyUnified(old string, diff []string) (string, error) {
	src := splitLines(old)
	var out []string
	pos := 0 // next line of src
	for i := 0; i < len(diff); {
		var as, ac, bs, bc int
		if _, err := fmt.Sscanf(diff[i], "@@ -%d,%d +%d,%d @@", &as, &ac, &bs, &bc); err != nil {
			return "", fmt.Errorf("line %d: bad header %q", i, diff[i])
		}
		start := as - 1
		if ac == 0 {
			start = as
		}
		if start < pos {
			return "", fmt.Errorf("hunk %q overlaps", diff[i])
		}
		out = append(out, src[pos:start]...)
		pos = start
		i++
		na, nb := 0, 0
		for i < len(diff) && !strings.HasPrefix(diff[i], "@@") {
			l := diff[i]
			full := l[1:] + "\n"
			if i+1 < len(diff) && diff[i+1] == NoNewline {
				full = l[1:]
			}
			switch l[0] {
			case ' ', '-':
				if pos >= len(src) || src[pos] != full {
					return "", fmt.Errorf("line %d: %q does not match the old text", i, l)
				}
				pos++
				na++
				if l[0] == ' ' {
					out = append(out, full)
					nb++
				}
			case '+':
				out = append(out, full)
				nb++
			default:
				return "", fmt.Errorf("line %d: bad line %q", i, l)
			}
			i++
			if i < len(diff) && diff[i] == NoNewline {
				i++
			}
		}
		if na != ac || nb != bc {
			return "", fmt.Errorf("hunk counts %d,%d; header says %d,%d", na, nb, ac, bc)
		}
	}
	out = append(out, src[pos:]...)
	return strings.Join(out, ""), nil
}

// prompt20k is a deterministic ~20 KB prompt of numbered, varied lines.
func prompt20k() string {
	var b strings.Builder
	topics := []string{"greeting", "refunds", "shipping", "escalation", "privacy", "tone"}
	for i := 0; b.Len() < 20*1024; i++ {
		fmt.Fprintf(&b, "Rule %d (%s): when the caller asks about %s, answer briefly and confirm the order number before acting.\n",
			i, topics[i%len(topics)], topics[(i*7)%len(topics)])
	}
	return b.String()
}

// edit20k changes a few lines of the 20 KB prompt: one rewritten, one
// inserted, one deleted.
func edit20k(p string) string {
	lines := strings.SplitAfter(p, "\n")
	lines[10] = "Rule 10 (greeting): greet the caller by name <!channel> & smile.\n"
	lines = append(lines[:60], append([]string{"Never read out card numbers.\n"}, lines[60:]...)...)
	lines = append(lines[:150], lines[151:]...)
	return strings.Join(lines, "")
}

func BenchmarkLineDiff20KB(b *testing.B) {
	old := prompt20k()
	new := edit20k(old)
	b.SetBytes(int64(len(old)))
	b.ReportAllocs()
	for b.Loop() {
		if len(LineDiff(old, new, 3)) == 0 {
			b.Fatal("no diff")
		}
	}
}

func BenchmarkLineDiff20KBRewritten(b *testing.B) {
	old := prompt20k()
	new := strings.ReplaceAll(old, "briefly", "in full")
	b.SetBytes(int64(len(old)))
	b.ReportAllocs()
	for b.Loop() {
		if len(LineDiff(old, new, 3)) == 0 {
			b.Fatal("no diff")
		}
	}
}
