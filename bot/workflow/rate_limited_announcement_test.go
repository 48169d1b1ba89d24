package workflow

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state/statetest"
)

// rateLimitedAnnounce is Slack rate-limiting the next "is live"
// announcements with a Retry-After the call could not wait out, reported as
// slackweb reports it.
type rateLimitedAnnounce struct {
	*fakeSlack
	retryAfter time.Duration
	left       atomic.Int32
}

func (s *rateLimitedAnnounce) Post(ctx context.Context, channel, threadTS string, m render.Message) (string, error) {
	if m.Tag != nil && m.Tag.Event == render.TagLive && s.left.Add(-1) >= 0 {
		return "", &slackerr.Error{Method: "chat.postMessage", Code: "ratelimited", Channel: channel, Kind: slackerr.Temporary, Err: errors.New("slack rate limit exceeded"), RetryAfter: s.retryAfter}
	}
	return s.fakeSlack.Post(ctx, channel, threadTS, m)
}

// TestRateLimitedAnnouncement: a step Slack rate-limited is due again when
// Slack said it takes calls again — not at the usual retry, whether that
// comes sooner or later — and the announcement goes out then.
func TestRateLimitedAnnouncement(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter time.Duration
	}{
		{"Retry-After longer than the usual retry", 30 * time.Second},
		{"Retry-After shorter than the usual retry", 2 * time.Second},
	}
	statetest.Each(t, func(t *testing.T, b statetest.Backend) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := newRig(t, b)
				sl := &rateLimitedAnnounce{fakeSlack: r.slack, retryAfter: tt.retryAfter}
				sl.left.Store(1)
				r.eng = New(r.plat, r.store, sl, r.cfg)
				p := r.live(r.published())
				if p.Announced || len(r.slack.of(kindAnnounce)) != 0 {
					t.Fatalf("announced %v with %d announcements while Slack rate-limits them", p.Announced, len(r.slack.of(kindAnnounce)))
				}
				if got, want := r.due(p), r.clk.Now().Add(tt.retryAfter); !got.Equal(want) {
					t.Errorf("announcement due again %s, want %s (now + Retry-After)", got, want)
				}
				r.advance(tt.retryAfter)
				if np := r.get(p.ID); !np.Announced {
					t.Error("announcement not recorded after the wait")
				}
				r.wantAnnounced(1, "Support Bot v2")
			})
		}
	})
}
