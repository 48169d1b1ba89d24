package render

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/slack-go/slack"
)

func isValidUTF8(s string) bool { return utf8.ValidString(s) }

func TestSectionName(t *testing.T) {
	tests := map[string]string{
		"workflow_prompt": "Prompt",
		"workflow_tools":  "Tools",
		"voice":           "Voice",
		"llm":             "Model",
		"call_handling":   "Call handling",
		"analytics":       "Post-call analytics",
		"privacy":         "Privacy",
		"something_new":   "something_new",
		"":                "",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := SectionName(in); got != want {
				t.Errorf("SectionName(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestDiffText(t *testing.T) {
	tests := []struct {
		name string
		diff platform.Diff
		want []string
	}{
		{"small", smallDiff(), []string{
			"3 changes in 3 sections: Call handling, Voice, Tools",
			"Unchanged: Model, Language, Privacy",
			`firstMessage: "Hello! How can I help you today?" → "Hi, thanks for calling Acme. How can I help?"`,
			"== Tools (workflow_tools) — 1 change ==",
			"tools[2] added:\n    +{\n",
		}},
		{"not escaped", injectionDiff(), []string{"+Escalate to <!channel> and <@U123>", "-<!everyone> hi", `a<b>&c: "<tag>" → "&amp;"`}},
		{"empty", platform.Diff{}, []string{"No changes"}},
		{"whole section", platform.Diff{Sections: []platform.SectionDiff{sec("widget", ch("", map[string]any{"a": 1}, nil))}},
			[]string{`(whole section): {"a":1} → (unset)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiffText("title <x>", tt.diff)
			if !strings.HasPrefix(got, "title <x>\n") {
				t.Errorf("title missing or escaped: %q", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
		})
	}
}

func TestDiffValues(t *testing.T) {
	tests := []struct {
		name   string
		change platform.Change
		want   string // expected in the page's text
	}{
		{"string", ch("firstMessage", "a", "b"), "• `firstMessage`: `\"a\"` → `\"b\"`"},
		{"unset to string", ch("voiceId", nil, "v2"), "• `voiceId`: (unset) → `\"v2\"`"},
		{"missing old", platform.Change{Path: "x", New: js(1)}, "• `x`: (unset) → `1`"},
		{"number and bool", ch("timeout", 30, true), "• `timeout`: `30` → `true`"},
		{"compact object", ch("o", map[string]any{"a": 1}, []int{1, 2}), "• `o`: `{\"a\":1}` → `[1,2]`"},
		{"raw order kept", platform.Change{Path: "o", Old: []byte(`{ "z": 1, "a": 2 }`), New: []byte(`null`)}, "• `o`: `{\"z\":1,\"a\":2}` → (unset)"},
		{"string vs number", ch("n", "1", 1), "• `n`: `\"1\"` → `1`"},
		{"backtick goes to a code block", ch("m", "say `hi`", "say hi"), "• `m` changed (+1 −1 lines):\n```\n@@ -1,1 +1,1 @@\n-say `hi`\n+say hi\n```"},
		{"newline goes to a code block", ch("m", "a\nb", "a\nc"), "```\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n```"},
		{"long string goes to a code block", ch("m", strings.Repeat("x", 81), "y"), "(+1 −1 lines)"},
		{"removed object", ch("tools[0]", map[string]any{"name": strings.Repeat("n", 90)}, nil), "• `tools[0]` removed:\n```\n-{\n-  \"name\": \"nnn"},
		{"html kept readable", ch("m", "a<b", "a>b"), "`\"a&lt;b\"` → `\"a&gt;b\"`"},
		{"same text, other type", ch("m", strings.Repeat("1", 90), jsonNumber(strings.Repeat("1", 90))), "\n-\"111"},
		{"re-encoded long value", platform.Change{Path: "o", Old: []byte(`{"description": "` + strings.Repeat("d", 90) + `"}`),
			New: []byte(`{"description":"` + strings.Repeat("d", 90) + `"}`)}, "• `o`: " + sameNote},
		{"re-encoded short value", platform.Change{Path: "o", Old: []byte(`[1, 2]`), New: []byte(`[1,2]`)}, "• `o`: " + sameNote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := Diff("t", platform.Diff{Sections: []platform.SectionDiff{sec("misc", tt.change)}}, DiffOptions{})
			if all := checkPages(t, pages, DiffOptions{}); !strings.Contains(all, tt.want) {
				t.Errorf("missing %q in\n%s", tt.want, all)
			}
		})
	}
}

type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }

// TestDiffRandom renders random diffs with random options and checks every
// limit on every page, and that no change is lost: each path appears unless
// MaxPages cut it, in which case the note counts exactly the missing ones.
func TestDiffRandom(t *testing.T) {
	for seed := range uint64(64) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 99))
			d := randomDiff(rng)
			opt := DiffOptions{
				Budget:   []int{0, MinBudget, 3000, 5000, 100000, 1}[rng.IntN(6)],
				MaxPages: []int{0, 0, 1, 2, 3}[rng.IntN(5)],
				Context:  rng.IntN(5) - 1,
			}
			if rng.IntN(4) == 0 {
				opt.HeaderBlocks = []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Approval needed", false, false)),
					slack.NewSectionBlock(md("Requested by someone"), nil, nil)}
			}
			pages := Diff(randomText(rng, 300), d, opt)
			all := checkPages(t, pages, opt)
			checkComplete(t, d, pages, all, opt)
		})
	}
}

