// Package render builds atomsbot's Slack messages as Block Kit (slack-go
// v0.35.0 block types): mrkdwn escaping, Slack's size limits, unified line
// diffs and the paginated diff preview of an Atoms configuration change.
//
// Lengths are counted in runes (Unicode code points) wherever Slack documents
// a limit in "characters": that is what slack-go's own TextBlockObject.Validate
// counts, and every cut is made on a rune boundary (and, where it matters, not
// inside a grapheme or an mrkdwn entity).
package render

import "github.com/slack-go/slack"

// Message is one Slack message: a plain-text fallback (notifications, screen
// readers) and blocks. Text is mrkdwn-escaped like the blocks, because Slack
// parses it too.
type Message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
	// Tag, when set, travels in the post's metadata: the message must be
	// posted once, and after an unclear answer it is looked for in the
	// channel before it is posted again.
	Tag *Tag `json:"-"`
}

// Tag names a post that must appear once: what it is (its metadata event
// type) and which one (the activation announced, the promotion asked for).
type Tag struct {
	Event string
	Key   string
}

// Events of tagged posts.
const (
	TagLive    = "atomsbot_live"    // the one "is live" of an activation
	TagRequest = "atomsbot_request" // the approval request of a promotion
	TagWatch   = "atomsbot_watch"   // a watching channel's note that a promotion went live
)
