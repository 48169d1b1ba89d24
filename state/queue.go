package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// The due-queue is a sorted set item → due time (unix ms), a hash item →
// lease owner, and a hash item → earliest time asked for while it was leased
// (a "poke"). A lease is the item's score moved to the lease's end plus an
// owner record: an expired lease is therefore simply due again, and claiming
// is one ZRANGEBYSCORE … LIMIT — O(log n + claimed), never a scan.

func (s *Store) dueKey() string    { return s.key("due") }
func (s *Store) leasesKey() string { return s.key("leases") }
func (s *Store) pokesKey() string  { return s.key("pokes") }

func (s *Store) queueKeys() []string { return []string{s.dueKey(), s.leasesKey(), s.pokesKey()} }

// Claim is a due item taken with a lease.
type Claim struct {
	Item string
	Due  time.Time // when it became due (for an expired lease: when that lease ended)
}

// KEYS: due, leases, pokes. ARGV: item, at ms, now ms, earlier-only ('1'/'0').
// Leased (live lease: score in the future and an owner): record a poke at the
// earliest time asked. Otherwise add or move the item (earlier-only: never
// later than it already is) and forget any stale lease.
var scheduleScript = redis.NewScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) > tonumber(ARGV[3]) and redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  local p = redis.call('HGET', KEYS[3], ARGV[1])
  if not p or tonumber(ARGV[2]) < tonumber(p) then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
  return 0
end
if ARGV[4] == '1' and s and tonumber(s) <= tonumber(ARGV[2]) then return 1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
if ARGV[4] ~= '1' then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1
`)

// Schedule adds item to the queue, or moves it, to be due at `at`. While the
// item is leased it is not moved: the request is remembered as a poke and
// applied when the lease holder reschedules it.
func (s *Store) Schedule(ctx context.Context, item string, at time.Time) error {
	err := scheduleScript.Run(ctx, s.rdb, s.queueKeys(), item, ms(at), ms(s.now()), "0").Err()
	if err != nil {
		return fmt.Errorf("state: schedule %s: %w", item, err)
	}
	return nil
}

// Poke makes item due now (adding it if absent; an item already due is left
// alone). If it is leased, the poke is remembered and applied at Reschedule or
// Complete, so a wake-up arriving mid-work is never lost.
func (s *Store) Poke(ctx context.Context, item string) error {
	now := ms(s.now())
	if err := scheduleScript.Run(ctx, s.rdb, s.queueKeys(), item, now, now, "1").Err(); err != nil {
		return fmt.Errorf("state: poke %s: %w", item, err)
	}
	return nil
}

func (s *Store) claimKey(token string) string { return s.key("claim", token) }

// KEYS: due, leases, pokes, claim record. ARGV: now ms, max, lease end ms,
// owner, token (empty: none), record ttl ms.
// A token whose record exists was claimed with before: its items still
// leased to owner get their lease renewed and are returned again, and nothing
// more is claimed. Otherwise due items are leased, and recorded under the
// token (item → due) for as long as their lease.
var claimScript = redis.NewScript(`
if ARGV[5] ~= '' then
  local prev = redis.call('HGETALL', KEYS[4])
  if #prev > 0 then
    local out = {}
    for i = 1, #prev, 2 do
      if redis.call('HGET', KEYS[2], prev[i]) == ARGV[4] then
        redis.call('ZADD', KEYS[1], ARGV[3], prev[i])
        out[#out + 1] = prev[i]
        out[#out + 1] = prev[i + 1]
      end
    end
    redis.call('PEXPIRE', KEYS[4], ARGV[6])
    return out
  end
end
local items = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', '0', ARGV[2])
for i = 1, #items, 2 do
  redis.call('ZADD', KEYS[1], ARGV[3], items[i])
  redis.call('HSET', KEYS[2], items[i], ARGV[4])
  redis.call('HDEL', KEYS[3], items[i])
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], items[i], items[i + 1]) end
end
if ARGV[5] ~= '' and #items > 0 then redis.call('PEXPIRE', KEYS[4], ARGV[6]) end
return items
`)

// Claim atomically takes up to max items due at or before now, oldest first,
// each leased to owner until now+lease, in one round trip. Items whose lease
// expired are due again and may be claimed by anyone.
func (s *Store) Claim(ctx context.Context, owner string, max int, lease time.Duration) ([]Claim, error) {
	return s.ClaimToken(ctx, owner, "", max, lease)
}

// ClaimToken is Claim made safe to repeat: a claim whose answer was lost (a
// timeout while Redis was slow or frozen) may still have leased items, which
// would then sit leased to a poller that does not know it until the lease
// ends. Repeating the claim with the same token returns those items again,
// their leases renewed, instead of claiming more; a token whose first claim
// never ran claims afresh. A token is good for one claim: use a new one once
// an answer arrived.
func (s *Store) ClaimToken(ctx context.Context, owner, token string, max int, lease time.Duration) ([]Claim, error) {
	if owner == "" || max <= 0 || lease <= 0 {
		return nil, fmt.Errorf("%w: claim needs an owner, a positive max and a positive lease", ErrInvalid)
	}
	now := s.now()
	keys := append(s.queueKeys(), s.claimKey(token))
	r, err := claimScript.Run(ctx, s.rdb, keys, ms(now), strconv.Itoa(max), ms(now.Add(lease)), owner, token, durMS(lease)).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("state: claim: %w", err)
	}
	out := make([]Claim, 0, len(r)/2)
	for i := 0; i+1 < len(r); i += 2 {
		due, err := fromScore(r[i+1])
		if err != nil {
			return nil, err
		}
		out = append(out, Claim{Item: r[i], Due: due})
	}
	return out, nil
}

// KEYS: due, leases, pokes. ARGV: owner, item, at ms.
var rescheduleScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] or not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
local at = ARGV[3]
local p = redis.call('HGET', KEYS[3], ARGV[2])
if p and tonumber(p) < tonumber(at) then at = p end
redis.call('ZADD', KEYS[1], at, ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
redis.call('HDEL', KEYS[3], ARGV[2])
return 1
`)

