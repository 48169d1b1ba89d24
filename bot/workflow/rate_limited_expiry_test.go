package workflow

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// rateLimitedRequests is Slack rate-limiting every approval request with a
// Retry-After the call could not wait out, reported as slackweb reports it.
type rateLimitedRequests struct {
	*fakeSlack
	retryAfter time.Duration
}

func (s *rateLimitedRequests) Post(ctx context.Context, channel, threadTS string, m render.Message) (string, error) {
	if m.Tag != nil && m.Tag.Event == render.TagRequest {
		return "", &slackerr.Error{Method: "chat.postMessage", Code: "ratelimited", Channel: channel, Kind: slackerr.Temporary, Err: errors.New("slack rate limit exceeded"), RetryAfter: s.retryAfter}
	}
	return s.fakeSlack.Post(ctx, channel, threadTS, m)
}

// TestRateLimitNeverDelaysExpiry: a promotion whose approval request Slack
// rate-limits for longer than the promotion has left is due at its expiry,
// not after the wait, and expires on time.
func TestRateLimitNeverDelaysExpiry(t *testing.T) {
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		const ttl = 10 * time.Second
		r := newRig(t, b, func(c *Config) { c.Policy.TTL = ttl })
		r.eng = New(r.plat, r.store, &rateLimitedRequests{fakeSlack: r.slack, retryAfter: time.Minute}, r.cfg)
		p := r.promote()
		if got, want := r.due(p), p.CreatedAt.Add(ttl); !got.Equal(want) {
			t.Errorf("due %s, want at the expiry %s (not after Slack's minute)", got.Format(time.TimeOnly), want.Format(time.TimeOnly))
		}
		r.advance(ttl)
		r.wantState(p.ID, state.Expired)
	})
}
