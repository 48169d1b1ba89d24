package state

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// PromotionItem is the due-queue item of a promotion.
func PromotionItem(id string) string { return "p:" + id }

// AgentLock is the name of an agent's promotion lock (at most one promotion in
// flight per agent); its holder is the promotion id.
func AgentLock(agentID string) string { return "agent:" + agentID }

func (s *Store) promotionKey(id string) string { return s.key("promotion", id) }
func (s *Store) approvalsKey(id string) string { return s.key("approvals", id) }

// KEYS: promotion, agent lock, due zset, leases hash, pokes hash.
// ARGV: id, lock ttl ms, item, lease owner, item score, field/value pairs...
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return {'DUP'} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'LOCKED', holder} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[3], ARGV[4])
else
  redis.call('HDEL', KEYS[4], ARGV[3])
end
redis.call('HDEL', KEYS[5], ARGV[3])
return {'OK', redis.call('HGETALL', KEYS[1])}
`)

// CreatePromotion atomically, in one round trip: takes the agent's promotion
// lock for p.ID with lockTTL (refused: *LockedError), writes the promotion and
// enqueues its due item (PromotionItem) already leased to leaseOwner until
// now+lease, so that the creator alone works on it first. With an empty
// leaseOwner the item is simply due now.
//
// p.State must be Requested, or Published for a rollback with VersionID set.
// CreatedAt defaults to now; UpdatedAt is now. A duplicate id is ErrDuplicate.
func (s *Store) CreatePromotion(ctx context.Context, p Promotion, lockTTL time.Duration, leaseOwner string, lease time.Duration) (Promotion, error) {
	if p.Kind == "" {
		p.Kind = KindPromote
	}
	if err := validateNew(p, lockTTL); err != nil {
		return Promotion{}, err
	}
	now := s.now()
	if p.CreatedAt.IsZero() {
		p.CreatedAt = now
	}
	p.UpdatedAt = now
	due := now
	if leaseOwner != "" {
		due = now.Add(lease)
	}
	item := PromotionItem(p.ID)
	keys := []string{s.promotionKey(p.ID), s.lockKey(AgentLock(p.AgentID)), s.dueKey(), s.leasesKey(), s.pokesKey()}
	args := append([]any{p.ID, durMS(lockTTL), item, leaseOwner, ms(due)}, p.fields()...)
	r, err := toReply(createScript.Run(ctx, s.rdb, keys, args...).Result())
	if err != nil {
		return Promotion{}, fmt.Errorf("state: create promotion %s: %w", p.ID, err)
	}
	switch r.status() {
	case "OK":
		s.rememberAgent(p.ID, p.AgentID)
		return promotionFrom(r.hash(1)), nil
	case "DUP":
		return Promotion{}, fmt.Errorf("state: create promotion %s: %w", p.ID, ErrDuplicate)
	case "LOCKED":
		return Promotion{}, &LockedError{AgentID: p.AgentID, HolderID: r.str(1)}
	}
	return Promotion{}, fmt.Errorf("state: create promotion %s: unexpected reply %q", p.ID, r.status())
}

func validateNew(p Promotion, lockTTL time.Duration) error {
	switch {
	case p.ID == "" || p.AgentID == "":
		return fmt.Errorf("%w: promotion needs an id and an agent id", ErrInvalid)
	case p.Kind != KindPromote && p.Kind != KindRollback:
		return fmt.Errorf("%w: unknown promotion kind %q", ErrInvalid, p.Kind)
	case lockTTL <= 0:
		return fmt.Errorf("%w: lock ttl must be positive", ErrInvalid)
	case p.State == Requested:
		return nil
	case p.State == Published && p.Kind == KindRollback && p.VersionID != "":
		return nil
	}
	return fmt.Errorf("%w: a new promotion is requested (or a published rollback with a version id), not %q", ErrInvalid, p.State)
}

// Promotion reads a promotion; ErrNotFound when there is none.
func (s *Store) Promotion(ctx context.Context, id string) (Promotion, error) {
	m, err := s.rdb.HGetAll(ctx, s.promotionKey(id)).Result()
	if err != nil {
		return Promotion{}, fmt.Errorf("state: promotion %s: %w", id, err)
	}
	if len(m) == 0 {
		return Promotion{}, fmt.Errorf("state: promotion %s: %w", id, ErrNotFound)
	}
	p := promotionFrom(m)
	s.rememberAgent(p.ID, p.AgentID)
	return p, nil
}

// PromotionWithApprovals reads a promotion and its approvals in one round
// trip (MULTI/EXEC, so both are from the same instant).
func (s *Store) PromotionWithApprovals(ctx context.Context, id string) (Promotion, []Approval, error) {
	var pc, ac *redis.MapStringStringCmd
	_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pc = pipe.HGetAll(ctx, s.promotionKey(id))
		ac = pipe.HGetAll(ctx, s.approvalsKey(id))
		return nil
	})
	if err != nil {
		return Promotion{}, nil, fmt.Errorf("state: promotion %s: %w", id, err)
	}
	if len(pc.Val()) == 0 {
		return Promotion{}, nil, fmt.Errorf("state: promotion %s: %w", id, ErrNotFound)
	}
	p := promotionFrom(pc.Val())
	s.rememberAgent(p.ID, p.AgentID)
	return p, approvalsFrom(ac.Val()), nil
}

// KEYS: promotion, approvals, agent lock.
// ARGV: id, from, release lock ('1'/'0'), agent id, retention ms ('0': none), field/value pairs...
var casScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'NOTFOUND'} end
if st ~= ARGV[2] then return {'CONFLICT', st} end
if ARGV[3] == '1' then
  local agent = redis.call('HGET', KEYS[1], 'agentId') or ''
  if agent ~= ARGV[4] then return {'AGENT', agent} end
  if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
if ARGV[5] ~= '0' then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return {'OK', redis.call('HGETALL', KEYS[1])}
`)