// Reschedule moves owner's leased item to `at` and drops the lease — unless
// it was poked meanwhile: then it is due at the poke (now). ErrNotOwner when
// the lease was lost.
func (s *Store) Reschedule(ctx context.Context, owner, item string, at time.Time) error {
	n, err := rescheduleScript.Run(ctx, s.rdb, s.queueKeys(), owner, item, ms(at)).Int()
	if err != nil {
		return fmt.Errorf("state: reschedule %s: %w", item, err)
	}
	if n == 0 {
		return fmt.Errorf("state: reschedule %s: %w", item, ErrNotOwner)
	}
	return nil
}

// KEYS: due, leases, pokes. ARGV: owner, item.
var completeScript = redis.NewScript(`
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[2], ARGV[2])
local p = redis.call('HGET', KEYS[3], ARGV[2])
if p then
  redis.call('ZADD', KEYS[1], p, ARGV[2])
  redis.call('HDEL', KEYS[3], ARGV[2])
  return 2
end
redis.call('ZREM', KEYS[1], ARGV[2])
return 1
`)

// Complete removes owner's leased item from the queue (ErrNotOwner when the
// lease was lost). If it was poked while leased it stays, due at the poke:
// whoever claims it next sees the latest state and completes it again.
func (s *Store) Complete(ctx context.Context, owner, item string) error {
	n, err := completeScript.Run(ctx, s.rdb, s.queueKeys(), owner, item).Int()
	if err != nil {
		return fmt.Errorf("state: complete %s: %w", item, err)
	}
	if n == 0 {
		return fmt.Errorf("state: complete %s: %w", item, ErrNotOwner)
	}
	return nil
}

// KEYS: due, leases, pokes. ARGV: owner, now ms, items... (none: all of owner's).
var releaseItemsScript = redis.NewScript(`
local items = {}
if #ARGV > 2 then
  for i = 3, #ARGV do items[#items + 1] = ARGV[i] end
else
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    if all[i + 1] == ARGV[1] then items[#items + 1] = all[i] end
  end
end
local n = 0
for _, item in ipairs(items) do
  if redis.call('HGET', KEYS[2], item) == ARGV[1] then
    redis.call('ZADD', KEYS[1], ARGV[2], item)
    redis.call('HDEL', KEYS[2], item)
    redis.call('HDEL', KEYS[3], item)
    n = n + 1
  end
end
return n
`)

// Release makes owner's leased items due now, so another replica takes them
// over at once (graceful shutdown). With no items it releases every item owner
// holds (a scan of the leases, which are few). Items not leased by owner are
// left alone.
func (s *Store) Release(ctx context.Context, owner string, items ...string) error {
	args := make([]any, 0, 2+len(items))
	args = append(args, owner, ms(s.now()))
	for _, it := range items {
		args = append(args, it)
	}
	if err := releaseItemsScript.Run(ctx, s.rdb, s.queueKeys(), args...).Err(); err != nil {
		return fmt.Errorf("state: release leases of %s: %w", owner, err)
	}
	return nil
}

// NextDue returns the earliest due time in the queue (for a leased item: when
// its lease ends), so pollers can sleep until then; ok is false when empty.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.dueKey(), 0, 0).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("state: next due: %w", err)
	}
	if len(zs) == 0 {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(int64(zs[0].Score)).UTC(), true, nil
}

// QueueLen is the number of items in the queue, leased or not.
func (s *Store) QueueLen(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.dueKey()).Result()
	if err != nil {
		return 0, fmt.Errorf("state: queue length: %w", err)
	}
	return n, nil
}

// Scheduled tells when item is due (or its lease ends) and who leases it
// ("" when nobody); ok is false when it is not queued. One round trip.
func (s *Store) Scheduled(ctx context.Context, item string) (at time.Time, owner string, ok bool, err error) {
	var sc *redis.FloatCmd
	var oc *redis.StringCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		sc = p.ZScore(ctx, s.dueKey(), item)
		oc = p.HGet(ctx, s.leasesKey(), item)
		return nil
	})
	if err != nil && !isNil(err) {
		return time.Time{}, "", false, fmt.Errorf("state: scheduled %s: %w", item, err)
	}
	if sc.Err() != nil {
		return time.Time{}, "", false, nil
	}
	return time.UnixMilli(int64(sc.Val())).UTC(), oc.Val(), true, nil
}
