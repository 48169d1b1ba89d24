package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of the Options.
const (
	DefaultAuditMaxLen = 1000
	DefaultRetention   = 30 * 24 * time.Hour
	defaultPrefix      = "atomsbot"
	agentCacheMax      = 4096
)

// Store is the bot's state in Redis. It is safe for concurrent use.
type Store struct {
	rdb         redis.UniversalClient
	base        string // "{prefix}:" — the shared hash tag of every key
	now         func() time.Time
	auditMaxLen int64
	retention   time.Duration

	// agents caches promotion id → agent id (immutable once created) so that
	// Transition can name the agent's lock key in KEYS without an extra read.
	mu     sync.Mutex
	agents map[string]string
}

// Option tunes a Store.
type Option func(*Store)

// WithAuditMaxLen caps each agent's audit stream at about n entries
// (XADD MAXLEN ~ n: Redis trims whole nodes, so a few more may remain).
func WithAuditMaxLen(n int64) Option {
	return func(s *Store) {
		if n > 0 {
			s.auditMaxLen = n
		}
	}
}

// WithRetention sets how long an ended promotion (and its approvals) is kept
// after its terminal transition; 0 keeps them forever.
func WithRetention(d time.Duration) Option {
	return func(s *Store) {
		if d >= 0 {
			s.retention = d
		}
	}
}

// New returns a Store over rdb. Every key is "{prefix}:…"; braces are removed
// from prefix (they would break the hash tag) and an empty prefix means
// "atomsbot". now is the clock (time.Now in production).
func New(rdb redis.UniversalClient, prefix string, now func() time.Time, opts ...Option) *Store {
	prefix = strings.NewReplacer("{", "", "}", "").Replace(prefix)
	if prefix == "" {
		prefix = defaultPrefix
	}
	if now == nil {
		now = time.Now
	}
	s := &Store{
		rdb:         rdb,
		base:        "{" + prefix + "}:",
		now:         now,
		auditMaxLen: DefaultAuditMaxLen,
		retention:   DefaultRetention,
		agents:      make(map[string]string),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Ping checks that Redis answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("state: ping: %w", err)
	}
	return nil
}

// key builds "{prefix}:<kind>:<id>" (or "{prefix}:<kind>" without id).
func (s *Store) key(kind string, id ...string) string {
	if len(id) == 0 {
		return s.base + kind
	}
	return s.base + kind + ":" + id[0]
}

func (s *Store) rememberAgent(id, agentID string) {
	if id == "" || agentID == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.agents) >= agentCacheMax {
		// Cheap bound: the mapping is re-read on demand, so forgetting is safe.
		clear(s.agents)
	}
	s.agents[id] = agentID
}

func (s *Store) cachedAgent(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.agents[id]
	return a, ok
}

// ms encodes a time as unix milliseconds; the zero time is "0".
func ms(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// fromMS decodes ms; "", "0" and garbage are the zero time.
func fromMS(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n == 0 {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// fromScore decodes a sorted-set score (a float rendered by Redis) as unix ms.
func fromScore(v string) (time.Time, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("state: bad score %q: %w", v, err)
	}
	return time.UnixMilli(int64(f)).UTC(), nil
}

func durMS(d time.Duration) string {
	n := d.Milliseconds()
	if n < 1 && d > 0 {
		n = 1
	}
	return strconv.FormatInt(n, 10)
}

// reply is a script's answer: a status word followed by values.
type reply []any

func toReply(v any, err error) (reply, error) {
	if err != nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, fmt.Errorf("state: unexpected script reply %T", v)
	}
	return reply(arr), nil
}

func (r reply) status() string { return r.str(0) }

func (r reply) str(i int) string {
	if i >= len(r) {
		return ""
	}
	switch v := r[i].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case []byte:
		return string(v)
	}
	return ""
}

func (r reply) int(i int) int64 {
	if i >= len(r) {
		return 0
	}
	switch v := r[i].(type) {
	case int64:
		return v
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}

// hash decodes element i, a flat HGETALL array, into a map.
func (r reply) hash(i int) map[string]string {
	m := map[string]string{}
	if i >= len(r) {
		return m
	}
	arr, _ := r[i].([]any)
	for j := 0; j+1 < len(arr); j += 2 {
		k, _ := arr[j].(string)
		v, _ := arr[j+1].(string)
		m[k] = v
	}
	return m
}
