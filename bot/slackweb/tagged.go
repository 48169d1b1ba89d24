package slackweb

import (
	"context"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/slack-go/slack"
)

// tagField is the metadata payload field that holds a tagged post's key; the
// tag's event is the metadata's event type.
const tagField = "key"

// How far back FindTagged looks: clock skew between the bot and Slack,
// and how many messages it reads at most.
const (
	historySkew  = 2 * time.Minute
	historyPage  = 200
	historyPages = 5
)

// tagOption is the metadata that tags a post (see render.Tag).
func tagOption(t render.Tag) slack.MsgOption {
	return slack.MsgOptionMetadata(slack.SlackMetadata{EventType: t.Event, EventPayload: map[string]any{tagField: t.Key}})
}

// FindTagged looks in channel's messages since since for the post tagged
// tag and returns its ts ("" when there is none).
func (c *Client) FindTagged(ctx context.Context, channel string, tag render.Tag, since time.Time) (string, error) {
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
			if md := m.Metadata; md.EventType == tag.Event && md.EventPayload[tagField] == tag.Key {
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
