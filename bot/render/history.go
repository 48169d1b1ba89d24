package render

import (
	"fmt"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
)

// HistoryItem is one promotion or rollback of `/atoms history`.
type HistoryItem struct {
	Rollback    bool
	Version     string // "v4", "branch/v2"; "" when not known
	VersionID   string
	Label       string
	Requester   string   // Slack user id
	Approvers   []string // Slack user ids, first approval first
	Outcome     string   // live, rejected, cancelled, expired, failed; "" in flight
	EndedBy     string   // Slack user id of who rejected or cancelled; "" for the bot's own ends
	Reason      string
	RequestedAt time.Time
	PublishedAt time.Time
	EndedAt     time.Time
}

// History renders an agent's latest promotions and rollbacks, newest first.
func History(agent platform.Agent, items []HistoryItem) Message {
	if len(items) == 0 {
		return Note(fmt.Sprintf("No promotions or rollbacks of *%s* through atomsbot yet.", Literal(agent.Name)))
	}
	head := fmt.Sprintf("Last %d promotions and rollbacks of *%s*, newest first", len(items), Literal(agent.Name))
	if len(items) == 1 {
		head = fmt.Sprintf("Last promotion or rollback of *%s*", Literal(agent.Name))
	}
	lines := make([]string, 0, len(items))
	for _, it := range items {
		lines = append(lines, historyLine(it))
	}
	return listMessage(head, lines, 0, func(n int) string {
		return "… " + Count(n, "older one", "older ones") + " not shown; ask for fewer with `/atoms history &lt;agent&gt; &lt;n&gt;`."
	})
}

func historyLine(it HistoryItem) string {
	var b strings.Builder
	b.WriteString(outcomeEmoji(it.Outcome) + " ")
	what := "Promotion of"
	if it.Rollback {
		what = "Rollback to"
	}
	version := Literal(it.Version)
	if it.Version == "" {
		version = "`" + Escape(it.VersionID) + "`"
		if it.VersionID == "" {
			version = "a new version"
		}
	}
	fmt.Fprintf(&b, "%s *%s*%s — *%s*", what, version, quoted(it.Label), outcomeWord(it.Outcome))
	if it.EndedBy != "" && (it.Outcome == "rejected" || it.Outcome == "cancelled") {
		b.WriteString(" by " + Mention(it.EndedBy))
	}
	if it.Reason != "" && it.Outcome != "live" {
		b.WriteString(": " + Literal(Truncate(it.Reason, 200, "…")))
	}
	b.WriteString("\n      requested by " + Mention(it.Requester))
	if !it.RequestedAt.IsZero() {
		b.WriteString(" " + Timestamp(it.RequestedAt))
	}
	if len(it.Approvers) > 0 {
		b.WriteString(" · approved by " + MentionList(it.Approvers))
	}
	if !it.EndedAt.IsZero() {
		verb := "ended"
		if it.Outcome == "live" {
			verb = "live"
		}
		fmt.Fprintf(&b, " · %s %s", verb, Timestamp(it.EndedAt))
		if !it.RequestedAt.IsZero() && it.EndedAt.After(it.RequestedAt) {
			fmt.Fprintf(&b, " (%s after the request)", Duration(it.EndedAt.Sub(it.RequestedAt)))
		}
	}
	return b.String()
}

func outcomeWord(outcome string) string {
	if outcome == "" {
		return "in flight"
	}
	return Escape(outcome)
}

func outcomeEmoji(outcome string) string {
	switch outcome {
	case "live":
		return ":rocket:"
	case "rejected":
		return ":no_entry:"
	case "cancelled":
		return ":heavy_multiplication_x:"
	case "expired":
		return ":hourglass:"
	case "failed":
		return ":x:"
	}
	return ":hourglass_flowing_sand:"
}
