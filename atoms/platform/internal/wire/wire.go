// Package wire holds what the platform adapters share: turning the Atoms
// client's wire types and errors into the platform's words, and the edit
// form's fields into a config patch.
package wire

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// Agent is an agent document in the platform's words.
func Agent(a atoms.Agent) platform.Agent {
	return platform.Agent{ID: a.ID, Name: a.Name, WorkflowType: a.WorkflowType, LiveVersionID: a.ActiveVersionID, Archived: a.Archived}
}

// Agents converts a list.
func Agents(list []atoms.Agent) []platform.Agent {
	out := make([]platform.Agent, len(list))
	for i, a := range list {
		out[i] = Agent(a)
	}
	return out
}

// Check is a security check; nil (versions older than the feature) has no status.
func Check(sc *atoms.SecurityCheck) platform.Check {
	if sc == nil {
		return platform.Check{}
	}
	return platform.Check{Status: sc.Status, Reason: sc.Reason}
}

// Diff converts a diff (either shape the client decodes).
func Diff(d atoms.Diff) platform.Diff {
	out := platform.Diff{Unchanged: d.UnchangedSections, Sections: make([]platform.SectionDiff, len(d.Sections))}
	for i, s := range d.Sections {
		ch := make([]platform.Change, len(s.Changes))
		for j, c := range s.Changes {
			ch[j] = platform.Change{Path: c.Path, Old: c.Old, New: c.New}
		}
		out.Sections[i] = platform.SectionDiff{Section: s.Section, Changes: ch}
	}
	return out
}

// Values reads the form's fields from a resolved (flat) config. The prompt of
// a workflow_graph agent is its global prompt.
func Values(rc *atoms.ResolvedConfig, workflowType string) map[string]string {
	if rc == nil {
		rc = &atoms.ResolvedConfig{}
	}
	prompt := rc.Prompt
	if workflowType == atoms.WorkflowGraph {
		prompt = rc.GlobalPrompt
	}
	return map[string]string{
		platform.FieldPrompt: prompt, platform.FieldFirstMessage: rc.FirstMessage,
		platform.FieldVoiceID: rc.VoiceID(), platform.FieldModel: rc.Model(),
	}
}

// Patch is the config body for the changed fields. A single_prompt agent's
// prompt lives in singlePromptConfig, whose tools array the API replaces
// wholesale: tools (the current list) go along unchanged.
func Patch(changes map[string]string, workflowType string, tools []atoms.Tool) atoms.ConfigPatch {
	var p atoms.ConfigPatch
	for name, v := range changes {
		switch name {
		case platform.FieldPrompt:
			if workflowType == atoms.WorkflowGraph {
				p.GlobalPrompt = &v
				continue
			}
			if tools == nil {
				tools = []atoms.Tool{}
			}
			p.SinglePromptConfig = &atoms.SinglePromptConfig{Prompt: v, Tools: tools}
		case platform.FieldFirstMessage:
			p.FirstMessage = &v
		case platform.FieldVoiceID:
			p.Synthesizer = &atoms.Synthesizer{VoiceConfig: &atoms.VoiceConfig{VoiceID: v}}
		case platform.FieldModel:
			p.SLMModel = &v
		}
	}
	return p
}

// Read translates the error of a call that changes nothing.
func Read(err error) error { return translate(err, false) }

// Write translates the error of a call that changes something: an answer
// that leaves open whether it acted is ErrUnclear.
func Write(err error) error { return translate(err, true) }

func translate(err error, write bool) error {
	if err == nil {
		return nil
	}
	var pe *platform.Error
	var ce *platform.ConflictError
	var me *platform.MovedError
	if errors.As(err, &pe) || errors.As(err, &ce) || errors.As(err, &me) {
		return err
	}
	e := &platform.Error{Err: err}
	var ae *atoms.APIError
	if errors.As(err, &ae) {
		e.RequestID = ae.RequestID
	}
	switch {
	case errors.Is(err, atoms.ErrMigrationRequired):
		e.Kind, e.Msg = platform.ErrWrongModel, "this Atoms organisation runs the branch-based versioning model"
	case errors.Is(err, atoms.ErrConfigFrozen):
		e.Kind, e.Msg = platform.ErrFrozen, "Atoms is in a configuration freeze for maintenance and takes no changes until it ends"
	case errors.Is(err, atoms.ErrPublishInProgress), errors.Is(err, atoms.ErrSourceScanning):
		e.Kind, e.Msg = platform.ErrBusy, "a publish is being security-checked there; try again once it finishes"
	case errors.Is(err, atoms.ErrSecurityCheckPending):
		e.Kind, e.Msg = platform.ErrCheckPending, refusalText(ae, "the security check has not passed yet")
	case errors.Is(err, atoms.ErrNotFound):
		e.Kind, e.Msg = platform.ErrNotFound, refusalText(ae, "Atoms says it does not exist (any more)")
	case ae != nil && ae.Status == http.StatusUnauthorized:
		e.Kind, e.Msg = platform.ErrUnauthorized, "HTTP 401"
	case write && atoms.Ambiguous(err):
		e.Kind, e.Msg = platform.ErrUnclear, "Atoms did not answer clearly ("+noAnswer(err, ae)+")"
	case ae != nil && !ae.Temporary():
		e.Kind, e.Msg = platform.ErrRefused, refusalText(ae, fmt.Sprintf("Atoms refused the request (HTTP %d)", ae.Status))
	case errors.Is(err, atoms.ErrInvalidArgument):
		// A request the client would not send: a bug, not Atoms' doing.
		e.Kind, e.Msg = platform.ErrRefused, "atomsbot refused to send an incomplete request to Atoms"
	default:
		// Network errors, timeouts, 5xx and 429 of a read.
		e.Kind, e.Msg = platform.ErrUnavailable, "Atoms is unavailable ("+noAnswer(err, ae)+")"
	}
	return e
}

// maxRefusal bounds Atoms' own words in a message to users.
const maxRefusal = 300

// refusalText is the envelope's messages of a 4xx refusal: Atoms' words
// for what the user asked (e.g. "Agent is archived and cannot initiate
// calls"), already free of the key, on one line and bounded. A body that
// is not an error envelope (an HTML page, a proxy's text) is never shown:
// fallback is.
func refusalText(ae *atoms.APIError, fallback string) string {
	if ae == nil || ae.Status >= 500 || len(ae.Messages) == 0 {
		return fallback
	}
	msg := strings.Join(strings.Fields(strings.Join(ae.Messages, "; ")), " ")
	if msg == "" {
		return fallback
	}
	if len(msg) > maxRefusal {
		cut := maxRefusal
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// noAnswer says in words what came back instead of a usable answer: an
// HTTP status, no answer in time, or none at all.
func noAnswer(err error, ae *atoms.APIError) string {
	switch {
	case ae != nil:
		return fmt.Sprintf("HTTP %d", ae.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.Is(err, context.Canceled):
		return "the request was cut short"
	}
	var ne *atoms.NetworkError
	if errors.As(err, &ne) {
		return "it could not be reached"
	}
	return "its answer could not be read"
}

// CheckFailed refuses a test call of a version whose security check failed.
func CheckFailed(name string, c platform.Check) error {
	msg := name + " failed its security check"
	if c.Reason != "" {
		msg += " (" + c.Reason + ")"
	}
	return platform.Errorf(platform.ErrRefused, msg+"; it cannot be called")
}
