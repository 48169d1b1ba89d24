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

// Forget drops the mark of key, so the same delivery counts as new again (a
// form submission that was refused in the form can be submitted again with
// the same view hash).
func (s *Store) Forget(ctx context.Context, key string) error {
	if err := s.rdb.Del(ctx, s.key("dedupe", key)).Err(); err != nil {
		return fmt.Errorf("state: forget %s: %w", key, err)
	}
	return nil
}
