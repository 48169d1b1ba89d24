package render

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// RequestContext is what the approver needs to know besides the diff: what
// the version replaces, where the draft came from, who shaped it, and for a
// rollback, what happened to its target before. It is gathered when the
// promotion is requested.
type RequestContext struct {
	// BaseRef names the version that was active at the request ("v3").
	BaseRef string `json:"baseRef,omitempty"`
	// ForkedFrom names the version the draft started from when that is not
	// the active one: the diff against the active version then also
	// carries whatever differs between the two.
	ForkedFrom string `json:"forkedFrom,omitempty"`
	// Editors are the Slack users who saved the draft through atomsbot.
	Editors []string `json:"editors,omitempty"`
	// AtomsEditor is who last edited the draft as Atoms has it (a name or
	// an id; shown as text).
	AtomsEditor string `json:"atomsEditor,omitempty"`
	// Newer: a rollback whose target is newer than the active version.
	Newer bool `json:"newer,omitempty"`
	// TargetCheckFailed: the rollback target's security check failed.
	TargetCheckFailed bool `json:"targetCheckFailed,omitempty"`
	// Past is how the target's last promotion through atomsbot ended, when
	// it was rejected or failed.
	Past *PastEnd `json:"past,omitempty"`
	// Dashboard is the agent's page in the Atoms dashboard ("" when not configured).
	Dashboard string `json:"dashboard,omitempty"`
}

// PastEnd is how an earlier promotion of a version ended.
type PastEnd struct {
	State  string    `json:"state"` // "rejected" or "failed"
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// DashboardLink is the agent's page under the dashboard base URL ("" when
// base is empty or not an https URL).
func DashboardLink(base, agentID string) string {
	if base == "" || agentID == "" {
		return ""
	}
	return safeURL(strings.TrimRight(base, "/") + "/" + url.PathEscape(agentID))
}

// baseline is the "v3 (active) → v4" line, with who asked and who edited.
func baseline(v ApprovalView) string {
	var b strings.Builder
	target := "*" + refName(v.VersionRef, v.VersionNumber) + "*"
	if v.Context.BaseRef != "" {
		fmt.Fprintf(&b, "%s (active) → %s · ", Escape(v.Context.BaseRef), target)
	}
	fmt.Fprintf(&b, "Requested by %s", Mention(v.Requester))
	if v.Kind == "rollback" && !v.Context.Newer {
		b.WriteString(" — a rollback to an earlier version")
	}
	if eds := editors(v.Context); eds != "" {
		b.WriteString(" · edited by " + eds)
	}
	return b.String()
}

func editors(c RequestContext) string {
	names := make([]string, 0, len(c.Editors)+1)
	for _, id := range c.Editors {
		names = append(names, Mention(id))
	}
	if c.AtomsEditor != "" {
		last := Escape(c.AtomsEditor)
		if userID.MatchString(c.AtomsEditor) {
			last = Mention(c.AtomsEditor)
		}
		if !slices.Contains(names, last) {
			names = append(names, last+" (last edit on Atoms)")
		}
	}
	return strings.Join(names, ", ")
}

// warnings are the lines an approver must not miss, one each.
func warnings(v ApprovalView) []string {
	c := v.Context
	target := refName(v.VersionRef, v.VersionNumber)
	active := "the active version"
	if c.BaseRef != "" {
		active = "the active " + Escape(c.BaseRef)
	}
	var out []string
	if c.ForkedFrom != "" {
		out = append(out, fmt.Sprintf(":warning: This draft was forked from %s, not from %s: the diff also carries what differs between them.", Escape(c.ForkedFrom), active))
	}
	if c.Newer {
		out = append(out, fmt.Sprintf(":warning: %s is newer than %s: this is not a rollback to an earlier version.", target, active))
	}
	if c.TargetCheckFailed {
		out = append(out, fmt.Sprintf(":warning: %s: its security check failed.", target))
	}
	if p := c.Past; p != nil {
		when := ""
		if !p.At.IsZero() {
			when = " " + slackAgo(p.At)
		}
		switch p.State {
		case "rejected":
			out = append(out, fmt.Sprintf(":warning: %s was rejected%s%s%s.", target, by(p.By), when, reason(p.Reason)))
		case "failed":
			out = append(out, fmt.Sprintf(":warning: The promotion of %s failed%s%s.", target, when, reason(p.Reason)))
		}
	}
	return out
}

// slackAgo renders t as "2 minutes ago" in the reader's client, which keeps
// it true however long the message stays up.
func slackAgo(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{ago}|on %s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}