// Transition moves promotion id from → to in one round trip, only if it is
// still in `from` (else *StateConflictError). An illegal edge is
// ErrIllegalTransition without touching Redis. It applies patch, sets
// UpdatedAt (and EndedAt, unless patched, when `to` is terminal) and, when `to`
// is terminal or Live, releases the agent lock iff this promotion holds it and
// starts the retention period. It returns the promotion as stored afterwards.
func (s *Store) Transition(ctx context.Context, id string, from, to PromotionState, patch Patch) (Promotion, error) {
	if !CanTransition(from, to) {
		return Promotion{}, fmt.Errorf("state: promotion %s %s → %s: %w", id, from, to, ErrIllegalTransition)
	}
	now := s.now()
	pairs := []any{fState, string(to), fUpdatedAt, ms(now)}
	if to.Terminal() && patch.EndedAt == nil {
		pairs = append(pairs, fEndedAt, ms(now))
	}
	pairs = append(pairs, patch.fields()...)
	return s.cas(ctx, id, from, to.Done(), pairs)
}

// Update applies patch (and UpdatedAt) only if the promotion is still in
// state `in`: the same compare-and-set as Transition, without a state change.
func (s *Store) Update(ctx context.Context, id string, in PromotionState, patch Patch) (Promotion, error) {
	pairs := append([]any{fUpdatedAt, ms(s.now())}, patch.fields()...)
	return s.cas(ctx, id, in, false, pairs)
}

func (s *Store) cas(ctx context.Context, id string, from PromotionState, done bool, pairs []any) (Promotion, error) {
	keys := []string{s.promotionKey(id), s.approvalsKey(id), ""}
	release, retention := "0", "0"
	if done {
		release = "1"
		if s.retention > 0 {
			retention = durMS(s.retention)
		}
	}
	agent, _ := s.cachedAgent(id)
	// The lock key must be declared in KEYS, so the agent id is needed up
	// front. It is cached; on a miss the script answers with the real one and
	// we retry once (only for Done transitions, the only ones touching the lock).
	for attempt := 0; attempt < 2; attempt++ {
		keys[2] = s.lockKey(AgentLock(agent))
		args := append([]any{id, string(from), release, agent, retention}, pairs...)
		r, err := toReply(casScript.Run(ctx, s.rdb, keys, args...).Result())
		if err != nil {
			return Promotion{}, fmt.Errorf("state: promotion %s: %w", id, err)
		}
		switch r.status() {
		case "OK":
			p := promotionFrom(r.hash(1))
			s.rememberAgent(p.ID, p.AgentID)
			return p, nil
		case "NOTFOUND":
			return Promotion{}, fmt.Errorf("state: promotion %s: %w", id, ErrNotFound)
		case "CONFLICT":
			return Promotion{}, &StateConflictError{ID: id, Want: from, Got: PromotionState(r.str(1))}
		case "AGENT":
			agent = r.str(1)
			s.rememberAgent(id, agent)
			continue
		default:
			return Promotion{}, fmt.Errorf("state: promotion %s: unexpected reply %q", id, r.status())
		}
	}
	return Promotion{}, fmt.Errorf("state: promotion %s: agent id changed under us", id)
}

// isNil reports a missing key (go-redis's redis.Nil).
func isNil(err error) bool { return errors.Is(err, redis.Nil) }
