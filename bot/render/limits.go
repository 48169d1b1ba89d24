package render

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// Slack's Block Kit limits, in runes. slack-go enforces
// none of them; Slack answers violations with invalid_blocks.
const (
	MaxBlocks          = 50    // blocks per message
	MaxModalBlocks     = 100   // blocks per modal or Home tab
	MaxSectionText     = 3000  // section text, and any text object
	MaxFieldText       = 2000  // each section field
	MaxFields          = 10    // fields per section
	MaxHeaderText      = 150   // header block text
	MaxMessageText     = 40000 // message text (Slack truncates beyond)
	MaxButtonValue     = 2000  // button value
	MaxModalTitle      = 24    // modal title, submit and close
	MaxPrivateMetadata = 3000  // view private_metadata
	MaxContextElements = 10    // elements of a context block

	// PageBudget is the total characters of block text per message:
	// Slack reports msg_blocks_too_long near 13,000, far below the
	// per-block limits, so renderers keep each message under this.
	PageBudget = 12000
)

// LimitError is one Slack limit a message breaks.
type LimitError struct {
	Block int    // index of the offending block; -1 for the message as a whole
	What  string // which limit, e.g. "section text"
	Got   int
	Max   int
}

func (e *LimitError) Error() string {
	if e.Block < 0 {
		return fmt.Sprintf("render: %s is %d, limit %d", e.What, e.Got, e.Max)
	}
	return fmt.Sprintf("render: block %d: %s is %d, limit %d", e.Block, e.What, e.Got, e.Max)
}

// CheckMessage reports every Slack limit m breaks (joined *LimitError
// values, nil when none): block count, PageBudget, message text, section
// text and fields, header text, context elements and button values.
func CheckMessage(m Message) error {
	var errs []error
	add := func(block int, what string, got, limit int) {
		if got > limit {
			errs = append(errs, &LimitError{Block: block, What: what, Got: got, Max: limit})
		}
	}
	if m.Text == "" {
		errs = append(errs, &LimitError{Block: -1, What: "empty message text", Got: 0, Max: 0})
	}
	add(-1, "message text", runeLen(m.Text), MaxMessageText)
	add(-1, "blocks", len(m.Blocks), MaxBlocks)
	add(-1, "block text", TextLen(m.Blocks...), PageBudget)
	for i, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text == nil && len(b.Fields) == 0 {
				errs = append(errs, &LimitError{Block: i, What: "empty section", Got: 0, Max: 0})
			}
			if b.Text != nil {
				if b.Text.Text == "" {
					errs = append(errs, &LimitError{Block: i, What: "empty section text", Got: 0, Max: 0})
				}
				add(i, "section text", runeLen(b.Text.Text), MaxSectionText)
			}
			add(i, "section fields", len(b.Fields), MaxFields)
			for _, f := range b.Fields {
				add(i, "field text", runeLen(f.Text), MaxFieldText)
			}
		case *slack.HeaderBlock:
			if b.Text != nil {
				add(i, "header text", runeLen(b.Text.Text), MaxHeaderText)
			}
		case *slack.ContextBlock:
			add(i, "context elements", len(b.ContextElements.Elements), MaxContextElements)
			for _, e := range b.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					add(i, "context text", runeLen(t.Text), MaxSectionText)
				}
			}
		case *slack.ActionBlock:
			if b.Elements == nil {
				continue
			}
			for _, e := range b.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					add(i, "button value", runeLen(btn.Value), MaxButtonValue)
				}
			}
		}
	}
	return errors.Join(errs...)
}

// TextLen is the number of runes of text the blocks carry (every "text"
// member of their JSON), the measure PageBudget bounds.
func TextLen(blocks ...slack.Block) int {
	n := 0
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.DividerBlock:
			continue
		case *slack.SectionBlock:
			if b.Accessory == nil { // the common case, without a JSON round trip
				if b.Text != nil {
					n += runeLen(b.Text.Text)
				}
				for _, f := range b.Fields {
					n += runeLen(f.Text)
				}
				continue
			}
		}
		raw, err := json.Marshal(b)
		if err != nil {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) == nil {
			n += jsonTextLen(v, false)
		}
	}
	return n
}

// jsonTextLen sums the runes of the strings found under "text" keys.
func jsonTextLen(v any, underText bool) int {
	switch v := v.(type) {
	case string:
		if underText {
			return runeLen(v)
		}
	case map[string]any:
		n := 0
		for k, e := range v {
			n += jsonTextLen(e, k == "text")
		}
		return n
	case []any:
		n := 0
		for _, e := range v {
			n += jsonTextLen(e, false)
		}
		return n
	}
	return 0
}
