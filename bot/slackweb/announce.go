package slackweb

import (
	"context"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/slack-go/slack"
)

// The announcement's message metadata: an event type of atomsbot's own and
// the activation it announces, so a post whose answer was lost can be found
// in the channel's history.
const (
	announceEvent = "atomsbot_live"
	announceField = "activation"
)

// How far back FindAnnouncement looks: clock skew between the bot and Slack,
// and how many messages it reads at most.
const (
	historySkew  = 2 * time.Minute
	historyPage  = 200
	historyPages = 5
)

// Announce posts the one message of an activation that says "is live",
// tagged with the activation's key in its metadata.
func (c *Client) Announce(ctx context.Context, channel string, m render.Message, key string) (string, error) {
	opts := append(msgOptions(m), slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType:    announceEvent,
		EventPayload: map[string]any{announceField: key},
	}))
	return c.post(ctx, channel, opts)
}

// FindAnnouncement looks in channel's messages since since for the
// announcement tagged key and returns its ts ("" when there is none).
func (c *Client) FindAnnouncement(ctx context.Context, channel, key string, since time.Time) (string, error) {
	params := &slack.GetConversationHistoryParameters{
		ChannelID: channel, Limit: historyPage, IncludeAllMetadata: true, Inclusive: true,
		Oldest: slackTS(since.Add(-historySkew)),
	}
	for range historyPages {
		var resp *slack.GetConversationHistoryResponse
		err := c.call(ctx, "conversations.history", channel, func() (err error) {
			resp, err = c.api.GetConversationHistoryContext(ctx, params)
			return err
		})
		if err != nil {
			return "", err
		}
		for _, m := range resp.Messages {
			if md := m.Metadata; md.EventType == announceEvent && md.EventPayload[announceField] == key {
				return m.Timestamp, nil
			}
		}
		if !resp.HasMore || resp.ResponseMetaData.NextCursor == "" {
			return "", nil
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
	return "", nil
}

// slackTS writes t as a message ts ("seconds.micros").
func slackTS(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}
