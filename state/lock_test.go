package state

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestLocks(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		const name = "agent:a1"
		type step struct {
			op         string // acquire, release, refresh
			owner      string
			ttl        time.Duration
			wantOK     bool
			wantHolder string // LockHolder afterwards
		}
		steps := []step{
			{"acquire", "A", time.Minute, true, "A"},
			{"acquire", "B", time.Minute, false, "A"},
			{"acquire", "A", time.Hour, true, "A"}, // re-entrant, refreshes
			{"refresh", "B", time.Minute, false, "A"},
			{"refresh", "A", 2 * time.Hour, true, "A"},
			{"release", "B", 0, false, "A"},
			{"release", "A", 0, true, ""},
			{"release", "A", 0, false, ""},
			{"refresh", "A", time.Minute, false, ""},
			{"acquire", "B", time.Minute, true, "B"},
		}
		for i, st := range steps {
			t.Run(fmt.Sprintf("%d_%s_%s", i, st.op, st.owner), func(t *testing.T) {
				var ok bool
				var err error
				switch st.op {
				case "acquire":
					var holder string
					ok, holder, err = e.store.AcquireLock(ctx, name, st.owner, st.ttl)
					if holder != st.wantHolder {
						t.Fatalf("acquire reported holder %q, want %q", holder, st.wantHolder)
					}
				case "release":
					ok, err = e.store.ReleaseLock(ctx, name, st.owner)
				case "refresh":
					ok, err = e.store.RefreshLock(ctx, name, st.owner, st.ttl)
				}
				if err != nil || ok != st.wantOK {
					t.Fatalf("%s by %s = %v, %v; want %v", st.op, st.owner, ok, err, st.wantOK)
				}
				if h, err := e.store.LockHolder(ctx, name); err != nil || h != st.wantHolder {
					t.Fatalf("holder %q %v, want %q", h, err, st.wantHolder)
				}
				if st.wantOK && st.op != "release" {
					pttl := e.rdb.PTTL(ctx, e.store.lockKey(name)).Val()
					if pttl <= st.ttl-time.Second || pttl > st.ttl {
						t.Fatalf("ttl %v after %s, want about %v", pttl, st.op, st.ttl)
					}
				}
			})
		}
	})
}

func TestLockExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if ok, _, err := e.store.AcquireLock(ctx, "x", "A", 20*time.Millisecond); !ok || err != nil {
			t.Fatal(ok, err)
		}
		e.expires(t, 20*time.Millisecond, e.store.lockKey("x"))
		if e.mr != nil {
			if ok, _, _ := e.store.AcquireLock(ctx, "x", "B", time.Minute); !ok {
				t.Fatal("expired lock not free")
			}
		}
	})
}

func TestLockInvalid(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if _, _, err := e.store.AcquireLock(ctx, "x", "", time.Minute); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no owner: %v", err)
		}
		if _, _, err := e.store.AcquireLock(ctx, "x", "A", 0); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no ttl: %v", err)
		}
		if _, err := e.store.RefreshLock(ctx, "x", "A", -time.Second); !errors.Is(err, ErrInvalid) {
			t.Fatalf("negative ttl: %v", err)
		}
	})
}

func TestLockRace(t *testing.T) {
	const n = 32
	eachBackend(t, func(t *testing.T, e *testEnv) {
		stores := []*Store{e.store, e.sibling(t)}
		var wins atomicCount
		owners := make([]string, n)
		run(n, func(i int) {
			ok, holder, err := stores[i%2].AcquireLock(ctx, "contended", fmt.Sprint("owner", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.inc()
			}
			owners[i] = holder
		})
		h, _ := e.store.LockHolder(ctx, "contended")
		if wins.get() != 1 || h == "" {
			t.Fatalf("%d winners, holder %q", wins.get(), h)
		}
		for i, o := range owners {
			if o != h {
				t.Fatalf("racer %d saw holder %q, lock is %q", i, o, h)
			}
		}
	})
}

func TestAgentLockName(t *testing.T) {
	first, again := AgentLock("a1"), AgentLock("a1")
	if AgentLock("a1") == AgentLock("a2") || first != again {
		t.Fatal("agent lock names must be distinct per agent and stable")
	}
	if PromotionItem("x") == PromotionItem("y") {
		t.Fatal("promotion items must be distinct")
	}
}
