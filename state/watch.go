package state

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// Watch subscribes a channel to an agent's active-version changes.
type Watch struct {
	AgentID   string    `json:"agentId"`
	AgentName string    `json:"agentName,omitempty"`
	Channel   string    `json:"channel"`
	By        string    `json:"by,omitempty"` // Slack user who asked
	Since     time.Time `json:"since"`
}

func (s *Store) watchersKey(agentID string) string { return s.key("watchers", agentID) }
func (s *Store) watchedKey() string                { return s.key("watched") }
func (s *Store) seenKey(agentID string) string     { return s.key("seen", agentID) }

// KEYS: watchers of the agent, watched agents. ARGV: channel, record, agent id.
var watchScript = redis.NewScript(`
local added = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return added
`)

// KEYS: watchers of the agent, watched agents. ARGV: channel, agent id.
var unwatchScript = redis.NewScript(`
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return removed
`)

// Watch subscribes w.Channel to w.AgentID; added is false when it already was
// (the existing subscription is kept). Since defaults to now.
func (s *Store) Watch(ctx context.Context, w Watch) (bool, error) {
	if w.AgentID == "" || w.Channel == "" {
		return false, fmt.Errorf("%w: watch needs an agent id and a channel", ErrInvalid)
	}
	if w.Since.IsZero() {
		w.Since = s.now()
	}
	b, err := json.Marshal(w)
	if err != nil {
		return false, fmt.Errorf("state: watch %s: %w", w.AgentID, err)
	}
	keys := []string{s.watchersKey(w.AgentID), s.watchedKey()}
	n, err := watchScript.Run(ctx, s.rdb, keys, w.Channel, string(b), w.AgentID).Int()
	if err != nil {
		return false, fmt.Errorf("state: watch %s: %w", w.AgentID, err)
	}
	return n == 1, nil
}

// Unwatch removes channel's subscription to agentID; removed is false when
// there was none. The agent leaves WatchedAgents with its last watcher.
func (s *Store) Unwatch(ctx context.Context, agentID, channel string) (bool, error) {
	keys := []string{s.watchersKey(agentID), s.watchedKey()}
	n, err := unwatchScript.Run(ctx, s.rdb, keys, channel, agentID).Int()
	if err != nil {
		return false, fmt.Errorf("state: unwatch %s: %w", agentID, err)
	}
	return n == 1, nil
}

// Watchers lists the channels watching agentID, oldest subscription first.
func (s *Store) Watchers(ctx context.Context, agentID string) ([]Watch, error) {
	m, err := s.rdb.HGetAll(ctx, s.watchersKey(agentID)).Result()
	if err != nil {
		return nil, fmt.Errorf("state: watchers of %s: %w", agentID, err)
	}
	out := make([]Watch, 0, len(m))
	for ch, v := range m {
		var w Watch
		if err := json.Unmarshal([]byte(v), &w); err != nil {
			return nil, fmt.Errorf("state: watchers of %s: %w", agentID, err)
		}
		w.AgentID, w.Channel = agentID, ch
		out = append(out, w)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Since.Equal(out[j].Since) {
			return out[i].Since.Before(out[j].Since)
		}
		return out[i].Channel < out[j].Channel
	})
	return out, nil
}

// WatchedAgents lists the agents with at least one watcher, sorted.
func (s *Store) WatchedAgents(ctx context.Context) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.watchedKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("state: watched agents: %w", err)
	}
	sort.Strings(ids)
	return ids, nil
}

// SeenVersion is the last active version recorded for agentID ("" if none).
func (s *Store) SeenVersion(ctx context.Context, agentID string) (string, error) {
	v, err := s.rdb.Get(ctx, s.seenKey(agentID)).Result()
	if isNil(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("state: seen version of %s: %w", agentID, err)
	}
	return v, nil
}

// KEYS: seen. ARGV: old (empty: unset), new.
var seenScript = redis.NewScript(`
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

// SetSeenVersion records new as agentID's active version only if the recorded
// one is still old ("" meaning none): of several replicas noticing the same
// change, exactly one wins — the one that announces it.
func (s *Store) SetSeenVersion(ctx context.Context, agentID, old, new string) (bool, error) {
	n, err := seenScript.Run(ctx, s.rdb, []string{s.seenKey(agentID)}, old, new).Int()
	if err != nil {
		return false, fmt.Errorf("state: set seen version of %s: %w", agentID, err)
	}
	return n == 1, nil
}
