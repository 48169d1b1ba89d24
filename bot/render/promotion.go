package render

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Action ids of the approval message's buttons.
const (
	ActionApprove = "atoms_approve"
	ActionReject  = "atoms_reject"
	// ActionCall rings the clicker's phone with what the message shows.
	ActionCall = "atoms_call"
	// ActionChangePhone opens the form that changes the clicker's number.
	ActionChangePhone = "atoms_call_phone"
	// ActionReopen opens the edit form on a new draft forked from a
	// finished (rejected or failed) promotion's version.
	ActionReopen = "atoms_reopen"
)

// ApprovalView is everything the approval message shows about a promotion.
type ApprovalView struct {
	PromotionID   string
	AgentName     string
	Kind          string // "promote" or "rollback"
	VersionID     string // what approvals bind to (the buttons carry it)
	VersionNumber int
	VersionRef    string // how commands name it ("v4", "branch/v2"); "" falls back to the number
	Label         string
	Requester     string // Slack user id
	State         string // the promotion state (requested, published, activating, live, …)
	CheckStatus   string
	CheckReason   string
	Approvals     []string // user ids that approved this exact version
	Required      int
	Approvers     []string // who may approve; empty: anyone but the requester
	AllowSelf     bool
	ExpiresAt     time.Time
	Reason        string // why it ended
	EndedBy       string // who rejected or cancelled
	RequestedAt   time.Time
	LiveAt        time.Time
	// Diff is the first page of the diff against the version that was active,
	// already rendered; DiffNote says where the rest is when it was cut.
	Diff     []slack.Block
	DiffNote string
}

// Open reports whether the promotion still takes approvals.
func (v ApprovalView) Open() bool { return v.State == "requested" || v.State == "published" }

// ButtonValue is what the Approve/Reject buttons carry: the promotion and the
// exact version the approvers were shown.
func ButtonValue(promotionID, versionID string) string { return promotionID + "|" + versionID }

// ParseButtonValue reverses ButtonValue.
func ParseButtonValue(v string) (promotionID, versionID string, ok bool) {
	promotionID, versionID, ok = strings.Cut(v, "|")
	return promotionID, versionID, ok && promotionID != "" && versionID != ""
}

// Approval renders the approval request. It is posted once and then updated
// in place as the check, the approvals and the activation progress.
func Approval(v ApprovalView) Message {
	// Escaped even in plain text: Slack stores and shows entities the same
	// way there, and no raw "<" of an agent name ever reaches Slack.
	title := fmt.Sprintf("%s %s → %s", kindVerb(v.Kind), Escape(v.AgentName), refName(v.VersionRef, v.VersionNumber))
	blocks := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, Truncate(title, MaxHeaderText, "…"), false, false)),
		slack.NewSectionBlock(mdText(approvalIntro(v), MaxSectionText), approvalFields(v), nil),
	}
	if len(v.Diff) > 0 {
		blocks = append(blocks, slack.NewDividerBlock())
		blocks = append(blocks, v.Diff...)
		if v.DiffNote != "" {
			blocks = append(blocks, contextBlock(v.DiffNote))
		}
	}
	if v.Open() {
		approve := slack.NewButtonBlockElement(ActionApprove, ButtonValue(v.PromotionID, v.VersionID),
			slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary)
		reject := slack.NewButtonBlockElement(ActionReject, ButtonValue(v.PromotionID, v.VersionID),
			slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false)).WithStyle(slack.StyleDanger)
		reject = reject.WithConfirm(slack.NewConfirmationBlockObject(
			slack.NewTextBlockObject(slack.PlainTextType, "Reject this promotion?", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "The version stays published but will not be activated.", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false),
			slack.NewTextBlockObject(slack.PlainTextType, "Keep it", false, false)))
		call := slack.NewButtonBlockElement(ActionCall, CallValue(CallPromotion, v.PromotionID),
			slack.NewTextBlockObject(slack.PlainTextType, "Call me", false, false))
		blocks = append(blocks, slack.NewActionBlock("approval_actions", approve, reject, call))
	}
	blocks = append(blocks, contextBlock(stateLine(v)))
	return Message{Text: approvalText(v), Blocks: fitBlocks(blocks, MaxBlocks)}
}

func approvalIntro(v ApprovalView) string {
	var b strings.Builder
	if v.Label != "" {
		fmt.Fprintf(&b, "*%s*\n", Escape(v.Label))
	}
	fmt.Fprintf(&b, "Requested by %s", Mention(v.Requester))
	if v.Kind == "rollback" {
		b.WriteString(" — a rollback to an earlier version")
	}
	return b.String()
}

func approvalFields(v ApprovalView) []*slack.TextBlockObject {
	md := func(s string) *slack.TextBlockObject {
		return mdText(s, MaxFieldText)
	}
	fields := []*slack.TextBlockObject{
		md("*Security check*\n" + CheckBadge(v.CheckStatus, v.CheckReason)),
		md(fmt.Sprintf("*Approvals*\n%d of %d%s", len(v.Approvals), v.Required, mentionList(" — ", v.Approvals))),
		md("*Who may approve*\n" + whoMayApprove(v)),
	}
	if v.Open() && !v.ExpiresAt.IsZero() {
		fields = append(fields, md("*Expires*\n"+slackDate(v.ExpiresAt)))
	}
	return fields
}

