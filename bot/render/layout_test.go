package render

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/slack-go/slack"
)

func TestDiffCutNote(t *testing.T) {
	longPrompt := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "line %d of a long prompt that keeps going for a while to fill the page\n", i)
		}
		return b.String()
	}
	short := func(i int) platform.Change { return ch(fmt.Sprintf("opt%d", i), i, i+1) }
	tests := []struct {
		name     string
		diff     platform.Diff
		maxPages int
		budget   int
		note     string
	}{
		{"part of a change", platform.Diff{Sections: []platform.SectionDiff{
			sec("workflow_prompt", ch("prompt", nil, longPrompt(400))),
		}}, 1, 0, "… the rest of the `prompt` diff not shown"},
		{"part and whole changes", platform.Diff{Sections: []platform.SectionDiff{
			sec("workflow_prompt", ch("prompt", nil, longPrompt(400))),
			sec("voice", short(1), short(2)),
			sec("llm", short(3)),
		}}, 2, 0, "… the rest of the `prompt` diff and 3 more changes in 2 sections not shown"},
		// With the smallest budget, each 12-line value is one block and
		// two of them do not fit one page.
		{"whole changes only", platform.Diff{Sections: []platform.SectionDiff{
			sec("workflow_prompt", ch("prompt", nil, longPrompt(12))),
			sec("voice", ch("a", nil, longPrompt(12))),
			sec("llm", short(3)),
		}}, 1, MinBudget, "… 2 more changes in 2 sections not shown"},
		{"one change", platform.Diff{Sections: []platform.SectionDiff{
			sec("workflow_prompt", ch("prompt", nil, longPrompt(12))),
			sec("voice", ch("a", nil, longPrompt(12))),
		}}, 1, MinBudget, "… 1 more change in 1 section not shown"},
		{"no cut when it fits", platform.Diff{Sections: []platform.SectionDiff{sec("voice", short(1))}}, 1, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := DiffOptions{MaxPages: tt.maxPages, Budget: tt.budget}
			pages := Diff("agent", tt.diff, opt)
			checkPages(t, pages, opt)
			last := pages[len(pages)-1]
			got := lastBlockText(last)
			if tt.note == "" {
				if strings.Contains(got, "not shown") || strings.HasSuffix(last.Text, "(cut)") {
					t.Errorf("unexpected cut: %q", got)
				}
				return
			}
			if got != tt.note {
				t.Errorf("note %q, want %q", got, tt.note)
			}
			if len(pages) != tt.maxPages || !strings.HasSuffix(last.Text, "(cut)") {
				t.Errorf("%d pages, last text %q", len(pages), last.Text)
			}
		})
	}
}

func TestFooterReserve(t *testing.T) {
	path := inlineCode(Truncate(safeText(strings.Repeat("&<", 200)), maxNameRunes, ellipsis))
	tests := map[string]string{
		"cut note":  cutNoteText(path, 999999999, 999999999),
		"continues": continuesText(maxPageNumber, maxPageNumber),
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			if n := runeLen(s); n > footerReserve {
				t.Errorf("%d runes, reserve %d: %q", n, footerReserve, s)
			}
		})
	}
}

func TestSplitLine(t *testing.T) {
	tests := []struct {
		name  string
		line  string
		avail int
		want  []string // nil: only the properties are checked
	}{
		{"fits", "+abc", 10, []string{"+abc"}},
		{"split", "+" + strings.Repeat("a", 40), 30, []string{
			"+" + strings.Repeat("a", 12) + lineContinues,
			"+" + lineContinued + strings.Repeat("a", 8) + lineContinues,
			"+" + lineContinued + strings.Repeat("a", 20),
		}},
		{"entities kept whole", "-" + strings.Repeat("&amp;x&lt;", 30), 40, nil},
		{"graphemes kept whole", " " + strings.Repeat("👩\u200d👩\u200d👧🇫🇷e\u0301", 30), 40, nil},
		{"room smaller than an entity", "-" + strings.Repeat("&amp;", 8), 26, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := splitLine(tt.line, tt.avail)
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("splitLine =\n%q\nwant\n%q", got, tt.want)
			}
			var content strings.Builder
			var bodies []string
			for i, p := range got {
				if runeLen(p) > tt.avail {
					t.Errorf("piece %d of %d runes > %d", i, runeLen(p), tt.avail)
				}
				if p[:1] != tt.line[:1] {
					t.Errorf("piece %d lost the line's prefix: %q", i, p)
				}
				body := p[1:]
				if i > 0 {
					body = strings.TrimPrefix(body, lineContinued)
				}
				if i < len(got)-1 {
					var ok bool
					if body, ok = strings.CutSuffix(body, lineContinues); !ok {
						t.Errorf("piece %d does not say the line continues: %q", i, p)
					}
				}
				content.WriteString(body)
				bodies = append(bodies, body)
			}
			if content.String() != tt.line[1:] {
				t.Errorf("pieces do not add up to the line")
			}
			checkPieces(t, tt.name, bodies)
		})
	}
}

