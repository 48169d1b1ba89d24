package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Slack user's phone number for test calls is personal data: it is kept
// only here, under the user's id, until the user deletes it.
func (s *Store) phoneKey(user string) string     { return s.key("phone", user) }
func (s *Store) testCallsKey(user string) string { return s.key("testcalls", user) }

// SetPhone remembers user's phone number (no expiry: the user removes it).
func (s *Store) SetPhone(ctx context.Context, user, phone string) error {
	if user == "" || phone == "" {
		return fmt.Errorf("%w: a phone needs a user and a number", ErrInvalid)
	}
	if err := s.rdb.Set(ctx, s.phoneKey(user), phone, 0).Err(); err != nil {
		return fmt.Errorf("state: set phone of %s: %w", user, err)
	}
	return nil
}

// Phone is user's remembered number, "" when there is none.
func (s *Store) Phone(ctx context.Context, user string) (string, error) {
	v, err := s.rdb.Get(ctx, s.phoneKey(user)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state: phone of %s: %w", user, err)
	}
	return v, nil
}

// ForgetPhone deletes user's number; removed is false when there was none.
func (s *Store) ForgetPhone(ctx context.Context, user string) (bool, error) {
	n, err := s.rdb.Del(ctx, s.phoneKey(user)).Result()
	if err != nil {
		return false, fmt.Errorf("state: forget phone of %s: %w", user, err)
	}
	return n == 1, nil
}

// KEYS: the user's test calls (a sorted set of call ids by time).
// ARGV: now ms, window ms, limit, call id.
// Returns {1, 0} when the call may go, {0, ms until the oldest call in the
// window leaves it} when the limit is reached.
var takeTestCallScript = redis.NewScript(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, 0}
`)

// TakeTestCall counts a test call of user against limit calls per window, in
// one atomic step (replicas share the count), and returns the slot it took.
// When the limit is reached it counts nothing and says when the next call
// may go.
func (s *Store) TakeTestCall(ctx context.Context, user string, limit int, window time.Duration) (slot string, next time.Time, err error) {
	if user == "" || limit < 1 || window <= 0 {
		return "", time.Time{}, fmt.Errorf("%w: a test-call limit needs a user, a limit and a window", ErrInvalid)
	}
	now := s.now()
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	slot = hex.EncodeToString(id)
	r, err := takeTestCallScript.Run(ctx, s.rdb, []string{s.testCallsKey(user)}, ms(now), durMS(window), limit, slot).Int64Slice()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("state: test-call limit of %s: %w", user, err)
	}
	if len(r) != 2 {
		return "", time.Time{}, fmt.Errorf("state: test-call limit of %s: unexpected reply %v", user, r)
	}
	if r[0] == 1 {
		return slot, time.Time{}, nil
	}
	return "", now.Add(time.Duration(r[1]) * time.Millisecond), nil
}

// ReturnTestCall gives back a slot TakeTestCall took for a call that was
// not placed.
func (s *Store) ReturnTestCall(ctx context.Context, user, slot string) error {
	if err := s.rdb.ZRem(ctx, s.testCallsKey(user), slot).Err(); err != nil {
		return fmt.Errorf("state: test-call limit of %s: %w", user, err)
	}
	return nil
}

// CallIntent is a test call waiting for its user's phone number (the modal
// that asks for it carries only the intent's id).
type CallIntent struct {
	ID          string `json:"id"`
	User        string `json:"user"`
	Channel     string `json:"channel"`
	AgentID     string `json:"agentId"`
	PromotionID string `json:"promotionId,omitempty"`
	DraftID     string `json:"draftId,omitempty"`
	VersionID   string `json:"versionId,omitempty"`
	Target      string `json:"target,omitempty"` // the target in words, for the modal
	CallAfter   bool   `json:"callAfter"`        // place the call once the number is saved
}

// NewCallIntentID is a fresh random intent id.
func NewCallIntentID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "ci_" + hex.EncodeToString(b)
}

func (s *Store) callIntentKey(id string) string { return s.key("callintent", id) }

// PutCallIntent keeps ci for ttl.
func (s *Store) PutCallIntent(ctx context.Context, ci CallIntent, ttl time.Duration) error {
	if ci.ID == "" || ttl <= 0 {
		return fmt.Errorf("%w: a call intent needs an id and a positive ttl", ErrInvalid)
	}
	b, err := json.Marshal(ci)
	if err != nil {
		return fmt.Errorf("state: call intent %s: %w", ci.ID, err)
	}
	if err := s.rdb.Set(ctx, s.callIntentKey(ci.ID), b, ttl).Err(); err != nil {
		return fmt.Errorf("state: call intent %s: %w", ci.ID, err)
	}
	return nil
}

// CallIntent reads an intent; ErrNotFound when unknown or expired.
func (s *Store) CallIntent(ctx context.Context, id string) (CallIntent, error) {
	b, err := s.rdb.Get(ctx, s.callIntentKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return CallIntent{}, fmt.Errorf("state: call intent %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return CallIntent{}, fmt.Errorf("state: call intent %s: %w", id, err)
	}
	var ci CallIntent
	if err := json.Unmarshal(b, &ci); err != nil {
		return CallIntent{}, fmt.Errorf("state: call intent %s: %w", id, err)
	}
	return ci, nil
}
