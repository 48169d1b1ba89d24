package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// PutBlob keeps an opaque value (e.g. a rendered diff) under key for ttl, so
// work that is costly to redo is done once per promotion, not per update.
func (s *Store) PutBlob(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("%w: blob ttl must be positive", ErrInvalid)
	}
	if err := s.rdb.Set(ctx, s.key("blob", key), val, ttl).Err(); err != nil {
		return fmt.Errorf("state: put blob %s: %w", key, err)
	}
	return nil
}

// Blob returns the value kept under key, or ErrNotFound.
func (s *Store) Blob(ctx context.Context, key string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.key("blob", key)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("state: blob %s: %w", key, err)
	}
	return b, nil
}
