package command

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParse(t *testing.T) {
	tests := []struct {
		text string
		want Command
	}{
		{"", Command{Name: Help}},
		{"   ", Command{Name: Help}},
		{"help", Command{Name: Help}},
		{"help promote", Command{Name: Help, Topic: "promote"}},
		{"agents", Command{Name: Agents}},
		{"agents support bot", Command{Name: Agents, Search: "support bot"}},
		{`agents "support"`, Command{Name: Agents, Search: "support"}},
		{"status support-concierge", Command{Name: Status, Agent: "support-concierge"}},
		{"STATUS support-concierge", Command{Name: Status, Agent: "support-concierge"}},
		{`status "Support Concierge"`, Command{Name: Status, Agent: "Support Concierge"}},
		{"status “Support Concierge”", Command{Name: Status, Agent: "Support Concierge"}},
		{"versions a1", Command{Name: Versions, Agent: "a1"}},
		{"drafts a1", Command{Name: Drafts, Agent: "a1"}},
		{"diff a1", Command{Name: Diff, Agent: "a1"}},
		{"diff a1 my-draft", Command{Name: Diff, Agent: "a1", Draft: "my-draft"}},
		{"diff a1 v3 v5", Command{Name: Diff, Agent: "a1", Version: "v3", VersionB: "v5"}},
		{"edit a1", Command{Name: Edit, Agent: "a1"}},
		{"edit a1 d1", Command{Name: Edit, Agent: "a1", Draft: "d1"}},
		{"promote a1 d1", Command{Name: Promote, Agent: "a1", Draft: "d1"}},
		{"promote a1 d1 greeting   fix <!channel>", Command{Name: Promote, Agent: "a1", Draft: "d1", Label: "greeting   fix <!channel>"}},
		{`promote a1 d1 "quoted label"`, Command{Name: Promote, Agent: "a1", Draft: "d1", Label: "quoted label"}},
		{"rollback a1 v2", Command{Name: Rollback, Agent: "a1", Version: "v2"}},
		{"cancel a1", Command{Name: Cancel, Agent: "a1"}},
		{"watch a1", Command{Name: Watch, Agent: "a1"}},
		{"unwatch a1", Command{Name: Unwatch, Agent: "a1"}},
		{"\tstatus\u00a0a1\n", Command{Name: Status, Agent: "a1"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text      string
		wantName  string
		wantInMsg string
	}{
		{"frobnicate", "", "don't know"},
		{"status", Status, "needs an agent"},
		{"status two words", Status, "quotes"},
		{"promote", Promote, "agent and a draft"},
		{"promote a1", Promote, "needs a draft"},
		{"rollback a1", Rollback, "version to go back to"},
		{"diff a1 b c d", Diff, "Too many"},
		{`status "unclosed`, "", "quote is not closed"},
		{"promote a1 d1 " + strings.Repeat("x", MaxLabelLen+1), Promote, "label is too long"},
		{"status " + strings.Repeat("y", MaxRefLen+1), Status, "too long"},
		{strings.Repeat("z", MaxTextLen+1), "", "too long"},
		{"status \xff", "", "not valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.text[:min(len(tt.text), 30)], func(t *testing.T) {
			_, err := Parse(tt.text)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error = %v, want *UsageError", tt.text, err)
			}
			if ue.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", ue.Name, tt.wantName)
			}
			if !strings.Contains(ue.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not mention %q", ue.Error(), tt.wantInMsg)
			}
			if ue.Name != "" && !strings.Contains(ue.Error(), "Usage: /atoms "+ue.Name) {
				t.Errorf("error %q lacks the usage line", ue.Error())
			}
		})
	}
}

func TestEverySubcommandHasUsage(t *testing.T) {
	for _, name := range Order {
		if UsageOf(name) == "" || SummaryOf(name) == "" {
			t.Errorf("%s: missing usage or summary", name)
		}
	}
	if len(Order) != len(specs) {
		t.Errorf("Order lists %d subcommands, specs %d", len(Order), len(specs))
	}
}

// FuzzParse: the parser never panics, and what it accepts is well-formed.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "help", "status a", `promote "a b" d label`, "diff a v1 v2", "“x”", `"`, "agents \u00a0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Parse(text)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) returned %T, want *UsageError", text, err)
			}
			return
		}
		if _, ok := specs[c.Name]; !ok {
			t.Fatalf("Parse(%q) accepted unknown subcommand %q", text, c.Name)
		}
		for _, v := range []string{c.Agent, c.Draft, c.Version, c.VersionB, c.Label, c.Search} {
			if !utf8.ValidString(v) {
				t.Fatalf("Parse(%q) produced invalid UTF-8 %q", text, v)
			}
		}
		if c.Name != Help && c.Name != Agents && c.Agent == "" {
			t.Fatalf("Parse(%q) = %+v without an agent", text, c)
		}
	})
}

func TestParseCall(t *testing.T) {
	tests := []struct {
		text string
		want Command
		err  string
	}{
		{"call a1", Command{Name: Call, Agent: "a1"}, ""},
		{"call a1 v3", Command{Name: Call, Agent: "a1", Draft: "v3"}, ""},
		{`call a1 "Refund policy update" +15551234567`, Command{Name: Call, Agent: "a1", Draft: "Refund policy update", Phone: "+15551234567"}, ""},
		{"call a1 +15551234567", Command{Name: Call, Agent: "a1", Phone: "+15551234567"}, ""},
		{"call --forget", Command{Name: Call, Forget: true}, ""},
		{"call --forget a1", Command{}, "takes nothing else"},
		{"call a1 v3 v4", Command{}, "Name one draft or version"},
		{"call", Command{}, "needs an agent"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Parse(%q) = %+v, %v; want an error with %q", tt.text, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.text, got, err, tt.want)
			}
		})
	}
}
