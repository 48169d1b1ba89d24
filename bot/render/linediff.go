package render

import (
	"strconv"
	"strings"
)

// NoNewline marks, as in diff(1), a line that lacks a trailing newline.
const NoNewline = `\ No newline at end of file`

// maxEditDistance bounds the Myers search, whose trace costs O(D²) memory.
// Inputs further apart than this (after trimming their common prefix and
// suffix) are shown as a replacement of the differing middle, which is what
// such a diff amounts to for a reader anyway.
const maxEditDistance = 1024

// LineDiff returns a unified line diff of old and new: hunks headed
// "@@ -a,b +c,d @@" (both counts always written; a zero count's start is the
// line before, as in diff(1)), lines prefixed "-", "+" or " ", with ctx lines
// of context (negative means none). A last line without a newline is
// followed by NoNewline. Identical inputs give nil.
//
// The edit script is Myers' shortest one, computed on interned lines after
// trimming the common prefix and suffix, so a 20 KB prompt with a few edited
// lines costs well under a millisecond.
func LineDiff(old, new string, ctx int) []string {
	if old == new {
		return nil
	}
	a, b := splitLines(old), splitLines(new)
	return unified(editScript(a, b), a, b, max(ctx, 0))
}

// splitLines splits s after each "\n". Lines keep their newline, so a last
// line without one differs from the same text with one.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := make([]string, 0, strings.Count(s, "\n")+1)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// op is one line of an edit script; positions follow from counting.
type op byte

const (
	opEqual op = iota
	opDelete
	opInsert
)

// editScript returns a shortest edit script turning a into b, with the
// deletions of each change before its insertions.
func editScript(a, b []string) []op {
	ids := make(map[string]int32, len(a)+len(b))
	intern := func(lines []string) []int32 {
		out := make([]int32, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = int32(len(ids))
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := intern(a), intern(b)

	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}

	ops := make([]op, 0, len(x)+len(y)-pre-suf)
	for range pre {
		ops = append(ops, opEqual)
	}
	ops = myers(ops, x[pre:len(x)-suf], y[pre:len(y)-suf])
	for range suf {
		ops = append(ops, opEqual)
	}
	return groupChanges(ops)
}

// myers appends the edit script of x → y to ops: the greedy forward search
// for the furthest-reaching path on each diagonal, keeping a trace of the
// frontier per edit distance d to walk the path back.
func myers(ops []op, x, y []int32) []op {
	n, m := len(x), len(y)
	if n == 0 || m == 0 {
		return replaceAll(ops, n, m)
	}
	limit := min(n+m, maxEditDistance)
	off := limit + 1
	v := make([]int32, 2*limit+3)
	trace := make([][]int32, 0, 16) // trace[d][k+d]: v[k] before step d
	found := -1
	for d := 0; d <= limit && found < 0; d++ {
		snap := make([]int32, 2*d+1)
		copy(snap, v[off-d:off+d+1])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var px int32
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				px = v[off+k+1] // down: an insertion
			} else {
				px = v[off+k-1] + 1 // right: a deletion
			}
			py := px - int32(k)
			for int(px) < n && int(py) < m && x[px] == y[py] {
				px++
				py++
			}
			v[off+k] = px
			if int(px) >= n && int(py) >= m {
				found = d
				break
			}
		}
	}
	if found < 0 {
		return replaceAll(ops, n, m)
	}

	// Walk back from (n, m), collecting the script in reverse.
	rev := make([]op, 0, n+m)
	px, py := int32(n), int32(m)
	for d := found; d > 0; d-- {
		vd := trace[d]
		k := int(px - py)
		prevK := k - 1
		if k == -d || k != d && vd[k-1+d] < vd[k+1+d] {
			prevK = k + 1
		}
		prevX := vd[prevK+d]
		prevY := prevX - int32(prevK)
		for px > prevX && py > prevY {
			px--
			py--
			rev = append(rev, opEqual)
		}
		if px == prevX {
			rev = append(rev, opInsert)
		} else {
			rev = append(rev, opDelete)
		}
		px, py = prevX, prevY
	}
	for ; px > 0; px-- { // the snake of d = 0
		rev = append(rev, opEqual)
	}
	for i := len(rev) - 1; i >= 0; i-- {
		ops = append(ops, rev[i])
	}
	return ops
}

// replaceAll appends the deletion of n lines and the insertion of m lines.
func replaceAll(ops []op, n, m int) []op {
	for range n {
		ops = append(ops, opDelete)
	}
	for range m {
		ops = append(ops, opInsert)
	}
	return ops
}

// groupChanges puts the deletions of each run of changes before its
// insertions, as unified diffs show them.
func groupChanges(ops []op) []op {
	for i := 0; i < len(ops); {
		if ops[i] == opEqual {
			i++
			continue
		}
		j, dels := i, 0
		for ; j < len(ops) && ops[j] != opEqual; j++ {
			if ops[j] == opDelete {
				dels++
			}
		}
		for k := i; k < j; k++ {
			if k < i+dels {
				ops[k] = opDelete
			} else {
				ops[k] = opInsert
			}
		}
		i = j
	}
	return ops
}

// unified formats the edit script as hunks with ctx lines of context;
// changes at most 2*ctx equal lines apart share a hunk.
func unified(ops []op, a, b []string, ctx int) []string {
	var out []string
	ai, bi := 0, 0 // lines of a and b before ops[i]
	for i := 0; i < len(ops); {
		start := i
		for i < len(ops) && ops[i] == opEqual {
			i++
		}
		if i == len(ops) {
			break
		}
		lead := min(i-start, ctx)
		ai += i - start - lead
		bi += i - start - lead
		lo := i - lead

		end := i // one past the hunk's last change
		for {
			for end < len(ops) && ops[end] != opEqual {
				end++
			}
			next := end
			for next < len(ops) && ops[next] == opEqual {
				next++
			}
			if next == len(ops) || next-end > 2*ctx {
				break
			}
			end = next
		}
		hi := min(end+ctx, len(ops))

		na, nb := 0, 0
		for _, o := range ops[lo:hi] {
			if o != opInsert {
				na++
			}
			if o != opDelete {
				nb++
			}
		}
		out = append(out, hunkHeader(ai, na, bi, nb))
		for _, o := range ops[lo:hi] {
			switch o {
			case opEqual:
				out = appendLine(out, ' ', a[ai])
				ai++
				bi++
			case opDelete:
				out = appendLine(out, '-', a[ai])
				ai++
			case opInsert:
				out = appendLine(out, '+', b[bi])
				bi++
			}
		}
		i = hi
	}
	return out
}

// hunkHeader writes "@@ -a,b +c,d @@" from 0-based starts; an empty side's
// start is the line before it (0 at the top), as in diff(1).
func hunkHeader(a, na, b, nb int) string {
	start := func(s, n int) string {
		if n > 0 {
			s++
		}
		return strconv.Itoa(s) + "," + strconv.Itoa(n)
	}
	return "@@ -" + start(a, na) + " +" + start(b, nb) + " @@"
}

func appendLine(out []string, prefix byte, line string) []string {
	if body, ok := strings.CutSuffix(line, "\n"); ok {
		return append(out, string(prefix)+body)
	}
	return append(out, string(prefix)+line, NoNewline)
}
