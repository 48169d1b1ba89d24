package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/slack-go/slack"
)

// maxListed bounds list answers; the rest is summarised.
const maxListed = 40

// HelpEntry is one subcommand of the usage text.
type HelpEntry struct{ Usage, Summary string }

// Help renders the usage text. intro (mrkdwn, may be "") comes first, e.g. the
// reason the user sees the help.
func Help(intro string, entries []HelpEntry) Message {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "`%s`\n      %s\n", Escape(e.Usage), Escape(e.Summary))
	}
	b.WriteString("\n_<agent>: an agent id or its exact name (quote names with spaces). <version>: a version id or vN. <draft>: a draft id or name._")
	var blocks []slack.Block
	text := "atomsbot usage"
	if intro != "" {
		blocks = append(blocks, section(intro))
		text = intro
	}
	blocks = append(blocks, section("*atomsbot* — drafts, diffs, approvals and activation of Atoms voice agents\n\n"+b.String()))
	return Message{Text: Truncate(text, MaxMessageText, "…"), Blocks: blocks}
}

// Agents renders the agent list.
func Agents(agents []atoms.Agent, search string) Message {
	head := fmt.Sprintf("%d agent(s)", len(agents))
	if search != "" {
		head += " matching “" + Escape(search) + "”"
	}
	if len(agents) == 0 {
		return Note(head + ".")
	}
	lines := make([]string, 0, len(agents))
	for _, a := range agents[:min(len(agents), maxListed)] {
		kind := ""
		if a.WorkflowType == atoms.WorkflowGraph {
			kind = " · workflow graph"
		}
		lines = append(lines, fmt.Sprintf("• *%s* `%s`%s", Escape(a.Name), Escape(a.ID), kind))
	}
	if len(agents) > maxListed {
		lines = append(lines, fmt.Sprintf("_… and %d more; narrow it down with `/atoms agents <search>`._", len(agents)-maxListed))
	}
	return listMessage(head, lines)
}

// StatusView is what `/atoms status` shows.
type StatusView struct {
	Agent     atoms.Agent
	Active    *atoms.Version // nil when unknown
	Drafts    []atoms.Version
	InFlight  *InFlight // nil when none
	Watchers  []string  // channel ids
	Generated time.Time
}

// InFlight summarises the promotion holding an agent's lock.
type InFlight struct {
	VersionNumber int
	Label         string
	State         string
	Requester     string
	Link          string
}