var cutNote = regexp.MustCompile(`^… (?:the rest of the .+ diff(?: and )?)?(?:(\d+) more changes? in (\d+) sections?)? not shown$`)

func checkComplete(t *testing.T, d platform.Diff, pages []Message, all string, opt DiffOptions) {
	t.Helper()
	missing := 0
	missingSecs := map[int]bool{}
	for si, s := range d.Sections {
		for _, c := range s.Changes {
			if !strings.Contains(all, "`"+Escape(c.Path)+"`") {
				missing++
				missingSecs[si] = true
				continue
			}
			if opt.MaxPages == 0 {
				checkValuesShown(t, c, all)
			}
		}
	}
	note := lastBlockText(pages[len(pages)-1])
	m := cutNote.FindStringSubmatch(note)
	if m == nil {
		if missing > 0 {
			t.Fatalf("%d changes missing without a cut note (last block %q)", missing, note)
		}
		return
	}
	if opt.MaxPages == 0 || len(pages) != opt.MaxPages {
		t.Errorf("cut note %q without MaxPages reached", note)
	}
	n, _ := strconv.Atoi(m[1])
	secs, _ := strconv.Atoi(m[2])
	if n != missing || secs != len(missingSecs) {
		t.Errorf("note %q; %d changes in %d sections are missing", note, missing, len(missingSecs))
	}
}

// checkValuesShown looks for the values of a change in the pages: short
// strings as themselves, lines of long strings as diff lines.
func checkValuesShown(t *testing.T, c platform.Change, all string) {
	t.Helper()
	var old, new any
	_ = jsonUnmarshal(c.Old, &old)
	_ = jsonUnmarshal(c.New, &new)
	os, oldIsStr := old.(string)
	ns, newIsStr := new.(string)
	if !oldIsStr || !newIsStr {
		return
	}
	if !strings.Contains(os, "\n") && !strings.Contains(ns, "\n") && runeLen(os) <= 80 && runeLen(ns) <= 80 && !strings.Contains(os+ns, "`") {
		for _, s := range []string{os, ns} {
			if !strings.Contains(all, "`"+Escape(string(js(s)))+"`") { // shown as a JSON string
				t.Errorf("%s: value %q not shown", c.Path, s)
			}
		}
		return
	}
	oldLines := map[string]bool{}
	for _, l := range strings.Split(os, "\n") {
		oldLines[l] = true
	}
	newLines := map[string]bool{}
	for _, l := range strings.Split(ns, "\n") {
		newLines[l] = true
		if !oldLines[l] && l != "" && runeLen(l) < 500 && !strings.Contains(l, "``") {
			if !strings.Contains(all, "\n+"+Escape(l)+"\n") {
				t.Errorf("%s: added line %q not shown", c.Path, l)
			}
		}
	}
	for l := range oldLines {
		if !newLines[l] && l != "" && runeLen(l) < 500 && !strings.Contains(l, "``") {
			if !strings.Contains(all, "\n-"+Escape(l)+"\n") {
				t.Errorf("%s: removed line %q not shown", c.Path, l)
			}
		}
	}
}

