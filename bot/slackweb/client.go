// Package slackweb adapts slack-go's Web API client to what atomsbot needs:
// post, update, ephemeral, response_url, modals and file uploads, with
// rate-limit retries on an injectable sleep and metrics of every call.
package slackweb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/slack-go/slack"
)

// Observer receives Slack API outcomes for metrics; nil is allowed.
type Observer interface {
	ObserveSlackCall(method string, err error)
}

// Options configure a Client.
type Options struct {
	Token      string // xoxb-…
	APIURL     string // SLACK_API_URL; must end in "/"
	HTTPClient *http.Client
	MaxRetries int // on 429; default 3
	Sleep      func(ctx context.Context, d time.Duration) error
	Observer   Observer
	Logger     *slog.Logger // rate-limit waits, at debug level; failures are returned, not logged
}

// Client is the Slack Web API as atomsbot uses it.
type Client struct {
	api     *slack.Client
	http    *http.Client
	retries int
	sleep   func(ctx context.Context, d time.Duration) error
	obs     Observer
	log     *slog.Logger
}

// New returns a client. The token is held by slack-go and never logged here.
func New(o Options) *Client {
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	opts := []slack.Option{slack.OptionHTTPClient(o.HTTPClient)}
	if o.APIURL != "" {
		u := o.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	return &Client{api: slack.New(o.Token, opts...), http: o.HTTPClient, retries: o.MaxRetries, sleep: o.Sleep, obs: o.Observer, log: o.Logger}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// call runs f, retrying when Slack rate-limits it. A failure comes back as a
// *slackerr.Error saying what it means (try again, find out first, or stop);
// only rate limits are retried here, with Slack's Retry-After. A wait that
// would outlast ctx's deadline is not started: the call fails at once with
// the wait in the error, so the caller can come back then instead of being
// held until its deadline for nothing.
func (c *Client) call(ctx context.Context, method, channel string, f func() error) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = f()
		if c.obs != nil {
			c.obs.ObserveSlackCall(method, err)
		}
		var rl *slack.RateLimitedError
		if !errors.As(err, &rl) || attempt >= c.retries {
			break
		}
		wait := rl.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
			c.log.Debug("slack rate limit: the wait outlasts the deadline", "method", method, "wait", wait)
			break
		}
		c.log.Debug("slack rate limit: waiting", "method", method, "wait", wait)
		if serr := c.sleep(ctx, wait); serr != nil {
			return serr
		}
	}
	if err != nil {
		return classify(method, channel, err)
	}
	return nil
}

// describe adds Slack's response_metadata messages, the only detail behind
// invalid_blocks and invalid_arguments.
func describe(err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && len(se.ResponseMetadata.Messages) > 0 {
		return fmt.Errorf("%w (%s)", err, strings.Join(se.ResponseMetadata.Messages, "; "))
	}
	return err
}

func msgOptions(m render.Message) []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...), slack.MsgOptionDisableLinkUnfurl()}
}

// Post sends m to channel (in threadTS's thread when set) and returns its
// ts. A tagged message carries its tag in the post's metadata, for
// FindTagged.
func (c *Client) Post(ctx context.Context, channel, threadTS string, m render.Message) (string, error) {
	opts := msgOptions(m)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	if m.Tag != nil {
		opts = append(opts, tagOption(*m.Tag))
	}
	var ts string
	err := c.call(ctx, "chat.postMessage", channel, func() (err error) {
		_, ts, err = c.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// Update replaces the message at ts.
func (c *Client) Update(ctx context.Context, channel, ts string, m render.Message) error {
	return c.call(ctx, "chat.update", channel, func() error {
		_, _, _, err := c.api.UpdateMessageContext(ctx, channel, ts, msgOptions(m)...)
		return err
	})
}

// Ephemeral shows m to user only.
func (c *Client) Ephemeral(ctx context.Context, channel, user string, m render.Message) error {
	return c.call(ctx, "chat.postEphemeral", channel, func() error {
		_, err := c.api.PostEphemeralContext(ctx, channel, user, msgOptions(m)...)
		return err
	})
}

// Respond answers through a response_url: ephemeral unless inChannel;
// replace edits the message the URL belongs to (interactions).
func (c *Client) Respond(ctx context.Context, responseURL string, m render.Message, inChannel, replace bool) error {
	msg := &slack.WebhookMessage{Text: m.Text, Blocks: &slack.Blocks{BlockSet: m.Blocks}, ResponseType: slack.ResponseTypeEphemeral, ReplaceOriginal: replace}
	if inChannel {
		msg.ResponseType = slack.ResponseTypeInChannel
	}
	return c.call(ctx, "response_url", "", func() error {
		err := slack.PostWebhookCustomHTTPContext(ctx, responseURL, c.http, msg)
		// A response_url is a short-lived capability to post: keep it out of
		// errors (and so out of logs).
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("post to response_url: %w", ue.Err)
		}
		return err
	})
}

// OpenView opens a modal with a trigger id; it returns the view id and hash.
func (c *Client) OpenView(ctx context.Context, triggerID string, v slack.ModalViewRequest) (string, string, error) {
	var id, hash string
	err := c.call(ctx, "views.open", "", func() error {
		resp, err := c.api.OpenViewContext(ctx, triggerID, v)
		if err == nil {
			id, hash = resp.ID, resp.Hash
		}
		return err
	})
	return id, hash, err
}

// UpdateView replaces an open modal; hash guards against a concurrent update.
func (c *Client) UpdateView(ctx context.Context, viewID, hash string, v slack.ModalViewRequest) error {
	return c.call(ctx, "views.update", "", func() error {
		_, err := c.api.UpdateViewContext(ctx, v, "", hash, viewID)
		return err
	})
}

// Upload shares a text file in channel (in threadTS's thread when set).
func (c *Client) Upload(ctx context.Context, channel, threadTS, filename, title, content string) error {
	return c.call(ctx, "files.upload", channel, func() error {
		_, err := c.api.UploadFileContext(ctx, slack.UploadFileParameters{
			Channel: channel, ThreadTimestamp: threadTS, Filename: filename, Title: title,
			Content: content, FileSize: len(content),
		})
		return err
	})
}
