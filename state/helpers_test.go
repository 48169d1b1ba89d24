package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/state/statetest"
	"github.com/redis/go-redis/v9"
)

// testEnv is one backend (miniredis, the real Redis at REDIS_URL or the
// Redis Cluster at REDIS_CLUSTER_ADDRS) with an isolated key prefix, a
// controllable clock and a command counter.
type testEnv struct {
	store  *Store
	rdb    redis.UniversalClient
	mr     *miniredis.Miniredis // nil for a real Redis
	clock  *atomsim.Clock       // tests move it explicitly
	prefix string
	cmds   *counter
}

var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// counter counts round trips: each command or pipeline sent is one, except
// the handshake go-redis sends on a fresh connection (HELLO, CLIENT SETINFO),
// which is per connection, not per operation.
type counter struct{ n atomic.Int64 }

func handshake(cmds ...redis.Cmder) bool {
	for _, c := range cmds {
		switch c.Name() {
		case "hello", "client", "auth", "select", "cluster": // cluster: a cluster client learning the slots
		default:
			return false
		}
	}
	return true
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			c.n.Add(1)
		}
		return next(ctx, cmd)
	}
}
func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if !handshake(cmds...) {
			c.n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// roundTrips runs fn and returns how many round trips it made.
func (c *counter) roundTrips(fn func()) int64 {
	before := c.n.Load()
	fn()
	return c.n.Load() - before
}

type backend struct {
	name    string
	url     string   // "" for miniredis
	cluster []string // a Redis Cluster's nodes
}

func backends() []backend {
	out := []backend{{name: "miniredis"}}
	if u := os.Getenv("REDIS_URL"); u != "" {
		out = append(out, backend{name: "redis", url: u})
	}
	if addrs := statetest.ClusterAddrs(); addrs != nil {
		out = append(out, backend{name: "cluster", cluster: addrs})
	}
	return out
}

// eachBackend runs fn as a subtest against miniredis and, when REDIS_URL or
// REDIS_CLUSTER_ADDRS is set, against that Redis or Redis Cluster.
func eachBackend(t *testing.T, fn func(t *testing.T, e *testEnv)) {
	t.Helper()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnv(t, b)) })
	}
}

func newEnv(tb testing.TB, b backend, opts ...Option) *testEnv {
	tb.Helper()
	e := &testEnv{clock: atomsim.NewClock(epoch), prefix: "atomsbot-test-" + randHex(tb), cmds: &counter{}}
	switch {
	case b.cluster != nil:
		e.rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: b.cluster})
	case b.url == "":
		e.mr = miniredis.RunT(tb)
		e.rdb = redis.NewClient(&redis.Options{Addr: e.mr.Addr()})
	default:
		o, err := redis.ParseURL(b.url)
		if err != nil {
			tb.Fatalf("REDIS_URL: %v", err)
		}
		e.rdb = redis.NewClient(o)
	}
	// Cleanups run last-in first-out: the keys go before the client closes.
	tb.Cleanup(func() { _ = e.rdb.Close() })
	if e.mr == nil {
		tb.Cleanup(func() { statetest.DeletePrefix(tb, e.rdb, e.prefix) })
	}
	e.rdb.AddHook(e.cmds)
	e.store = New(e.rdb, e.prefix, e.clock.Now, opts...)
	if err := e.store.Ping(context.Background()); err != nil {
		tb.Fatalf("ping %s: %v", b.name, err)
	}
	return e
}

// sibling is a second Store on the same Redis and prefix (another replica)
// with its own connection pool and an empty cache.
func (e *testEnv) sibling(tb testing.TB) *Store {
	tb.Helper()
	var rdb redis.UniversalClient
	switch c := e.rdb.(type) {
	case *redis.ClusterClient:
		rdb = redis.NewClusterClient(c.Options())
	case *redis.Client:
		rdb = redis.NewClient(c.Options())
	}
	tb.Cleanup(func() { _ = rdb.Close() })
	return New(rdb, e.prefix, e.clock.Now)
}

func randHex(tb testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// expires checks that each key carries a Redis expiry of at most ttl and, on
// miniredis, lets it pass (FastForward) and checks the keys are gone. A real
// Redis is never waited for: the expiry it was given is what is checked.
func (e *testEnv) expires(t *testing.T, ttl time.Duration, keys ...string) {
	t.Helper()
	for _, key := range keys {
		got, err := e.rdb.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatalf("pttl %s: %v", key, err)
		}
		if got <= 0 || got > ttl {
			t.Fatalf("pttl %s = %v, want in (0, %v]", key, got, ttl)
		}
	}
	if e.mr == nil {
		return
	}
	e.mr.FastForward(ttl)
	for _, key := range keys {
		if n := e.rdb.Exists(ctx, key).Val(); n != 0 {
			t.Fatalf("%s still exists after its ttl", key)
		}
	}
}

func ptr[T any](v T) *T { return &v }

var ctx = context.Background()

// run starts n goroutines running fn(i) together and waits for them.
func run(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

type atomicCount struct{ n atomic.Int64 }

func (c *atomicCount) inc()       { c.n.Add(1) }
func (c *atomicCount) get() int64 { return c.n.Load() }
