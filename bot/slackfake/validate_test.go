package slackfake

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func sections(n int) []slack.Block {
	out := make([]slack.Block, n)
	for i := range out {
		out[i] = section("row")
	}
	return out
}

// Each Block Kit limit, exercised through slack-go, must come back as Slack's
// error code with the detail slack-go surfaces in ResponseMetadata.Messages.
func TestMessageValidation(t *testing.T) {
	e := newEnv(t)
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name string
		opts []slack.MsgOption
		code string // "" means accepted
		msg  string // expected in response_metadata.messages
	}{
		{name: "50 blocks ok", opts: []slack.MsgOption{slack.MsgOptionText("t", false), slack.MsgOptionBlocks(sections(50)...)}},
		{name: "51 blocks", opts: []slack.MsgOption{slack.MsgOptionText("t", false), slack.MsgOptionBlocks(sections(51)...)},
			code: "invalid_blocks", msg: "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"},
		{name: "section text 3000 ok", opts: []slack.MsgOption{slack.MsgOptionBlocks(section(long(3000)))}},
		{name: "section text 3001", opts: []slack.MsgOption{slack.MsgOptionBlocks(section(long(3001)))},
			code: "invalid_blocks", msg: "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{name: "section text counts characters not bytes", opts: []slack.MsgOption{slack.MsgOptionBlocks(section(strings.Repeat("é", 3000)))}},
		{name: "section field 2001", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(nil, []*slack.TextBlockObject{mrkdwn(long(2001))}, nil))},
			code: "invalid_blocks", msg: "[json-pointer:/blocks/0/fields/0/text]"},
		{name: "header 150 ok", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(plain(long(150))))}},
		{name: "header 151", opts: []slack.MsgOption{slack.MsgOptionBlocks(section("a"), slack.NewHeaderBlock(plain(long(151))))},
			code: "invalid_blocks", msg: "[ERROR] must be less than 151 characters [json-pointer:/blocks/1/text/text]"},
		{name: "header must be plain_text", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(mrkdwn("*x*")))},
			code: "invalid_blocks", msg: "[json-pointer:/blocks/0/text/type]"},
		{name: "button value 2000 ok", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", slack.NewButtonBlockElement("b", long(2000), plain("Approve"))))}},
		{name: "button value 2001", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", slack.NewButtonBlockElement("b", long(2001), plain("Approve"))))},
			code: "invalid_blocks", msg: "[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"},
		{name: "button value in an accessory", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewSectionBlock(mrkdwn("x"), nil,
			slack.NewAccessory(slack.NewButtonBlockElement("b", long(2001), plain("Go")))))},
			code: "invalid_blocks", msg: "[json-pointer:/blocks/0/accessory/value]"},
		{name: "button text 76", opts: []slack.MsgOption{slack.MsgOptionBlocks(slack.NewActionBlock("a", slack.NewButtonBlockElement("b", "v", plain(long(76)))))},
			code: "invalid_blocks", msg: "[json-pointer:/blocks/0/elements/0/text/text]"},
		{name: "duplicate block_id in a message", opts: []slack.MsgOption{slack.MsgOptionBlocks(
			slack.NewSectionBlock(mrkdwn("a"), nil, nil, slack.SectionBlockOptionBlockID("x")),
			slack.NewSectionBlock(mrkdwn("b"), nil, nil, slack.SectionBlockOptionBlockID("x")))},
			code: "invalid_blocks", msg: "duplicate block_id \"x\" [json-pointer:/blocks/1/block_id]"},
		{name: "empty section text", opts: []slack.MsgOption{slack.MsgOptionText("t", false), slack.MsgOptionBlocks(section(""))},
			code: "invalid_blocks", msg: "must be more than 0 characters"},
		{name: "text 40000 ok", opts: []slack.MsgOption{slack.MsgOptionText(long(40000), false)}},
		{name: "text 40001", opts: []slack.MsgOption{slack.MsgOptionText(long(40001), false)},
			code: "msg_too_long", msg: "[json-pointer:/text]"},
		{name: "no text and no blocks", opts: nil, code: "no_text"},
		{name: "empty text and empty blocks", opts: []slack.MsgOption{slack.MsgOptionText("", false), slack.MsgOptionBlocks()}, code: "no_text"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.Messages())
			_, _, err := e.api.PostMessageContext(ctx(t), "C1", tc.opts...)
			after := len(e.fake.Messages())
			if tc.code == "" {
				if err != nil || after != before+1 {
					t.Fatalf("err = %v, messages %d→%d; want accepted", err, before, after)
				}
				return
			}
			se := slackErr(t, err, tc.code)
			if tc.msg != "" && !hasMessage(se.ResponseMetadata.Messages, tc.msg) {
				t.Errorf("messages %q lack %q", se.ResponseMetadata.Messages, tc.msg)
			}
			if after != before {
				t.Errorf("a rejected message was recorded")
			}
		})
	}
}