// Status renders an agent's status.
func Status(v StatusView) Message {
	a := v.Agent
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* `%s`\n", Escape(a.Name), Escape(a.ID))
	if v.Active != nil {
		fmt.Fprintf(&b, "Active: *%s*%s", versionName(v.Active.VersionNumber), quoted(v.Active.Label))
		if !v.Active.ActivatedAt.IsZero() {
			fmt.Fprintf(&b, " since %s", slackDate(v.Active.ActivatedAt))
		}
		if who := firstOf(v.Active.ActivatedByName, v.Active.ActivatedBy); who != "" {
			fmt.Fprintf(&b, " by %s", Escape(who))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("Active: _none_\n")
	}
	fmt.Fprintf(&b, "Open drafts: %d", len(v.Drafts))
	if len(v.Drafts) > 0 {
		names := make([]string, 0, len(v.Drafts))
		for _, d := range v.Drafts[:min(len(v.Drafts), 10)] {
			names = append(names, Escape(firstOf(d.DraftName, d.DraftID)))
		}
		b.WriteString(" (" + strings.Join(names, ", ") + ")")
	}
	b.WriteString("\n")
	if f := v.InFlight; f != nil {
		fmt.Fprintf(&b, "Promotion in flight: %s%s, %s, requested by %s", versionName(f.VersionNumber), quoted(f.Label), Escape(f.State), Mention(f.Requester))
		if link := safeURL(f.Link); link != "" {
			fmt.Fprintf(&b, " — <%s|see the request>", link)
		}
	} else {
		b.WriteString("No promotion in flight.")
	}
	if len(v.Watchers) > 0 {
		ch := make([]string, len(v.Watchers))
		for i, c := range v.Watchers {
			ch[i] = ChannelMention(c)
		}
		b.WriteString("\nWatched in " + strings.Join(ch, ", "))
	}
	return Message{Text: Escape(a.Name) + " status", Blocks: []slack.Block{section(b.String())}}
}

// Versions renders published versions, newest first.
func Versions(agent atoms.Agent, versions []atoms.Version, total int) Message {
	head := fmt.Sprintf("Versions of *%s* (%d)", Escape(agent.Name), total)
	if len(versions) == 0 {
		return Note(head + ": none published.")
	}
	lines := make([]string, 0, len(versions))
	for _, v := range versions[:min(len(versions), maxListed)] {
		var b strings.Builder
		fmt.Fprintf(&b, "*%s*%s", versionName(v.VersionNumber), quoted(v.Label))
		if v.IsActive || v.ID == agent.ActiveVersionID {
			b.WriteString(" · :large_green_circle: *active*")
		}
		status := ""
		if v.SecurityCheck != nil {
			status = v.SecurityCheck.Status
		}
		fmt.Fprintf(&b, " · check %s", CheckBadge(status, ""))
		if who := firstOf(v.PublishedByName, v.PublishedBy); who != "" {
			fmt.Fprintf(&b, " · by %s", Escape(who))
		}
		if !v.PublishedAt.IsZero() {
			fmt.Fprintf(&b, " %s", slackDate(v.PublishedAt))
		}
		fmt.Fprintf(&b, " · `%s`", Escape(v.ID))
		lines = append(lines, b.String())
	}
	if total > len(versions) || len(versions) > maxListed {
		lines = append(lines, fmt.Sprintf("_… %d older version(s) not shown._", max(total, len(versions))-min(len(versions), maxListed)))
	}
	return listMessage(head, lines)
}

// Drafts renders open drafts.
func Drafts(agent atoms.Agent, drafts []atoms.Version, sourceNumbers map[string]int) Message {
	head := fmt.Sprintf("Open drafts of *%s* (%d)", Escape(agent.Name), len(drafts))
	if len(drafts) == 0 {
		return Note(head + ". Start one with `/atoms edit " + Escape(agent.Name) + "`.")
	}
	lines := make([]string, 0, len(drafts))
	for _, d := range drafts[:min(len(drafts), maxListed)] {
		var b strings.Builder
		fmt.Fprintf(&b, "*%s* `%s` · revision %d", Escape(firstOf(d.DraftName, "(unnamed)")), Escape(d.DraftID), d.DraftRevision)
		if n, ok := sourceNumbers[d.SourceVersionID]; ok {
			fmt.Fprintf(&b, " · from %s", versionName(n))
		} else if d.SourceVersionID != "" {
			fmt.Fprintf(&b, " · from `%s`", Escape(d.SourceVersionID))
		}
		if d.LastEditorName != "" {
			fmt.Fprintf(&b, " · last edited by %s", Escape(d.LastEditorName))
		}
		lines = append(lines, b.String())
	}
	if len(drafts) > maxListed {
		lines = append(lines, fmt.Sprintf("_… and %d more._", len(drafts)-maxListed))
	}
	return listMessage(head, lines)
}

// listMessage packs lines into sections within Slack's limits.
func listMessage(head string, lines []string) Message {
	blocks := []slack.Block{section(head)}
	var cur strings.Builder
	for _, l := range lines {
		if cur.Len()+len(l)+1 > MaxSectionText-100 {
			blocks = append(blocks, section(cur.String()))
			cur.Reset()
		}
		cur.WriteString(l + "\n")
	}
	if cur.Len() > 0 {
		blocks = append(blocks, section(cur.String()))
	}
	return Message{Text: stripMarks(head), Blocks: blocks[:min(len(blocks), MaxBlocks)]}
}

func quoted(label string) string {
	if label == "" {
		return ""
	}
	return " “" + Escape(Truncate(label, 200, "…")) + "”"
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func stripMarks(s string) string { return strings.ReplaceAll(s, "*", "") }
