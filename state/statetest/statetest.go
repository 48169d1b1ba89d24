// Package statetest gives tests the Redis servers atomsbot is tested
// against: an in-process miniredis always, and the real Redis at REDIS_URL
// when it is set (CI sets it). Every test gets its own key prefix, whose
// keys are deleted when the test ends, so tests can share a real Redis.
// ClusterAddrs names the Redis Cluster that the state package's own tests
// also run against.
package statetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Backend is one Redis a test runs against.
type Backend struct {
	Name string               // "miniredis" or "redis"
	URL  string               // redis://…
	Mini *miniredis.Miniredis // nil for the real Redis
}

// ClusterAddrs are the nodes of a Redis Cluster (REDIS_CLUSTER_ADDRS,
// comma-separated host:port; CI starts one); nil when unset.
func ClusterAddrs() []string {
	v := strings.TrimSpace(os.Getenv("REDIS_CLUSTER_ADDRS"))
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// Each runs f as a subtest against miniredis and, when REDIS_URL is set,
// against that Redis.
func Each(t *testing.T, f func(t *testing.T, b Backend)) {
	t.Helper()
	real := os.Getenv("REDIS_URL") // read before a subtest may override it
	t.Run("miniredis", func(t *testing.T) {
		mr := miniredis.RunT(t)
		f(t, Backend{Name: "miniredis", URL: "redis://" + mr.Addr(), Mini: mr})
	})
	if real != "" {
		t.Run("redis", func(t *testing.T) { f(t, Backend{Name: "redis", URL: real}) })
	}
}

// Bench is the backend of a benchmark: the real Redis at REDIS_URL when set
// (figures worth quoting), else miniredis, whose sorted sets scan linearly.
func Bench(b *testing.B) Backend {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return Backend{Name: "redis", URL: u}
	}
	mr := miniredis.RunT(b)
	return Backend{Name: "miniredis", URL: "redis://" + mr.Addr(), Mini: mr}
}

// Client connects to b; the connection closes when the test ends.
func (b Backend) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseURL(b.URL)
	if err != nil {
		tb.Fatalf("redis url: %v", err)
	}
	rdb := redis.NewClient(opt)
	tb.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Prefix returns a fresh key prefix ("atomsbot-test-…"); the keys under it
// are deleted when the test ends.
func (b Backend) Prefix(tb testing.TB) string {
	tb.Helper()
	p := make([]byte, 8)
	if _, err := rand.Read(p); err != nil {
		tb.Fatal(err)
	}
	prefix := "atomsbot-test-" + hex.EncodeToString(p)
	if b.Mini == nil {
		tb.Cleanup(func() { DeletePrefix(tb, b.Client(tb), prefix) })
	}
	return prefix
}

// DeletePrefix removes every key of a state.Store with that prefix. On a
// cluster they all live on the node serving the prefix's hash tag.
func DeletePrefix(tb testing.TB, rdb redis.UniversalClient, prefix string) {
	ctx := context.Background()
	if c, ok := rdb.(*redis.ClusterClient); ok {
		node, err := c.MasterForKey(ctx, "{"+prefix+"}")
		if err != nil {
			tb.Errorf("cleanup: node of %s: %v", prefix, err)
			return
		}
		rdb = node
	}
	iter := rdb.Scan(ctx, 0, "{"+prefix+"}:*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Errorf("cleanup scan: %v", err)
		return
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := rdb.Del(ctx, keys[:n]...).Err(); err != nil {
			tb.Errorf("cleanup del: %v", err)
			return
		}
		keys = keys[n:]
	}
}
