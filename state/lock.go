package state

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

func (s *Store) lockKey(name string) string { return s.key("lock", name) }

// KEYS: lock. ARGV: owner, ttl ms.
var acquireScript = redis.NewScript(`
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1, ARGV[1]}
end
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, v}
end
return {0, v}
`)

// KEYS: lock. ARGV: owner.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// KEYS: lock. ARGV: owner, ttl ms.
var refreshScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

// AcquireLock takes lock name for owner until ttl passes (Redis expiry). It is
// re-entrant: the current owner acquiring again refreshes the TTL. When the
// lock is held by someone else it returns ok=false and the holder.
func (s *Store) AcquireLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, string, error) {
	if owner == "" || ttl <= 0 {
		return false, "", fmt.Errorf("%w: lock needs an owner and a positive ttl", ErrInvalid)
	}
	r, err := acquireScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner, durMS(ttl)).Slice()
	if err != nil {
		return false, "", fmt.Errorf("state: acquire lock %s: %w", name, err)
	}
	rep := reply(r)
	return rep.int(0) == 1, rep.str(1), nil
}

// ReleaseLock frees the lock if owner holds it; it reports whether it did.
func (s *Store) ReleaseLock(ctx context.Context, name, owner string) (bool, error) {
	n, err := releaseScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner).Int()
	if err != nil {
		return false, fmt.Errorf("state: release lock %s: %w", name, err)
	}
	return n == 1, nil
}

// RefreshLock extends the lock to ttl from now if owner holds it.
func (s *Store) RefreshLock(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("%w: lock ttl must be positive", ErrInvalid)
	}
	n, err := refreshScript.Run(ctx, s.rdb, []string{s.lockKey(name)}, owner, durMS(ttl)).Int()
	if err != nil {
		return false, fmt.Errorf("state: refresh lock %s: %w", name, err)
	}
	return n == 1, nil
}

// LockHolder returns the lock's owner, "" when it is free.
func (s *Store) LockHolder(ctx context.Context, name string) (string, error) {
	v, err := s.rdb.Get(ctx, s.lockKey(name)).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state: lock %s: %w", name, err)
	}
	return v, nil
}
