package bot

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/command"
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

// Models the API accepts for slmModel (API notes §4).
var models = []string{"electron", "electron-kogta", "electron-kogta-v2", "gpt-4o", "gpt-4.1", "gpt-5.2", "gpt-realtime", "gpt-realtime-mini"}

// editField is one input of the edit modal; name is the config field and the block id.
type editField struct {
	name, label, hint string
	multiline         bool
	max               int      // characters the API accepts
	options           []string // a select when set
}

var editFields = []editField{
	{name: "prompt", label: "Prompt", multiline: true, max: maxInput, hint: "The agent's instructions."},
	{name: "firstMessage", label: "First message", max: 500, hint: "What the agent says first (at most 500 characters)."},
	{name: "voiceId", label: "Voice id", max: 100, hint: "A Waves voice id, e.g. nyah."},
	{name: "slmModel", label: "Model", options: models},
}

// currentValues reads the editable fields from a draft's resolved config.
func currentValues(rc *atoms.ResolvedConfig, workflowType string) map[string]string {
	if rc == nil {
		rc = &atoms.ResolvedConfig{}
	}
	prompt := rc.Prompt
	if workflowType == atoms.WorkflowGraph {
		prompt = rc.GlobalPrompt
	}
	return map[string]string{"prompt": prompt, "firstMessage": rc.FirstMessage, "voiceId": rc.VoiceID(), "slmModel": rc.Model()}
}

// cmdEdit opens the modal at once (the trigger id lives 3 s), then loads the
// draft — forking one from the active version when none was named — and
// fills the modal in with views.update.
func (h *Handler) cmdEdit(ctx context.Context, sc slack.SlashCommand, c command.Command) {
	viewID, hash, err := h.slack.OpenView(ctx, sc.TriggerID, loadingView(c.Agent))
	if err != nil {
		h.log.Warn("open edit modal", "err", err)
		h.send(ctx, sc, single(render.Note(":warning: The edit form could not be opened (Slack allows 3 seconds for that). Please run the command again.")))
		return
	}
	view, err := h.loadEdit(ctx, sc, c, viewID)
	if err != nil {
		view = messageView("Edit draft", h.failure(command.Edit, err))
	}
	if err := h.slack.UpdateView(ctx, viewID, hash, view); err != nil {
		h.log.Warn("fill edit modal", "err", err)
	}
}

func (h *Handler) loadEdit(ctx context.Context, sc slack.SlashCommand, c command.Command, viewID string) (slack.ModalViewRequest, error) {
	agent, err := h.resolveAgent(ctx, c.Agent)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	var draft atoms.Version
	forked := false
	if c.Draft != "" {
		if draft, err = h.resolveDraft(ctx, agent, c.Draft); err != nil {
			return slack.ModalViewRequest{}, err
		}
	} else {
		if agent.ActiveVersionID == "" {
			return slack.ModalViewRequest{}, &RefError{Msg: render.Escape(agent.Name) + " has no active version to fork a draft from."}
		}
		name := render.Truncate(fmt.Sprintf("edit by %s %s", cmp.Or(sc.UserName, sc.UserID), h.now().UTC().Format("2006-01-02 15:04")), 100, "…")
		d, err := h.atoms.CreateDraft(ctx, agent.ID, atoms.CreateDraftRequest{SourceVersionID: agent.ActiveVersionID, DraftName: name})
		if err != nil {
			return slack.ModalViewRequest{}, err
		}
		draft, forked = *d, true
	}
	// The revision is read before the values: an edit landing in between
	// then makes the submission look stale (refused, safe) instead of the
	// values look current when they are not (overwritten, lost).
	detail, err := h.atoms.GetDraft(ctx, agent.ID, draft.DraftID, 1)
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	resolved, err := h.atoms.GetAgent(ctx, agent.ID, atoms.GetAgentOptions{DraftID: draft.DraftID})
	if err != nil {
		return slack.ModalViewRequest{}, err
	}
	values := currentValues(resolved.ResolvedConfig, agent.WorkflowType)
	original := maps.Clone(values)
	if utf8.RuneCountInString(values["prompt"]) > maxInput {
		delete(original, "prompt") // too long for a Slack input: not editable here
	}
	sess := state.EditSession{
		ID: newSessionID(), AgentID: agent.ID, AgentName: agent.Name, DraftID: draft.DraftID,
		DraftName: detail.Latest.DraftName, WorkflowType: agent.WorkflowType,
		Revision: detail.Latest.DraftRevision, Channel: sc.ChannelID, UserID: sc.UserID, ViewID: viewID,
		Original: original, CreatedAt: h.now(),
	}
	if err := h.store.PutSession(ctx, sess, h.cfg.SessionTTL); err != nil {
		return slack.ModalViewRequest{}, err
	}
	return editView(sess, values, forked), nil
}

func newSessionID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "es_" + hex.EncodeToString(b)
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

// editView is the form, pre-filled with the draft's current values.
func editView(sess state.EditSession, values map[string]string, forked bool) slack.ModalViewRequest {
	about := fmt.Sprintf("*%s* · draft “%s” · revision %d", render.Escape(sess.AgentName), render.Escape(cmp.Or(sess.DraftName, sess.DraftID)), sess.Revision)
	if forked {
		about += "\n_A new draft was forked from the active version for this edit._"
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
	b.Optional = f.name == "firstMessage" || !prefilled
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
		case f.name == "prompt" && strings.TrimSpace(v) == "":
			errs[f.name] = "The prompt cannot be empty."
		case f.name == "voiceId" && (v == "" || strings.IndexFunc(v, unicode.IsSpace) >= 0):
			errs[f.name] = "A voice id is one word, e.g. nyah."
		case len(f.options) > 0 && !slices.Contains(f.options, v):
			errs[f.name] = "Choose one of the listed values."
		}
	}
	if workflowType == atoms.WorkflowGraph && utf8.RuneCountInString(values["prompt"]) > 4000 {
		errs["prompt"] = "A workflow agent's global prompt is at most 4000 characters."
	}
	return errs
}

// patchFor builds the PATCH body with only the changed fields. The prompt of
// a single_prompt agent lives in singlePromptConfig, whose tools array is
// replaced wholesale by the API: the current tools go along unchanged.
func patchFor(changed map[string]string, workflowType string, current *atoms.ResolvedConfig) atoms.ConfigPatch {
	var p atoms.ConfigPatch
	for name, v := range changed {
		switch name {
		case "prompt":
			if workflowType == atoms.WorkflowGraph {
				p.GlobalPrompt = &v
			} else {
				var tools []atoms.Tool
				if current != nil {
					tools = current.Tools
				}
				if tools == nil {
					tools = []atoms.Tool{}
				}
				p.SinglePromptConfig = &atoms.SinglePromptConfig{Prompt: v, Tools: tools}
			}
		case "firstMessage":
			p.FirstMessage = &v
		case "voiceId":
			p.Synthesizer = &atoms.Synthesizer{VoiceConfig: &atoms.VoiceConfig{VoiceID: v}}
		case "slmModel":
			p.SLMModel = &v
		}
	}
	return p
}
