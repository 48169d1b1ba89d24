package slackfake

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Block Kit limits Slack enforces. Slack
// counts characters, not bytes.
const (
	maxMessageBlocks   = 50
	maxModalBlocks     = 100
	maxMessageText     = 40000
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxMarkdownText    = 12000
	maxTextObject      = 3000
	maxBlockID         = 255
	maxActionID        = 255
	maxActionsElements = 25
	maxContextElements = 10
	maxButtonText      = 75
	maxButtonValue     = 2000
	maxButtonURL       = 3000
	maxOptions         = 100
	maxOptionText      = 75
	maxOptionValue     = 150
	maxLabel           = 2000
	maxModalTitle      = 24 // also submit and close
	maxPrivateMetadata = 3000
	maxCallbackID      = 255
	maxExternalID      = 255
	maxViewBytes       = 250_000
)

// knownBlocks are the block types the fake accepts; anything else fails the
// schema, as with Slack.
var knownBlocks = map[string]bool{
	"actions": true, "context": true, "divider": true, "file": true, "header": true,
	"image": true, "input": true, "markdown": true, "rich_text": true, "section": true,
	"video": true, "table": true, "call": true,
}

// validator collects every Block Kit violation of one payload, each rendered
// the way Slack reports it in response_metadata.messages.
type validator struct {
	problems []string
	blockIDs map[string]bool
}

func (v *validator) add(ptr, format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf("[ERROR] %s [json-pointer:%s]", fmt.Sprintf(format, args...), ptr))
}

func (v *validator) maxLen(ptr, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		v.add(ptr, "must be less than %d characters", n+1)
	}
}

// validateBlocksJSON checks a blocks parameter. It answers whether the text
// was a JSON array at all (Slack's invalid_blocks_format otherwise) and the
// decoded array.
func validateBlocksJSON(raw, ptr string, maxBlocks int, v *validator) ([]any, bool) {
	var blocks []any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
		return nil, false
	}
	v.blocks(blocks, ptr, maxBlocks)
	return blocks, true
}

func (v *validator) blocks(blocks []any, ptr string, maxBlocks int) {
	if len(blocks) > maxBlocks {
		v.add(ptr, "no more than %d items allowed", maxBlocks)
	}
	if v.blockIDs == nil {
		v.blockIDs = map[string]bool{}
	}
	for i, b := range blocks {
		v.block(b, ptr+"/"+strconv.Itoa(i))
	}
}

func (v *validator) block(x any, ptr string) {
	b, ok := x.(map[string]any)
	if !ok {
		v.add(ptr, "expected object")
		return
	}
	typ, _ := b["type"].(string)
	if !knownBlocks[typ] {
		v.add(ptr, "failed to match all allowed schemas (unknown block type %q)", typ)
		return
	}
	if id, ok := b["block_id"].(string); ok {
		v.maxLen(ptr+"/block_id", id, maxBlockID)
		if v.blockIDs[id] {
			v.add(ptr+"/block_id", "duplicate block_id %q", id)
		}
		v.blockIDs[id] = true
	}
	switch typ {
	case "section":
		v.section(b, ptr)
	case "header":
		v.text(b["text"], ptr+"/text", maxHeaderText, true, true)
	case "markdown":
		t, _ := b["text"].(string)
		if t == "" {
			v.add(ptr+"/text", "must be more than 0 characters")
		}
		v.maxLen(ptr+"/text", t, maxMarkdownText)
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 {
			v.add(ptr+"/elements", "must provide at least 1 item")
		}
		if len(els) > maxActionsElements {
			v.add(ptr+"/elements", "no more than %d items allowed", maxActionsElements)
		}
		for i, el := range els {
			v.element(el, ptr+"/elements/"+strconv.Itoa(i))
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) > maxContextElements {
			v.add(ptr+"/elements", "no more than %d items allowed", maxContextElements)
		}
		for i, el := range els {
			if m, ok := el.(map[string]any); ok && m["type"] != "image" {
				v.text(el, ptr+"/elements/"+strconv.Itoa(i), maxTextObject, false, true)
			}
		}
	case "input":
		v.text(b["label"], ptr+"/label", maxLabel, true, true)
		if h, ok := b["hint"]; ok {
			v.text(h, ptr+"/hint", maxLabel, true, true)
		}
		if el, ok := b["element"]; ok {
			v.element(el, ptr+"/element")
		} else {
			v.add(ptr, "missing required field: element")
		}
	}
}

