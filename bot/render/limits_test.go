package render

import (
	"errors"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func md(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func TestCheckMessage(t *testing.T) {
	section := func(s string) slack.Block { return slack.NewSectionBlock(md(s), nil, nil) }
	many := func(n int, b slack.Block) []slack.Block {
		out := make([]slack.Block, n)
		for i := range out {
			out[i] = b
		}
		return out
	}
	fields := func(n, size int) []*slack.TextBlockObject {
		out := make([]*slack.TextBlockObject, n)
		for i := range out {
			out[i] = md(strings.Repeat("f", size))
		}
		return out
	}
	button := func(value string) slack.Block {
		return slack.NewActionBlock("a", slack.NewButtonBlockElement("b", value, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)))
	}
	tests := []struct {
		name string
		msg  Message
		what string // "" when the message is fine
	}{
		{"fine", Message{Text: "t", Blocks: []slack.Block{section("hi"), slack.NewDividerBlock()}}, ""},
		{"empty text", Message{Blocks: []slack.Block{section("hi")}}, "empty message text"},
		{"text too long", Message{Text: strings.Repeat("x", MaxMessageText+1)}, "message text"},
		{"text at limit in runes", Message{Text: strings.Repeat("é", MaxMessageText)}, ""},
		{"too many blocks", Message{Text: "t", Blocks: many(MaxBlocks+1, slack.NewDividerBlock())}, "blocks"},
		{"blocks at limit", Message{Text: "t", Blocks: many(MaxBlocks, slack.NewDividerBlock())}, ""},
		{"section text", Message{Text: "t", Blocks: []slack.Block{section(strings.Repeat("x", MaxSectionText+1))}}, "section text"},
		{"section text at limit in runes", Message{Text: "t", Blocks: []slack.Block{section(strings.Repeat("日", MaxSectionText))}}, ""},
		{"empty section text", Message{Text: "t", Blocks: []slack.Block{section("")}}, "empty section text"},
		{"too many fields", Message{Text: "t", Blocks: []slack.Block{slack.NewSectionBlock(nil, fields(MaxFields+1, 1), nil)}}, "section fields"},
		{"field too long", Message{Text: "t", Blocks: []slack.Block{slack.NewSectionBlock(nil, fields(1, MaxFieldText+1), nil)}}, "field text"},
		{"header too long", Message{Text: "t", Blocks: []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", MaxHeaderText+1), false, false))}}, "header text"},
		{"context elements", Message{Text: "t", Blocks: []slack.Block{slack.NewContextBlock("", func() []slack.MixedElement {
			var e []slack.MixedElement
			for range MaxContextElements + 1 {
				e = append(e, md("c"))
			}
			return e
		}()...)}}, "context elements"},
		{"button value", Message{Text: "t", Blocks: []slack.Block{button(strings.Repeat("v", MaxButtonValue+1))}}, "button value"},
		{"button value at limit", Message{Text: "t", Blocks: []slack.Block{button(strings.Repeat("v", MaxButtonValue))}}, ""},
		{"budget", Message{Text: "t", Blocks: many(5, section(strings.Repeat("x", 2500)))}, "block text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMessage(tt.msg)
			if tt.what == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("got %v, want a *LimitError", err)
			}
			if le.What != tt.what {
				t.Errorf("first violation %q (%v), want %q", le.What, err, tt.what)
			}
		})
	}
}

func TestTextLen(t *testing.T) {
	tests := []struct {
		name   string
		blocks []slack.Block
		want   int
	}{
		{"none", nil, 0},
		{"divider", []slack.Block{slack.NewDividerBlock()}, 0},
		{"section runes", []slack.Block{slack.NewSectionBlock(md("日本 ok"), []*slack.TextBlockObject{md("ab")}, nil)}, 7},
		{"context", []slack.Block{slack.NewContextBlock("", md("abc"), md("de"))}, 5},
		{"header", []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "Title", false, false))}, 5},
		{"button text, not value", []slack.Block{slack.NewActionBlock("a",
			slack.NewButtonBlockElement("b", "value-not-counted", slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false)))}, 6},
		{"section with accessory", []slack.Block{slack.NewSectionBlock(md("abcd"), nil,
			slack.NewAccessory(slack.NewButtonBlockElement("b", "v", slack.NewTextBlockObject(slack.PlainTextType, "Go", false, false))))}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TextLen(tt.blocks...); got != tt.want {
				t.Errorf("TextLen = %d, want %d", got, tt.want)
			}
		})
	}
}
