// Package wire holds what the platform adapters share: turning the Atoms
// client's wire types and errors into the platform's words, and the edit
// form's fields into a config patch.
package wire

import (
	"errors"
	"net/http"
	"strings"

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
		e.Msg = strings.Join(ae.Messages, "; ")
	}
	switch {
	case errors.Is(err, atoms.ErrMigrationRequired):
		e.Kind, e.Msg = platform.ErrWrongModel, "this Atoms organisation runs the branch-based versioning model"
	case errors.Is(err, atoms.ErrConfigFrozen):
		e.Kind, e.Msg = platform.ErrFrozen, "Atoms is in a configuration freeze for maintenance and takes no changes until it ends"
	case errors.Is(err, atoms.ErrPublishInProgress), errors.Is(err, atoms.ErrSourceScanning):
		e.Kind, e.Msg = platform.ErrBusy, "a publish is being security-checked there; try again once it finishes"
	case errors.Is(err, atoms.ErrSecurityCheckPending):
		e.Kind = platform.ErrCheckPending
	case errors.Is(err, atoms.ErrNotFound):
		e.Kind = platform.ErrNotFound
		if e.Msg == "" {
			e.Msg = "Atoms says it does not exist (any more)"
		}
	case ae != nil && ae.Status == http.StatusUnauthorized:
		e.Kind = platform.ErrUnauthorized
		e.Msg = "HTTP 401: " + e.Msg
	case write && atoms.Ambiguous(err):
		e.Kind = platform.ErrUnclear
	case ae != nil && !ae.Temporary():
		e.Kind = platform.ErrRefused
	default:
		// Network errors, timeouts, 5xx and 429 of a read.
		e.Kind = platform.ErrUnavailable
	}
	if e.Msg == "" {
		e.Msg = err.Error()
	}
	return e
}

// CheckFailed refuses a test call of a version whose security check failed.
func CheckFailed(name string, c platform.Check) error {
	msg := name + " failed its security check"
	if c.Reason != "" {
		msg += " (" + c.Reason + ")"
	}
	return platform.Errorf(platform.ErrRefused, msg+"; it cannot be called")
}
