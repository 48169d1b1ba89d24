package bot

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// EditCallbackID routes the edit modal's submission.
const EditCallbackID = "atoms_edit"

// inputAction is the action_id of every input; block ids are config field names.
const inputAction = "value"

// maxInput is what a Slack text input holds.
const maxInput = 3000

// Slack's limits on a select option's text and value.
const (
	maxOptionText  = 75
	maxOptionValue = 150
)

// Models the API accepts for slmModel.
var models = []string{"electron", "electron-kogta", "electron-kogta-v2", "gpt-4o", "gpt-4.1", "gpt-5.2", "gpt-realtime", "gpt-realtime-mini"}

// editField is one input of the edit modal; name is the config field and the block id.
type editField struct {
	name, label, hint string
	multiline         bool
	max               int      // characters the API accepts
	options           []string // a select when set
}

var editFields = []editField{
	{name: platform.FieldPrompt, label: "Prompt", multiline: true, max: maxInput, hint: "The agent's instructions."},
	{name: platform.FieldFirstMessage, label: "First message", max: 500, hint: "What the agent says first (at most 500 characters)."},
	{name: platform.FieldVoiceID, label: "Voice id", max: 100, hint: "A Waves voice id, e.g. nyah."},
	{name: platform.FieldModel, label: "Model", options: models},
}

func loadingView(agentRef string) slack.ModalViewRequest {
	return messageView("Edit draft", render.Note(":hourglass_flowing_sand: Loading "+render.Escape(agentRef)+"…"))
}

func messageView(title string, m render.Message) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain(title),
		Close:  plain("Close"),
		Blocks: slack.Blocks{BlockSet: m.Blocks},
	}
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, render.Truncate(s, render.MaxModalTitle, "…"), false, false)
}

// editView is the form, pre-filled with the draft's current values (open
// false: the draft has no open edits yet, or does not exist yet), or with a
// version's for a draft forked from it.
func editView(sess state.EditSession, values map[string]string, open bool) slack.ModalViewRequest {
	var about string
	switch {
	case sess.DraftID == "" && sess.FromID != "":
		about = fmt.Sprintf("*%s* · a new draft “%s” from %s, as it was published\n_Nothing is created on Atoms until you save; saving creates it even with no change._", render.Escape(sess.AgentName), render.Escape(sess.NewName), render.Escape(sess.FromRef))
	case sess.DraftID == "":
		about = fmt.Sprintf("*%s* · a new draft “%s” from the active version\n_Nothing is created on Atoms until you save._", render.Escape(sess.AgentName), render.Escape(sess.NewName))
	case open:
		about = fmt.Sprintf("*%s* · draft “%s” · revision %d", render.Escape(sess.AgentName), render.Escape(cmp.Or(sess.DraftName, sess.DraftID)), sess.Revision)
	default:
		about = fmt.Sprintf("*%s* · “%s” · no open draft yet: saving opens one", render.Escape(sess.AgentName), render.Escape(cmp.Or(sess.DraftName, sess.DraftID)))
	}
	blocks := []slack.Block{render.Note(about).Blocks[0]}
	for _, f := range editFields {
		if _, editable := sess.Original[f.name]; !editable {
			blocks = append(blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType,
				fmt.Sprintf("The %s is %d characters, more than a Slack form holds (%d); edit it in the Atoms dashboard.", strings.ToLower(f.label), utf8.RuneCountInString(values[f.name]), maxInput), false, true)))
			continue
		}
		blocks = append(blocks, inputBlock(f, values[f.name]))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain("Edit draft"),
		Submit:          plain("Save draft"),
		Close:           plain("Cancel"),
		CallbackID:      EditCallbackID,
		PrivateMetadata: sess.ID,
		// Closing the form sends view_closed, which forgets the session.
		NotifyOnClose: true,
		Blocks:        slack.Blocks{BlockSet: blocks},
	}
}

func inputBlock(f editField, value string) *slack.InputBlock {
	label := slack.NewTextBlockObject(slack.PlainTextType, f.label, false, false)
	var hint *slack.TextBlockObject
	if f.hint != "" {
		hint = slack.NewTextBlockObject(slack.PlainTextType, f.hint, false, false)
	}
	var el slack.BlockElement
	prefilled := value != ""
	if len(f.options) > 0 {
		options := f.options
		if value != "" && !slices.Contains(options, value) && len(value) <= maxOptionValue {
			// A value atomsbot does not know (a model added to Atoms
			// later) stays selectable, so saving other fields keeps it.
			options = append([]string{value}, options...)
		}
		opts := make([]*slack.OptionBlockObject, len(options))
		for i, o := range options {
			opts[i] = slack.NewOptionBlockObject(o, slack.NewTextBlockObject(slack.PlainTextType, render.Truncate(o, maxOptionText, "…"), false, false), nil)
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, slack.NewTextBlockObject(slack.PlainTextType, "Choose", false, false), inputAction, opts...)
		if slices.Contains(options, value) {
			sel.InitialOption = opts[slices.Index(options, value)]
		}
		prefilled = sel.InitialOption != nil
		el = sel
	} else {
		in := slack.NewPlainTextInputBlockElement(nil, inputAction)
		in.Multiline = f.multiline
		// The raw value: an input shows text as typed, it is not mrkdwn.
		in.InitialValue = value
		// Slack stops the typing at the API's limit; validate still checks.
		in.MaxLength = f.max
		el = in
	}
	b := slack.NewInputBlock(f.name, label, hint, el)
	// A field the draft has no value for stays optional: required, Slack
	// would not submit the form until the user made one up.
	b.Optional = f.name == platform.FieldFirstMessage || !prefilled
	return b
}

// submittedValues reads the form's values by block id.
func submittedValues(v slack.View) map[string]string {
	out := map[string]string{}
	if v.State == nil {
		return out
	}
	for _, f := range editFields {
		a, ok := v.State.Values[f.name][inputAction]
		if !ok {
			continue
		}
		if len(f.options) > 0 {
			out[f.name] = a.SelectedOption.Value
		} else {
			out[f.name] = a.Value
		}
	}
	return out
}

// validate returns field errors keyed by block id (shown under the inputs).
func validate(values map[string]string, workflowType string) map[string]string {
	errs := map[string]string{}
	for _, f := range editFields {
		v, ok := values[f.name]
		if !ok {
			continue
		}
		n := utf8.RuneCountInString(v)
		switch {
		case f.max > 0 && n > f.max:
			errs[f.name] = fmt.Sprintf("%s is %d characters; at most %d are allowed.", f.label, n, f.max)
		case f.name == platform.FieldPrompt && strings.TrimSpace(v) == "":
			errs[f.name] = "The prompt cannot be empty."
		case f.name == platform.FieldVoiceID && (v == "" || strings.IndexFunc(v, unicode.IsSpace) >= 0):
			errs[f.name] = "A voice id is one word, e.g. nyah."
		case len(f.options) > 0 && !slices.Contains(f.options, v):
			errs[f.name] = "Choose one of the listed values."
		}
	}
	if workflowType == platform.WorkflowGraph && utf8.RuneCountInString(values[platform.FieldPrompt]) > 4000 {
		errs["prompt"] = "A workflow agent's global prompt is at most 4000 characters."
	}
	return errs
}
