package render

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// LiveView is the announcement of an activation made by atomsbot.
type LiveView struct {
	AgentName     string
	VersionNumber int
	VersionRef    string // how commands name it ("v4", "branch/v2"); "" falls back to the number
	Label         string
	Kind          string // "promote" or "rollback"
	Requester     string
	Approvers     []string
	RequestedAt   time.Time
	LiveAt        time.Time
	Link          string // the approval message
	// Replaced names the version that was live before ("" when unknown).
	Replaced string
	// Rollback is the value of the "Roll back" button (RollbackValue); ""
	// offers none.
	Rollback string
}

// RollbackValue is what the "Roll back" button of an "is live" message
// carries: the agent and the version to go back to.
func RollbackValue(agentID, versionID string) string { return agentID + "|" + versionID }

// ParseRollbackValue reverses RollbackValue.
func ParseRollbackValue(v string) (agentID, versionID string, ok bool) {
	agentID, versionID, ok = strings.Cut(v, "|")
	return agentID, versionID, ok && agentID != "" && versionID != ""
}

// Live renders the one message per activation whose text says "is live".
func Live(v LiveView) Message {
	name := liveName(v.AgentName, refName(v.VersionRef, v.VersionNumber), v.Label)
	text := name + " is live"
	var b strings.Builder
	fmt.Fprintf(&b, ":rocket: *%s is live*", name)
	if v.Kind == "rollback" {
		b.WriteString(" (rollback)")
	}
	if v.Replaced != "" {
		fmt.Fprintf(&b, " — it replaces %s", Escape(v.Replaced))
	}
	fmt.Fprintf(&b, "\nRequested by %s", Mention(v.Requester))
	if len(v.Approvers) > 0 {
		fmt.Fprintf(&b, ", approved by %s", MentionList(v.Approvers))
	}
	if !v.RequestedAt.IsZero() && !v.LiveAt.IsZero() {
		fmt.Fprintf(&b, " — %s from request to live", Duration(v.LiveAt.Sub(v.RequestedAt)))
	}
	blocks := []slack.Block{section(b.String())}
	if link := safeURL(v.Link); link != "" {
		blocks = append(blocks, contextBlock("<"+link+"|Approval request and details>"))
	}
	if v.Rollback != "" {
		to := "the previous version"
		if v.Replaced != "" {
			to = v.Replaced // plain text: Slack shows it as typed
		}
		blocks = append(blocks, slack.NewActionBlock("live_actions", slack.NewButtonBlockElement(ActionRollback, v.Rollback,
			slack.NewTextBlockObject(slack.PlainTextType, Truncate("Roll back to "+to, 75, "…"), false, false))))
	}
	return Message{Text: text, Blocks: blocks}
}

// ExternalLiveView is an activation atomsbot noticed but did not make.
type ExternalLiveView struct {
	AgentName     string
	VersionNumber int
	VersionRef    string
	Label         string
	ActivatedBy   string // a name or id from Atoms; "" when unknown
	ActivatedAt   time.Time
}

// ExternalLive renders a watch announcement. Exactly one channel gets the
// "is live" wording (primary); the others are told the same news in other
// words, so an activation is announced once. diff's first page is included.
func ExternalLive(v ExternalLiveView, primary bool, diff []Message) Message {
	name := liveName(v.AgentName, refName(v.VersionRef, v.VersionNumber), v.Label)
	verb := "went live"
	if primary {
		verb = "is live"
	}
	var b strings.Builder
	fmt.Fprintf(&b, ":satellite_antenna: *%s %s* — activated outside atomsbot", name, verb)
	if v.ActivatedBy != "" {
		fmt.Fprintf(&b, " by %s", Escape(v.ActivatedBy))
	}
	if !v.ActivatedAt.IsZero() {
		fmt.Fprintf(&b, " at %s", slackDate(v.ActivatedAt))
	}
	blocks := []slack.Block{section(b.String())}
	if len(diff) > 0 {
		blocks = append(blocks, slack.NewDividerBlock())
		page := diff[0].Blocks
		if len(page) > MaxBlocks-len(blocks)-1 {
			page = page[:MaxBlocks-len(blocks)-1]
		}
		blocks = append(blocks, page...)
		if len(diff) > 1 {
			blocks = append(blocks, contextBlock("The diff continues in the thread."))
		}
	}
	return Message{Text: fmt.Sprintf("%s %s (activated outside atomsbot)", name, verb), Blocks: blocks}
}

// Note is a one-section message (thread replies, short notices).
func Note(mrkdwn string) Message {
	return Message{Text: Truncate(mrkdwn, MaxMessageText, "…"), Blocks: []slack.Block{section(mrkdwn)}}
}

func section(mrkdwn string) *slack.SectionBlock {
	return mrkdwnSection(Truncate(mrkdwn, MaxSectionText, "…"))
}

func liveName(agent, version, label string) string {
	s := Escape(agent) + " " + version
	if label != "" {
		s += " “" + Escape(Truncate(label, 200, "…")) + "”"
	}
	return s
}

var channelID = regexp.MustCompile(`^[CGD][A-Z0-9]{1,20}$`)

// ChannelMention renders a channel id as a channel link; anything else is escaped text.
func ChannelMention(id string) string {
	if channelID.MatchString(id) {
		return "<#" + id + ">"
	}
	return Escape(id)
}

var httpURL = regexp.MustCompile(`^https://[A-Za-z0-9.\-]+/[A-Za-z0-9/_\-.?=&%]*$`)

func safeURL(u string) string {
	if httpURL.MatchString(u) {
		return u
	}
	return ""
}

// mdText is mrkdwn text cut to max. Verbatim: Slack must not turn bare words
// like @here in user text into mentions; explicit <@U…> still work.
func mdText(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, Truncate(s, max, "…"), false, true)
}