var wholeEntity = regexp.MustCompile(`&(?:amp|lt|gt);`)

// checkPieces checks the cuts between pieces of the "kept whole" cases.
func checkPieces(t *testing.T, name string, bodies []string) {
	t.Helper()
	for i, b := range bodies {
		switch name {
		case "entities kept whole":
			if strings.Count(b, "&") != len(wholeEntity.FindAllString(b, -1)) {
				t.Errorf("piece %d splits an entity: %q", i, b)
			}
		case "graphemes kept whole":
			first, _ := utf8.DecodeRuneInString(b)
			if !strings.ContainsRune("👩🇫e", first) {
				t.Errorf("piece %d starts inside a grapheme: %q", i, b)
			}
			if last, _ := utf8.DecodeLastRuneInString(b); last == '\u200d' {
				t.Errorf("piece %d ends with a joiner", i)
			}
		}
	}
}

func TestDiffOptions(t *testing.T) {
	d := smallDiff()
	tests := []struct {
		name  string
		title string
		opt   DiffOptions
		check func(t *testing.T, pages []Message)
	}{
		{"empty title", " ", DiffOptions{}, func(t *testing.T, pages []Message) {
			if !strings.HasPrefix(pages[0].Text, defaultTitle+": ") {
				t.Errorf("text %q", pages[0].Text)
			}
		}},
		{"long title cut", strings.Repeat("<t>", 100), DiffOptions{}, func(t *testing.T, pages []Message) {
			intro := pages[0].Blocks[0].(*slack.SectionBlock).Text.Text
			title, _, _ := strings.Cut(intro, "\n")
			if runeLen(title) > maxTitleRunes+2 || !strings.HasSuffix(title, ellipsis+"*") {
				t.Errorf("title %q", title)
			}
		}},
		{"many header blocks", "t", DiffOptions{HeaderBlocks: func() []slack.Block {
			var b []slack.Block
			for range 30 {
				b = append(b, slack.NewDividerBlock())
			}
			return b
		}()}, func(t *testing.T, pages []Message) {
			if len(pages[0].Blocks) > MaxBlocks {
				t.Errorf("%d blocks", len(pages[0].Blocks))
			}
		}},
		{"big header blocks push content to page 2", "t", DiffOptions{Budget: MinBudget, HeaderBlocks: []slack.Block{
			slack.NewSectionBlock(md(strings.Repeat("h", 1500)), nil, nil),
		}}, func(t *testing.T, pages []Message) {
			if len(pages) < 2 {
				t.Errorf("%d pages", len(pages))
			}
		}},
		{"budget above PageBudget is clamped", "t", DiffOptions{Budget: 50000}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := Diff(tt.title, d, tt.opt)
			checkPages(t, pages, tt.opt)
			if tt.check != nil {
				tt.check(t, pages)
			}
		})
	}
}

func BenchmarkDiff20KBPrompt(b *testing.B) {
	old := prompt20k()
	d := platform.Diff{Sections: []platform.SectionDiff{
		sec("workflow_prompt", ch("prompt", old, edit20k(old))),
		sec("call_handling", ch("firstMessage", "Hello", "Hi there")),
	}}
	b.ReportAllocs()
	for b.Loop() {
		if len(Diff("agent: draft vs v3", d, DiffOptions{})) != 1 {
			b.Fatal("want one page")
		}
	}
}

func BenchmarkDiffHuge(b *testing.B) {
	d := hugeDiff()
	b.ReportAllocs()
	for b.Loop() {
		if len(Diff("big-agent", d, DiffOptions{})) < 3 {
			b.Fatal("want several pages")
		}
	}
}
