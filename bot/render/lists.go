package render

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
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
	b.WriteString("\n_" + Escape("<agent>: an agent id or its name (case does not matter when only one agent matches; quote names with spaces, \"double\" or 'single'). <version>: a version id, vN, or branch/vN for a branch other than the live one. <draft>: a draft id or name (on branches, the branch's name).") + "_")
	var blocks []slack.Block
	// The fallback text carries the usage itself, not only a title.
	text := "atomsbot usage\n" + b.String()
	if intro != "" {
		blocks = append(blocks, section(intro))
		text = intro + "\n\n" + text
	}
	blocks = append(blocks, section("*atomsbot* — drafts, diffs, approvals and activation of Atoms voice agents\n\n"+b.String()))
	return Message{Text: Truncate(text, MaxMessageText, "…"), Blocks: blocks}
}

// Agents renders the agent list.
func Agents(agents []platform.Agent, search string) Message {
	head := Count(len(agents), "agent", "agents")
	if search != "" {
		head += " matching “" + Literal(search) + "”"
	}
	if len(agents) == 0 {
		return Note(head + ".")
	}
	lines := make([]string, 0, len(agents))
	for _, a := range agents[:min(len(agents), maxListed)] {
		kind := ""
		if a.WorkflowType == platform.WorkflowGraph {
			kind = " · workflow graph"
		}
		lines = append(lines, fmt.Sprintf("• *%s* `%s`%s", Literal(a.Name), Escape(a.ID), kind))
	}
	return listMessage(head, lines, len(agents)-len(lines), func(n int) string {
		return fmt.Sprintf("… and %d more; narrow it down with `/atoms agents &lt;search&gt;`.", n)
	})
}

// StatusView is what `/atoms status` shows.
type StatusView struct {
	Agent     platform.Agent
	Active    *platform.Version // the live version; nil when unknown
	Drafts    []platform.Draft  // open drafts
	InFlight  *InFlight         // nil when none
	Watchers  []string          // channel ids
	Generated time.Time
	// ActiveByBot is what atomsbot knows of the active version: who
	// published and activated it through the bot (zero when it did not).
	ActiveByBot ByBot
}

// ByBot is what atomsbot itself did to a version, which Atoms records only
// as its API key: the Slack user whose promotion published it, and the one
// whose promotion or rollback activated it last, and when.
type ByBot struct {
	PublishedBy string // Slack user id; "" when not published through the bot
	ActivatedBy string // Slack user id; "" when never activated through the bot
	ActivatedAt time.Time
}

// InFlight summarises the promotion holding an agent's lock.
type InFlight struct {
	VersionNumber int
	VersionRef    string
	Label         string
	State         string
	Requester     string
	Link          string
}