func (v *validator) section(b map[string]any, ptr string) {
	t, hasText := b["text"]
	fields, hasFields := b["fields"].([]any)
	if !hasText && !hasFields {
		v.add(ptr, "must provide `text` or `fields`")
	}
	if hasText {
		v.text(t, ptr+"/text", maxSectionText, false, true)
	}
	if len(fields) > maxSectionFields {
		v.add(ptr+"/fields", "no more than %d items allowed", maxSectionFields)
	}
	for i, f := range fields {
		v.text(f, ptr+"/fields/"+strconv.Itoa(i), maxFieldText, false, true)
	}
	if acc, ok := b["accessory"]; ok {
		v.element(acc, ptr+"/accessory")
	}
}

// text checks a text object {"type":"plain_text"|"mrkdwn","text":…}.
func (v *validator) text(x any, ptr string, maxChars int, plainOnly, required bool) {
	if x == nil {
		if required {
			v.add(ptr, "must be provided")
		}
		return
	}
	t, ok := x.(map[string]any)
	if !ok {
		v.add(ptr, "expected object")
		return
	}
	switch typ, _ := t["type"].(string); {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		v.add(ptr+"/type", "must be `plain_text`")
	default:
		v.add(ptr+"/type", "must be `plain_text` or `mrkdwn`")
	}
	s, _ := t["text"].(string)
	if s == "" {
		v.add(ptr+"/text", "must be more than 0 characters")
	}
	v.maxLen(ptr+"/text", s, maxChars)
}

// element checks the interactive elements the bot can send (buttons,
// selects, inputs); other element types pass unchecked.
func (v *validator) element(x any, ptr string) {
	el, ok := x.(map[string]any)
	if !ok {
		v.add(ptr, "expected object")
		return
	}
	if id, ok := el["action_id"].(string); ok {
		v.maxLen(ptr+"/action_id", id, maxActionID)
	}
	typ, _ := el["type"].(string)
	switch {
	case typ == "":
		v.add(ptr+"/type", "missing required field: type")
	case typ == "button":
		v.text(el["text"], ptr+"/text", maxButtonText, true, true)
		if s, ok := el["value"].(string); ok {
			v.maxLen(ptr+"/value", s, maxButtonValue)
		}
		if s, ok := el["url"].(string); ok {
			v.maxLen(ptr+"/url", s, maxButtonURL)
		}
	case strings.HasSuffix(typ, "static_select") || typ == "overflow" || typ == "radio_buttons" || typ == "checkboxes":
		opts, _ := el["options"].([]any)
		if len(opts) > maxOptions {
			v.add(ptr+"/options", "no more than %d items allowed", maxOptions)
		}
		for i, o := range opts {
			v.option(o, ptr+"/options/"+strconv.Itoa(i))
		}
	case typ == "plain_text_input":
		if s, ok := el["initial_value"].(string); ok {
			v.maxLen(ptr+"/initial_value", s, maxTextObject)
		}
	}
}

func (v *validator) option(x any, ptr string) {
	o, ok := x.(map[string]any)
	if !ok {
		v.add(ptr, "expected object")
		return
	}
	v.text(o["text"], ptr+"/text", maxOptionText, false, true)
	s, _ := o["value"].(string)
	v.maxLen(ptr+"/value", s, maxOptionValue)
}

// validateModal checks a modal view object; ptr is "/view". It returns the
// problems found (Slack answers them all with invalid_arguments).
func validateModal(view map[string]any, ptr string) []string {
	v := &validator{}
	if typ, _ := view["type"].(string); typ != "modal" {
		v.add(ptr+"/type", "must be `modal`")
	}
	v.text(view["title"], ptr+"/title", maxModalTitle, true, true)
	if x, ok := view["submit"]; ok && x != nil {
		v.text(x, ptr+"/submit", maxModalTitle, true, true)
	}
	if x, ok := view["close"]; ok && x != nil {
		v.text(x, ptr+"/close", maxModalTitle, true, true)
	}
	if s, ok := view["private_metadata"].(string); ok {
		v.maxLen(ptr+"/private_metadata", s, maxPrivateMetadata)
	}
	if s, ok := view["callback_id"].(string); ok {
		v.maxLen(ptr+"/callback_id", s, maxCallbackID)
	}
	if s, ok := view["external_id"].(string); ok {
		v.maxLen(ptr+"/external_id", s, maxExternalID)
	}
	blocks, ok := view["blocks"].([]any)
	if !ok {
		v.add(ptr+"/blocks", "must be provided")
	}
	v.blocks(blocks, ptr+"/blocks", maxModalBlocks)
	if view["submit"] == nil && hasInput(blocks) {
		v.add(ptr, "must define `submit` to use an input block")
	}
	return v.problems
}

func hasInput(blocks []any) bool {
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && m["type"] == "input" {
			return true
		}
	}
	return false
}