var words = []string{"agent", "caller", "refund", "<!channel>", "<@U123>", "&", "a&b", "日本語", "👩\u200d👩\u200d👧", "e\u0301",
	"🇫🇷", "*bold*", "`tick`", "```", "ok", "the", "order", "number", "please", "confirm", "ŧ", "@here", "\t"}

func randomText(rng *rand.Rand, maxWords int) string {
	n := 1 + rng.IntN(maxWords)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = words[rng.IntN(len(words))]
	}
	return strings.Join(parts, " ")
}

func randomLines(rng *rand.Rand) string {
	n := 1 + rng.IntN(80)
	lines := make([]string, n)
	for i := range lines {
		if rng.IntN(60) == 0 {
			lines[i] = randomText(rng, 1500) // far longer than a section
		} else {
			lines[i] = fmt.Sprintf("%d: %s", i, randomText(rng, 15))
		}
	}
	return strings.Join(lines, "\n")
}

// editLines changes a few lines of s, so the diff has context.
func editLines(rng *rand.Rand, s string) string {
	lines := strings.Split(s, "\n")
	for range 1 + rng.IntN(4) {
		i := rng.IntN(len(lines))
		switch rng.IntN(3) {
		case 0:
			lines[i] = "edited: " + randomText(rng, 10)
		case 1:
			lines = append(lines[:i], append([]string{"new: " + randomText(rng, 10)}, lines[i:]...)...)
		default:
			if len(lines) > 1 {
				lines = append(lines[:i], lines[i+1:]...)
			}
		}
	}
	return strings.Join(lines, "\n")
}

func randomValue(rng *rand.Rand) any {
	switch rng.IntN(8) {
	case 0:
		return nil
	case 1:
		return rng.IntN(1000)
	case 2:
		return rng.IntN(2) == 0
	case 3:
		return map[string]any{"name": randomText(rng, 3), "enabled": rng.IntN(2) == 0}
	case 4:
		return map[string]any{"type": "api_call", "description": randomText(rng, 40), "params": []any{randomText(rng, 5), 1}}
	case 5:
		return randomLines(rng)
	default:
		return randomText(rng, 6)
	}
}

func randomDiff(rng *rand.Rand) platform.Diff {
	names := []string{"workflow_prompt", "workflow_tools", "llm", "voice", "language", "call_handling", "detection",
		"analytics", "timeouts", "audio", "privacy", "widget", "custom_<x>", "playbooks"}
	var d platform.Diff
	if rng.IntN(10) == 0 {
		return d // empty
	}
	id := 0
	for _, si := range rng.Perm(len(names))[:1+rng.IntN(len(names))] {
		var changes []platform.Change
		for range 1 + rng.IntN(15) {
			id++
			path := fmt.Sprintf("field%d.sub", id)
			if rng.IntN(10) == 0 {
				path = fmt.Sprintf("a<b>&c[%d]", id)
			}
			old := randomValue(rng)
			new := randomValue(rng)
			if s, ok := old.(string); ok && strings.Contains(s, "\n") && rng.IntN(2) == 0 {
				new = editLines(rng, s)
			}
			changes = append(changes, ch(path, old, new))
		}
		d.Sections = append(d.Sections, sec(names[si], changes...))
	}
	return d
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