// Status renders an agent's status.
func Status(v StatusView) Message {
	a := v.Agent
	var b strings.Builder
	fmt.Fprintf(&b, "*%s* `%s`\n", Literal(a.Name), Escape(a.ID))
	if v.Active != nil {
		fmt.Fprintf(&b, "Active: *%s*%s", refLiteral(v.Active.Ref, v.Active.Number), quoted(v.Active.Label))
		if v.Active.Branch != "" {
			fmt.Fprintf(&b, " on branch *%s*", Literal(v.Active.Branch))
		}
		if !v.Active.ActivatedAt.IsZero() {
			fmt.Fprintf(&b, " since %s", Timestamp(v.Active.ActivatedAt))
		}
		if who := v.ActiveByBot.ActivatedBy; who != "" {
			fmt.Fprintf(&b, " by %s", Mention(who))
		} else if who := v.Active.ActivatedBy; who != "" {
			fmt.Fprintf(&b, " by %s", Literal(who))
		}
		b.WriteString("\n")
	} else {
		b.WriteString("Active: _none_\n")
	}
	fmt.Fprintf(&b, "Open drafts: %d", len(v.Drafts))
	if len(v.Drafts) > 0 {
		names := make([]string, 0, len(v.Drafts))
		for _, d := range v.Drafts[:min(len(v.Drafts), 10)] {
			names = append(names, Literal(cmp.Or(d.Name, d.ID)))
		}
		b.WriteString(" (" + strings.Join(names, ", ") + ")")
	}
	b.WriteString("\n")
	if f := v.InFlight; f != nil {
		fmt.Fprintf(&b, "Promotion in flight: %s%s, %s, requested by %s", refLiteral(f.VersionRef, f.VersionNumber), quoted(f.Label), Escape(f.State), Mention(f.Requester))
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
	return Message{Text: Truncate(b.String(), MaxMessageText, "…"), Blocks: []slack.Block{section(b.String())}}
}

// Versions renders published versions, newest first; branch names the
// branch listed ("" where the platform has none). byBot, by version id,
// names the Slack users behind what atomsbot did (may be nil).
func Versions(agent platform.Agent, versions []platform.Version, total int, branch string, byBot map[string]ByBot) Message {
	head := fmt.Sprintf("Versions of *%s* (%d)", Literal(agent.Name), total)
	if branch != "" {
		head = fmt.Sprintf("Versions of *%s* on branch *%s* (%d)", Literal(agent.Name), Literal(branch), total)
	}
	if len(versions) == 0 {
		return Note(head + ": none published.")
	}
	lines := make([]string, 0, len(versions))
	for _, v := range versions[:min(len(versions), maxListed)] {
		var b strings.Builder
		bot := byBot[v.ID]
		fmt.Fprintf(&b, "*%s*%s", refLiteral(v.Ref, v.Number), quoted(v.Label))
		if v.Live || v.ID == agent.LiveVersionID {
			b.WriteString(" · :large_green_circle: *active*")
		}
		fmt.Fprintf(&b, " · check %s", CheckBadge(v.Check.Status, ""))
		if v.RestoredFrom != "" {
			fmt.Fprintf(&b, " · restores %s", Literal(v.RestoredFrom))
		}
		if who := bot.PublishedBy; who != "" {
			fmt.Fprintf(&b, " · by %s", Mention(who))
		} else if who := v.PublishedBy; who != "" {
			fmt.Fprintf(&b, " · by %s", Literal(who))
		}
		if !v.PublishedAt.IsZero() {
			fmt.Fprintf(&b, " %s", Timestamp(v.PublishedAt))
		}
		if bot.ActivatedBy != "" {
			fmt.Fprintf(&b, " · activated by %s", Mention(bot.ActivatedBy))
			if !bot.ActivatedAt.IsZero() {
				fmt.Fprintf(&b, " %s", Timestamp(bot.ActivatedAt))
			}
		}
		fmt.Fprintf(&b, " · `%s`", Escape(v.ID))
		lines = append(lines, b.String())
	}
	return listMessage(head, lines, max(total, len(versions))-len(lines), func(n int) string {
		return "… " + Count(n, "older version", "older versions") + " not shown."
	})
}

// Drafts renders open drafts.
func Drafts(agent platform.Agent, drafts []platform.Draft) Message {
	head := fmt.Sprintf("Open drafts of *%s* (%d)", Literal(agent.Name), len(drafts))
	if len(drafts) == 0 {
		return Note(head + ". Start one with " + inlineCode("/atoms edit "+Escape(agent.Name)) + ".")
	}
	lines := make([]string, 0, len(drafts))
	for _, d := range drafts[:min(len(drafts), maxListed)] {
		var b strings.Builder
		fmt.Fprintf(&b, "*%s* `%s` · revision %d", Literal(cmp.Or(d.Name, "(unnamed)")), Escape(d.ID), d.Revision)
		if d.Base != "" {
			fmt.Fprintf(&b, " · from %s", Literal(d.Base))
		} else if d.BaseID != "" {
			fmt.Fprintf(&b, " · from `%s`", Escape(d.BaseID))
		}
		if d.LastEditor != "" {
			fmt.Fprintf(&b, " · last edited by %s", Literal(d.LastEditor))
		}
		if d.Live {
			b.WriteString(" · on the live branch")
		}
		switch {
		case d.Scanning:
			b.WriteString(" · :hourglass_flowing_sand: being published (security check running)")
		case d.Check.Outcome() == platform.CheckFailed:
			fmt.Fprintf(&b, " · last security check %s", CheckBadge(d.Check.Status, d.Check.Reason))
		}
		lines = append(lines, b.String())
	}
	return listMessage(head, lines, len(drafts)-len(lines), func(n int) string {
		return "… and " + Count(n, "more open draft", "more open drafts") + "."
	})
}

// listMessage packs lines into sections within Slack's limits: each
// section under MaxSectionText, the blocks under MaxBlocks and their text
// under PageBudget. Lines that do not fit are dropped from the end; they and
// the extra items that had no line are announced with more(n). The fallback
// text is the head and the same lines.
func listMessage(head string, lines []string, extra int, more func(n int) string) Message {
	const room = MaxSectionText - 100
	blocks := []slack.Block{section(head)}
	total := runeLen(head)
	var text strings.Builder
	text.WriteString(stripMarks(head) + "\n")
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			blocks = append(blocks, section(cur.String()))
			cur.Reset()
			curLen = 0
		}
	}
	for i, l := range lines {
		l = Truncate(l, room, "…")
		n := runeLen(l) + 1
		newBlock := curLen+n > room
		// Keep room for the closing note: budget and one block.
		if total+n > PageBudget-footerReserve || newBlock && len(blocks) >= MaxBlocks-2 {
			extra += len(lines) - i
			break
		}
		if newBlock {
			flush()
		}
		cur.WriteString(l + "\n")
		text.WriteString(l + "\n")
		curLen += n
		total += n
	}
	flush()
	if extra > 0 {
		blocks = append(blocks, contextBlock(more(extra)))
		text.WriteString(more(extra))
	}
	return Message{Text: Truncate(strings.TrimSuffix(text.String(), "\n"), MaxMessageText, "…"), Blocks: blocks}
}

func quoted(label string) string {
	if label == "" {
		return ""
	}
	return " “" + Literal(Truncate(label, 200, "…")) + "”"
}

// refLiteral is a version's name for mrkdwn outside code.
func refLiteral(ref string, n int) string { return Literal(refText(ref, n)) }

// stripMarks drops the bold marks of head for the fallback text; the marks
// inside <…> tokens are user text shown as typed (Literal) and stay.
func stripMarks(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '<':
			depth++
		case r == '>' && depth > 0:
			depth--
		case r == '*' && depth == 0:
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