func whoMayApprove(v ApprovalView) string {
	var who string
	if len(v.Approvers) == 0 {
		who = "anyone"
		if !v.AllowSelf {
			who += " except " + Mention(v.Requester)
		}
	} else {
		who = mentionList("", v.Approvers)
		if !v.AllowSelf {
			who += " (not the requester)"
		}
	}
	return who
}

// CheckBadge renders a security check status.
func CheckBadge(status, reason string) string {
	switch status {
	case "passed":
		return ":white_check_mark: passed"
	case "failed", "errored":
		s := ":x: " + status
		if reason != "" {
			s += ": " + Escape(reason)
		}
		return s
	case "":
		return ":hourglass_flowing_sand: waiting"
	}
	return ":hourglass_flowing_sand: " + Escape(status)
}

func stateLine(v ApprovalView) string {
	switch v.State {
	case "requested":
		return "Publishing the draft…"
	case "published":
		var waits []string
		if v.CheckStatus != "passed" {
			waits = append(waits, "the security check")
		}
		if len(v.Approvals) < v.Required {
			waits = append(waits, Count(v.Required-len(v.Approvals), "more approval", "more approvals"))
		}
		if len(waits) == 0 {
			return "Ready — activating shortly."
		}
		return "Waiting for " + strings.Join(waits, " and ") + "."
	case "activating":
		return "Activating…"
	case "live":
		s := ":rocket: Live"
		if !v.LiveAt.IsZero() {
			s += " since " + slackDate(v.LiveAt)
			if !v.RequestedAt.IsZero() {
				s += fmt.Sprintf(" (%s from request to live)", Duration(v.LiveAt.Sub(v.RequestedAt)))
			}
		}
		return s
	case "rejected":
		return ":no_entry: Rejected" + by(v.EndedBy) + reason(v.Reason)
	case "cancelled":
		return ":heavy_multiplication_x: Cancelled" + by(v.EndedBy) + reason(v.Reason)
	case "expired":
		return ":hourglass: Expired" + reason(v.Reason)
	case "failed":
		return ":x: Failed" + reason(v.Reason)
	}
	return Escape(v.State)
}

func approvalText(v ApprovalView) string {
	name := fmt.Sprintf("%s %s", v.AgentName, refText(v.VersionRef, v.VersionNumber))
	if v.Label != "" {
		name += fmt.Sprintf(" “%s”", v.Label)
	}
	switch v.State {
	case "requested", "published":
		return Escape(fmt.Sprintf("Approval needed: %s, requested by ", name)) + Mention(v.Requester) +
			fmt.Sprintf(" — security check %s, %d of %d approvals", plainCheck(v.CheckStatus), len(v.Approvals), v.Required)
	case "live":
		return Escape(name) + " is live"
	}
	return Escape(fmt.Sprintf("%s: %s", name, v.State))
}

func plainCheck(status string) string {
	if status == "" {
		return "waiting"
	}
	return status
}

func kindVerb(kind string) string {
	if kind == "rollback" {
		return "Rollback:"
	}
	return "Promotion:"
}

func by(user string) string {
	if user == "" {
		return ""
	}
	return " by " + Mention(user)
}

func reason(r string) string {
	if r == "" {
		return ""
	}
	return " — " + Escape(r)
}

func versionName(n int) string {
	if n <= 0 {
		return "new version"
	}
	return fmt.Sprintf("v%d", n)
}

// VersionName is "vN", or "new version" before publish assigned a number.
func VersionName(n int) string { return versionName(n) }

// refText is a version's name as commands know it, unescaped: the ref when
// there is one, else "vN".
func refText(ref string, n int) string {
	if ref != "" {
		return ref
	}
	return versionName(n)
}

// refName is refText escaped for mrkdwn (a ref carries a branch name, which
// anyone may choose).
func refName(ref string, n int) string { return Escape(refText(ref, n)) }

var userID = regexp.MustCompile(`^[UW][A-Z0-9]{1,20}$`)

// Mention renders a Slack user id as a mention; anything that is not a user id
// is escaped text, so it can never become a broadcast or a link.
func Mention(id string) string {
	if userID.MatchString(id) {
		return "<@" + id + ">"
	}
	return Escape(id)
}

func mentionList(prefix string, ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = Mention(id)
	}
	return prefix + strings.Join(out, ", ")
}

// MentionList renders user ids as comma-separated mentions.
func MentionList(ids []string) string { return mentionList("", ids) }

// slackDate renders t in the reader's time zone, with a UTC fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// SlackDate renders t as a Slack date token (shown in the reader's time zone).
func SlackDate(t time.Time) string { return slackDate(t) }

// Duration renders d for people: "42s", "3m05s", "2h10m".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

func contextBlock(mrkdwn string) *slack.ContextBlock {
	return noteBlock(Truncate(mrkdwn, MaxSectionText, "…"))
}

// fitBlocks keeps a message within max blocks by dropping blocks from the
// middle (the diff) and saying so, so header, buttons and state survive.
func fitBlocks(blocks []slack.Block, max int) []slack.Block {
	if len(blocks) <= max {
		return blocks
	}
	head, tail := blocks[:2], blocks[len(blocks)-2:]
	middle := blocks[2 : max-3]
	out := append(append([]slack.Block{}, head...), middle...)
	out = append(out, contextBlock(fmt.Sprintf("… %d more blocks not shown.", len(blocks)-max+1)))
	return append(out, tail...)
}