// blocks that are not JSON at all get invalid_blocks_format; slack-go cannot
// send that, so this goes over plain HTTP.
func TestBlocksFormat(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		blocks, code string
	}{
		{`{`, "invalid_blocks_format"},
		{`{"type":"section"}`, "invalid_blocks_format"},
		{`[{"type":"nope"}]`, "invalid_blocks"},
		{`[{"type":"divider"}]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.blocks, func(t *testing.T) {
			form := url.Values{"token": {testToken}, "channel": {"C1"}, "text": {"t"}, "blocks": {tc.blocks}}
			resp, err := http.PostForm(e.url+"/chat.postMessage", form)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = resp.Body.Close() })
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
			}
			decodeJSON(t, resp, &body)
			if body.OK != (tc.code == "") || body.Error != tc.code {
				t.Errorf("answer %+v, want error %q", body, tc.code)
			}
		})
	}
}

func modal(title string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(title),
		Submit: plain("Save"),
		Close:  plain("Cancel"),
		Blocks: slack.Blocks{BlockSet: blocks},
	}
}

func promptInput(blockID string) *slack.InputBlock {
	return slack.NewInputBlock(blockID, plain("Prompt"), nil, slack.NewPlainTextInputBlockElement(nil, "value"))
}

func TestViewValidation(t *testing.T) {
	e := newEnv(t)
	long := func(n int) string { return strings.Repeat("x", n) }
	edit := func(mod func(*slack.ModalViewRequest)) slack.ModalViewRequest {
		v := modal("Edit draft", promptInput("prompt"), promptInput("firstMessage"))
		mod(&v)
		return v
	}
	tests := []struct {
		name string
		view slack.ModalViewRequest
		code string
		msg  string
	}{
		{name: "valid", view: edit(func(*slack.ModalViewRequest) {})},
		{name: "title 24 ok", view: edit(func(v *slack.ModalViewRequest) { v.Title = plain(long(24)) })},
		{name: "title 25", view: edit(func(v *slack.ModalViewRequest) { v.Title = plain(long(25)) }),
			code: "invalid_arguments", msg: "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"},
		{name: "no title", view: edit(func(v *slack.ModalViewRequest) { v.Title = nil }),
			code: "invalid_arguments", msg: "[json-pointer:/view/title]"},
		{name: "submit 25", view: edit(func(v *slack.ModalViewRequest) { v.Submit = plain(long(25)) }),
			code: "invalid_arguments", msg: "[json-pointer:/view/submit/text]"},
		{name: "close 25", view: edit(func(v *slack.ModalViewRequest) { v.Close = plain(long(25)) }),
			code: "invalid_arguments", msg: "[json-pointer:/view/close/text]"},
		{name: "private_metadata 3000 ok", view: edit(func(v *slack.ModalViewRequest) { v.PrivateMetadata = long(3000) })},
		{name: "private_metadata 3001", view: edit(func(v *slack.ModalViewRequest) { v.PrivateMetadata = long(3001) }),
			code: "invalid_arguments", msg: "[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]"},
		{name: "100 blocks ok", view: edit(func(v *slack.ModalViewRequest) { v.Blocks.BlockSet = sections(100) })},
		{name: "101 blocks", view: edit(func(v *slack.ModalViewRequest) { v.Blocks.BlockSet = sections(101) }),
			code: "invalid_arguments", msg: "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]"},
		{name: "input without submit", view: edit(func(v *slack.ModalViewRequest) { v.Submit = nil }),
			code: "invalid_arguments", msg: "must define `submit` to use an input block [json-pointer:/view]"},
		{name: "no input, no submit ok", view: edit(func(v *slack.ModalViewRequest) { v.Submit = nil; v.Blocks.BlockSet = sections(1) })},
		{name: "duplicate block_id", view: edit(func(v *slack.ModalViewRequest) {
			v.Blocks.BlockSet = []slack.Block{
				slack.NewSectionBlock(mrkdwn("a"), nil, nil, slack.SectionBlockOptionBlockID("diff")),
				slack.NewSectionBlock(mrkdwn("b"), nil, nil, slack.SectionBlockOptionBlockID("diff")),
			}
		}), code: "invalid_arguments", msg: "duplicate block_id \"diff\" [json-pointer:/view/blocks/1/block_id]"},
		{name: "section text 3001 in a modal", view: edit(func(v *slack.ModalViewRequest) { v.Blocks.BlockSet = []slack.Block{section(long(3001))} }),
			code: "invalid_arguments", msg: "[json-pointer:/view/blocks/0/text/text]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.fake.Views())
			_, err := e.api.OpenViewContext(ctx(t), "trigger-"+tc.name, tc.view)
			if tc.code == "" {
				if err != nil || len(e.fake.Views()) != before+1 {
					t.Fatalf("err = %v; want opened", err)
				}
				return
			}
			se := slackErr(t, err, tc.code)
			if !hasMessage(se.ResponseMetadata.Messages, tc.msg) {
				t.Errorf("messages %q lack %q", se.ResponseMetadata.Messages, tc.msg)
			}
			if len(e.fake.Views()) != before {
				t.Error("a rejected view was recorded")
			}
		})
	}

	// Duplicate input block_ids never leave slack-go's OpenView; views.update
	// has no such client check, so the fake's check is what catches them.
	v, err := e.api.OpenViewContext(ctx(t), "t", modal("Edit", promptInput("prompt")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.api.UpdateViewContext(ctx(t), modal("Edit", promptInput("prompt"), promptInput("prompt")), "", "", v.ID)
	se := slackErr(t, err, "invalid_arguments")
	if !hasMessage(se.ResponseMetadata.Messages, "duplicate block_id") {
		t.Errorf("messages %q", se.ResponseMetadata.Messages)
	}
}
