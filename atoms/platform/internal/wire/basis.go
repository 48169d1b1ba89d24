package wire

import (
	"encoding/json"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// Basis is what an edit form was read from, kept in the form's session and
// handed back at saving: whether a draft was open and at which revision (a
// save must not overwrite edits made since), the version the values came
// from (a new draft starts there) and whether it was named on purpose, and
// the tools that travel with a single_prompt agent's prompt.
type Basis struct {
	Open     bool   `json:"open,omitempty"`
	Revision int    `json:"revision"`
	Head     string `json:"head,omitempty"`
	// From: the form was read from a published version other than the
	// live one (EditVersion); saving creates the draft from Head even
	// when no field changed.
	From         bool         `json:"from,omitempty"`
	WorkflowType string       `json:"workflowType,omitempty"`
	Tools        []atoms.Tool `json:"tools,omitzero"`
}

// Encode is b as the opaque string the platform port carries.
func (b Basis) Encode() string {
	out, _ := json.Marshal(b)
	return string(out)
}

// DecodeBasis reverses Encode; a string it cannot read is an empty basis.
func DecodeBasis(s string) Basis {
	var b Basis
	_ = json.Unmarshal([]byte(s), &b)
	return b
}

// Editable is the form's content for draft d, from agent document ag read
// with d's (or the version's) config resolved.
func Editable(d platform.Draft, ag atoms.Agent, b Basis) platform.Editable {
	b.WorkflowType = ag.WorkflowType
	if ag.ResolvedConfig != nil && ag.WorkflowType != atoms.WorkflowGraph {
		b.Tools = ag.ResolvedConfig.Tools
		if b.Tools == nil {
			b.Tools = []atoms.Tool{}
		}
	}
	return platform.Editable{Draft: d, WorkflowType: ag.WorkflowType, Values: Values(ag.ResolvedConfig, ag.WorkflowType), Basis: b.Encode()}
}
