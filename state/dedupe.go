package state

import (
	"context"
	"fmt"
	"time"
)

// FirstSeen reports whether key (a Slack delivery or action id) is seen for
// the first time within ttl, so a retry or a double click is processed once.
// The mark uses Redis expiry.
func (s *Store) FirstSeen(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("%w: dedupe ttl must be positive", ErrInvalid)
	}
	ok, err := s.rdb.SetNX(ctx, s.key("dedupe", key), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("state: dedupe %s: %w", key, err)
	}
	return ok, nil
}
