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
	// ActionCancel withdraws a request; only its requester may.
	ActionCancel = "atoms_cancel"
	// ActionRollback, on an "is live" message, asks to activate the
	// version it replaced (its value is RollbackValue).
	ActionRollback = "atoms_rollback"
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
	Context       RequestContext
	// Diff is the first page of the diff against the version that was active,
	// already rendered; DiffNote says where the rest is when it was cut.
	Diff     []slack.Block
	DiffNote string
}

// Open reports whether the promotion still takes approvals.
func (v ApprovalView) Open() bool { return v.State == "requested" || v.State == "published" }

// ended reports whether the promotion ended without going live.
func (v ApprovalView) ended() bool {
	switch v.State {
	case "rejected", "cancelled", "expired", "failed":
		return true
	}
	return false
}

// ButtonValue is what the Approve/Reject buttons carry: the promotion and the
// exact version the approvers were shown.
func ButtonValue(promotionID, versionID string) string { return promotionID + "|" + versionID }

// ParseButtonValue reverses ButtonValue.
func ParseButtonValue(v string) (promotionID, versionID string, ok bool) {
	promotionID, versionID, ok = strings.Cut(v, "|")
	return promotionID, versionID, ok && promotionID != "" && versionID != ""
}

// Approval renders the approval request. It is posted once and then updated
// in place as the check, the approvals and the activation progress. The
// buttons sit right under what is asked; the diff comes after them.
func Approval(v ApprovalView) Message {
	// Escaped even in plain text: Slack stores and shows entities the same
	// way there, and no raw "<" of an agent name ever reaches Slack.
	title := fmt.Sprintf("%s %s → %s", kindVerb(v.Kind), Escape(v.AgentName), refName(v.VersionRef, v.VersionNumber))
	top := []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, Truncate(title, MaxHeaderText, "…"), false, false)),
		slack.NewSectionBlock(mdText(approvalIntro(v), MaxSectionText), approvalFields(v), nil),
	}
	if w := warnings(v); len(w) > 0 {
		top = append(top, contextBlock(strings.Join(w, "\n")))
	}
	if link := v.Context.Dashboard; link != "" {
		top = append(top, contextBlock("<"+link+"|Open "+Escape(v.AgentName)+" in the Atoms dashboard>"))
	}
	if b := approvalButtons(v); b != nil {
		top = append(top, b)
	}
	top = append(top, contextBlock(stateLine(v)))
	var diff []slack.Block
	if len(v.Diff) > 0 {
		diff = append(append(diff, slack.NewDividerBlock()), v.Diff...)
		if v.DiffNote != "" {
			diff = append(diff, contextBlock(v.DiffNote))
		}
	}
	return Message{Text: approvalText(v), Blocks: fitBlocks(top, diff, MaxBlocks)}
}

// approvalButtons are the actions of an open request (Approve, Reject, the
// requester's Cancel, Call me), the way back to a draft for a rejected or
// failed one, and nil otherwise.
func approvalButtons(v ApprovalView) slack.Block {
	value := ButtonValue(v.PromotionID, v.VersionID)
	button := func(id, text string) *slack.ButtonBlockElement {
		return slack.NewButtonBlockElement(id, value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false))
	}
	switch {
	case v.Open():
		approve := button(ActionApprove, "Approve").WithStyle(slack.StylePrimary)
		// Reject opens a form that asks for an optional reason and
		// confirms; it needs no confirm dialog of its own.
		reject := button(ActionReject, "Reject").WithStyle(slack.StyleDanger)
		cancel := button(ActionCancel, "Cancel request")
		call := slack.NewButtonBlockElement(ActionCall, CallValue(CallPromotion, v.PromotionID),
			slack.NewTextBlockObject(slack.PlainTextType, "Call me", false, false))
		return slack.NewActionBlock("approval_actions", approve, reject, cancel, call)
	case (v.State == "rejected" || v.State == "failed") && v.Kind != "rollback" && v.VersionID != "":
		return slack.NewActionBlock("approval_actions", button(ActionReopen, "Reopen as a draft"))
	}
	return nil
}

func approvalIntro(v ApprovalView) string {
	var b strings.Builder
	if v.Label != "" {
		fmt.Fprintf(&b, "*%s*\n", Escape(v.Label))
	}
	b.WriteString(baseline(v))
	return b.String()
}

// approvalFields say where an open request stands; once it ended they keep
// only what stays true (a decided check, who approved).
func approvalFields(v ApprovalView) []*slack.TextBlockObject {
	md := func(s string) *slack.TextBlockObject {
		return mdText(s, MaxFieldText)
	}
	var fields []*slack.TextBlockObject
	if !v.ended() || v.CheckStatus == "passed" || v.CheckStatus == "failed" || v.CheckStatus == "errored" {
		fields = append(fields, md("*Security check*\n"+CheckBadge(v.CheckStatus, v.CheckReason)))
	}
	if v.Open() || v.State == "activating" {
		fields = append(fields,
			md(fmt.Sprintf("*Approvals*\n%d of %d%s", len(v.Approvals), v.Required, mentionList(" — ", v.Approvals))),
			md("*Who may approve*\n"+whoMayApprove(v)))
	} else if len(v.Approvals) > 0 {
		fields = append(fields, md("*Approved by*\n"+MentionList(v.Approvals)))
	}
	if v.Open() && !v.ExpiresAt.IsZero() {
		fields = append(fields, md("*Expires*\n"+slackDate(v.ExpiresAt)))
	}
	return fields
}

// whoMayApprove never names the requester when their approval does not count.
func whoMayApprove(v ApprovalView) string {
	if len(v.Approvers) == 0 {
		if v.AllowSelf {
			return "anyone"
		}
		return "anyone except " + Mention(v.Requester)
	}
	others := v.Approvers
	if !v.AllowSelf {
		others = nil
		for _, a := range v.Approvers {
			if a != v.Requester {
				others = append(others, a)
			}
		}
	}
	if len(others) == 0 {
		return "no one: the only listed approver requested it"
	}
	return mentionList("", others)
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

// fitBlocks keeps a message within max blocks by cutting the diff, and
// saying so, so that header, buttons and state always survive.
func fitBlocks(top, diff []slack.Block, max int) []slack.Block {
	if len(top)+len(diff) <= max {
		return append(top, diff...)
	}
	room := max - len(top) - 1
	return append(append(top, diff[:room]...), contextBlock(fmt.Sprintf("… %d more blocks not shown.", len(diff)-room)))
}
