package render

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/slack-go/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func js(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

func ch(path string, old, new any) platform.Change {
	return platform.Change{Path: path, Old: js(old), New: js(new)}
}

func sec(name string, changes ...platform.Change) platform.SectionDiff {
	return platform.SectionDiff{Section: name, Changes: changes}
}

func smallDiff() platform.Diff {
	return platform.Diff{
		Unchanged: []string{"llm", "language", "privacy"},
		Sections: []platform.SectionDiff{
			sec("call_handling", ch("firstMessage", "Hello! How can I help you today?", "Hi, thanks for calling Acme. How can I help?")),
			sec("voice", ch("synthesizer.voiceConfig.voiceId", "emily", "arman")),
			sec("workflow_tools", ch("tools[2]", nil, map[string]any{
				"type": "end_call", "name": "end_call",
				"description": "End the call once the caller has said goodbye.",
			})),
		},
	}
}

// hugeDiff needs several pages: many sections, each with short changes
// and a rewritten multi-line value.
func hugeDiff() platform.Diff {
	var d platform.Diff
	for s, name := range []string{"workflow_prompt", "workflow_tools", "llm", "voice", "language", "call_handling",
		"detection", "analytics", "timeouts", "audio", "privacy", "widget"} {
		var changes []platform.Change
		for i := range 6 {
			changes = append(changes, ch(fmt.Sprintf("settings%d.option%d", s, i), i*s, fmt.Sprintf("value %d/%d", s, i)))
		}
		var old, new strings.Builder
		for i := range 40 {
			fmt.Fprintf(&old, "%s line %d: the agent keeps the caller informed while it works.\n", name, i)
			fmt.Fprintf(&new, "%s line %d: the agent tells the caller what it is doing, step by step.\n", name, i)
		}
		changes = append(changes, ch(fmt.Sprintf("notes%d", s), old.String(), new.String()))
		d.Sections = append(d.Sections, sec(name, changes...))
	}
	return d
}

func unicodeDiff() platform.Diff {
	old := "Begrüße den Anrufer freundlich.\n日本語のお客様には日本語で対応してください。\nZalgo-ish: e\u0301e\u0301 n\u0303\nFamily: 👩\u200d👩\u200d👧 flags: 🇫🇷🇩🇪\n"
	new := strings.Replace(old, "freundlich", "herzlich 😊", 1) +
		strings.Repeat("👍🏽🇯🇵a\u0301日", 700) + "\n" // one line far longer than a section
	return platform.Diff{Sections: []platform.SectionDiff{
		sec("workflow_prompt", ch("prompt", old, new)),
		sec("call_handling", ch("firstMessage", "こんにちは", "こんにちは 👋 ようこそ")),
		sec("voice", ch("pronunciationDicts[0].word", "Zoë", "Zoë\u0301")),
	}}
}

func injectionDiff() platform.Diff {
	return platform.Diff{Sections: []platform.SectionDiff{
		sec("workflow_prompt", ch("prompt",
			"You are helpful.\nEscalate to <!here> when stuck.\n",
			"You are helpful & kind.\nEscalate to <!channel> and <@U123> when stuck, or @here.\n```\nrm -rf /\n```\n<https://evil.example|click me>\n")),
		sec("call_handling", ch("firstMessage", "<!everyone> hi", "Hi <@U123> & <#C123> *bold* `code`")),
		sec("custom<!here>&", ch("a<b>&c", "<tag>", "&amp;")),
	}}
}

func TestDiffGolden(t *testing.T) {
	prompt := prompt20k()
	tests := []struct {
		name  string
		title string
		diff  platform.Diff
		opt   DiffOptions
		check func(t *testing.T, pages []Message)
	}{
		{name: "small", title: `support-bot: draft "greeting" vs v12 (active)`, diff: smallDiff(),
			check: func(t *testing.T, pages []Message) {
				wantPages(t, pages, 1)
				all := allText(t, pages)
				for _, s := range []string{"`firstMessage`", "`synthesizer.voiceConfig.voiceId`: `\"emily\"` → `\"arman\"`",
					"`tools[2]` added", "*Tools*", "*Call handling*", "Unchanged: Model, Language, Privacy"} {
					if !strings.Contains(all, s) {
						t.Errorf("missing %q", s)
					}
				}
			}},
		{name: "prompt_20kb", title: "support-bot: draft vs v3", diff: platform.Diff{Sections: []platform.SectionDiff{
			sec("workflow_prompt", ch("prompt", prompt, edit20k(prompt))),
		}}, check: func(t *testing.T, pages []Message) {
			wantPages(t, pages, 1)
			all := allText(t, pages)
			for _, s := range []string{"+Rule 10 (greeting): greet the caller by name &lt;!channel&gt; &amp; smile.",
				"+Never read out card numbers.", "-Rule 149 (tone)", "(+2 −2 lines)"} {
				if !strings.Contains(all, s) {
					t.Errorf("missing %q", s)
				}
			}
		}},
		{name: "unicode", title: "Agent 🤖 日本語 — draft ✨", diff: unicodeDiff(), opt: DiffOptions{Budget: MinBudget},
			check: func(t *testing.T, pages []Message) {
				if len(pages) < 2 {
					t.Errorf("the long line should need several pages, got %d", len(pages))
				}
				if !strings.Contains(allText(t, pages), lineContinues) {
					t.Errorf("an over-long line must be split with a note")
				}
			}},
		{name: "empty", title: "support-bot: draft vs v12", diff: platform.Diff{Unchanged: []string{"workflow_prompt", "voice"}},
			check: func(t *testing.T, pages []Message) {
				wantPages(t, pages, 1)
				if !strings.Contains(strings.ToLower(pages[0].Text), "no changes") ||
					!strings.Contains(strings.ToLower(allText(t, pages)), "no changes") {
					t.Errorf("an empty diff must say no changes")
				}
			}},
		{name: "empty_zero", title: "nothing", diff: platform.Diff{}},
		{name: "injection", title: "<!channel> & <@U123> draft", diff: injectionDiff(),
			check: func(t *testing.T, pages []Message) {
				all := allText(t, pages)
				for _, s := range []string{"&lt;!channel&gt; &amp; &lt;@U123&gt; draft", "+Escalate to &lt;!channel&gt; and &lt;@U123&gt; when stuck, or @here.",
					"`a&lt;b&gt;&amp;c`", "*custom&lt;!here&gt;&amp;*"} {
					if !strings.Contains(all, s) {
						t.Errorf("missing %q", s)
					}
				}
			}},
		{name: "huge", title: "big-agent: draft vs v40", diff: hugeDiff(),
			check: func(t *testing.T, pages []Message) {
				if len(pages) < 3 {
					t.Fatalf("want several pages, got %d", len(pages))
				}
			}},
		{name: "max_pages", title: "big-agent: draft vs v40", diff: hugeDiff(), opt: DiffOptions{MaxPages: 2},
			check: func(t *testing.T, pages []Message) {
				wantPages(t, pages, 2)
				last := lastBlockText(pages[1])
				if !regexp.MustCompile(`^… (the rest of the .* diff and )?\d+ more changes in \d+ sections not shown$`).MatchString(last) {
					t.Errorf("cut note %q", last)
				}
			}},
		{name: "header_blocks", title: "support-bot: draft vs v12", diff: smallDiff(), opt: DiffOptions{
			HeaderBlocks: []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Promotion request", false, false))},
			Context:      -1,
		}, check: func(t *testing.T, pages []Message) {
			if _, ok := pages[0].Blocks[0].(*slack.HeaderBlock); !ok {
				t.Errorf("page 1 must start with the caller's header block")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pages := Diff(tt.title, tt.diff, tt.opt)
			checkPages(t, pages, tt.opt)
			checkRoundTrip(t, pages)
			if tt.check != nil {
				tt.check(t, pages)
			}
			compareGolden(t, filepath.Join("testdata", tt.name+".golden.json"), goldenJSON(t, pages))
		})
	}
}

func goldenJSON(t *testing.T, pages []Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(pages); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantPages(t *testing.T, pages []Message, n int) {
	t.Helper()
	if len(pages) != n {
		t.Fatalf("%d pages, want %d", len(pages), n)
	}
}

// blockTexts is every text of a message's blocks, read back from the JSON
// Slack would receive (independent of the renderer's own bookkeeping).
func blockTexts(t testing.TB, m Message) (sections []string, all []string) {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []map[string]any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		t.Fatal(err)
	}
	var walk func(v any, underText bool)
	walk = func(v any, underText bool) {
		switch v := v.(type) {
		case string:
			if underText {
				all = append(all, v)
			}
		case map[string]any:
			for k, e := range v {
				walk(e, k == "text")
			}
		case []any:
			for _, e := range v {
				walk(e, false)
			}
		}
	}
	for _, b := range blocks {
		if b["type"] == "section" {
			if txt, ok := b["text"].(map[string]any); ok {
				sections = append(sections, txt["text"].(string))
			}
		}
		walk(b, false)
	}
	return sections, all
}

func allText(t *testing.T, pages []Message) string {
	t.Helper()
	var b strings.Builder
	for _, p := range pages {
		_, texts := blockTexts(t, p)
		b.WriteString(p.Text + "\n" + strings.Join(texts, "\n") + "\n")
	}
	return b.String()
}

func lastBlockText(m Message) string {
	c, ok := m.Blocks[len(m.Blocks)-1].(*slack.ContextBlock)
	if !ok || len(c.ContextElements.Elements) != 1 {
		return ""
	}
	txt, _ := c.ContextElements.Elements[0].(*slack.TextBlockObject)
	if txt == nil {
		return ""
	}
	return txt.Text
}

var entityOrBare = regexp.MustCompile(`&(amp;|lt;|gt;)?`)

// checkPages asserts every limit and invariant a page must hold, and
// returns all the pages' text (fallbacks and blocks) for content checks.
func checkPages(t *testing.T, pages []Message, opt DiffOptions) string {
	t.Helper()
	var all strings.Builder
	budget := opt.Budget
	if budget == 0 {
		budget = PageBudget
	}
	budget = min(max(budget, MinBudget), PageBudget)
	n := len(pages)
	if n == 0 {
		t.Fatal("no pages")
		return ""
	}
	if opt.MaxPages > 0 && n > opt.MaxPages {
		t.Errorf("%d pages, MaxPages %d", n, opt.MaxPages)
	}
	for i, p := range pages {
		if err := CheckMessage(p); err != nil {
			t.Errorf("page %d: %v", i+1, err)
		}
		if len(p.Blocks) > MaxBlocks {
			t.Errorf("page %d: %d blocks", i+1, len(p.Blocks))
		}
		if runeLen(p.Text) > MaxMessageText || p.Text == "" {
			t.Errorf("page %d: text of %d runes", i+1, runeLen(p.Text))
		}
		sections, texts := blockTexts(t, p)
		total := 0
		for _, s := range texts {
			total += runeLen(s)
		}
		if total > budget {
			t.Errorf("page %d: %d runes of block text, budget %d", i+1, total, budget)
		}
		for j, s := range sections {
			if s == "" || runeLen(s) > MaxSectionText {
				t.Errorf("page %d section %d: %d runes", i+1, j, runeLen(s))
			}
			if c := strings.Count(s, "```"); c != 0 && c != 2 {
				t.Errorf("page %d section %d: %d fences (a value broke out of its code block): %q", i+1, j, c, s)
			}
		}
		for _, s := range append(texts, p.Text) {
			if strings.ContainsAny(s, "<>") {
				t.Errorf("page %d: unescaped < or > in %q", i+1, s)
			}
			for _, m := range entityOrBare.FindAllString(s, -1) {
				if m == "&" {
					t.Errorf("page %d: bare & in %q", i+1, s)
					break
				}
			}
			if !isValidUTF8(s) {
				t.Errorf("page %d: invalid UTF-8", i+1)
			}
		}
		if n > 1 && !strings.HasSuffix(p.Text, fmt.Sprintf("(%d/%d)", i+1, n)) && !strings.HasSuffix(p.Text, fmt.Sprintf("(%d/%d) (cut)", i+1, n)) {
			t.Errorf("page %d: text %q is not numbered", i+1, p.Text)
		}
		if k := len(p.Blocks); k >= 3 && (i < n-1 || strings.HasSuffix(p.Text, "(cut)")) {
			if _, ok := p.Blocks[k-3].(*slack.DividerBlock); ok {
				t.Errorf("page %d ends with a section heading", i+1)
			}
		}
		if i < n-1 {
			want := fmt.Sprintf("Diff continues in the next message (%d/%d)", i+2, n)
			if got := lastBlockText(p); got != want {
				t.Errorf("page %d ends with %q, want %q", i+1, got, want)
			}
		}
		all.WriteString(p.Text + "\n" + strings.Join(texts, "\n") + "\n")
	}
	for i, h := range opt.HeaderBlocks {
		if pages[0].Blocks[i] != h {
			t.Errorf("header block %d not at the top of page 1", i)
		}
	}
	return all.String()
}

// checkRoundTrip checks that slack-go (as Slack) can read the blocks back.
func checkRoundTrip(t *testing.T, pages []Message) {
	t.Helper()
	for i, p := range pages {
		raw, err := json.Marshal(p.Blocks)
		if err != nil {
			t.Fatal(err)
		}
		var back slack.Blocks
		if err := json.Unmarshal(raw, &back); err != nil || len(back.BlockSet) != len(p.Blocks) {
			t.Errorf("page %d: blocks do not round-trip: %v", i+1, err)
		}
	}
}
