package state

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

const lease = 30 * time.Second

// mustSchedule queues item at epoch+offset.
func mustSchedule(t *testing.T, s *Store, item string, at time.Time) {
	t.Helper()
	if err := s.Schedule(ctx, item, at); err != nil {
		t.Fatal(err)
	}
}

// wantScheduled checks an item's due time and lease owner.
func wantScheduled(t *testing.T, s *Store, item string, at time.Time, owner string) {
	t.Helper()
	gotAt, gotOwner, ok, err := s.Scheduled(ctx, item)
	if err != nil || !ok || !gotAt.Equal(at) || gotOwner != owner {
		t.Fatalf("%s: at %v owner %q ok %v err %v; want %v %q", item, gotAt, gotOwner, ok, err, at, owner)
	}
}

func items(cs []Claim) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.Item)
	}
	return out
}

func TestClaimDueOnly(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		for item, off := range map[string]time.Duration{"late": time.Minute, "early": -time.Hour, "now": 0, "mid": -time.Second} {
			mustSchedule(t, e.store, item, epoch.Add(off))
		}
		tests := []struct {
			name  string
			max   int
			want  []string
			dues  []time.Duration
			owner string
		}{
			{"max one takes the oldest", 1, []string{"early"}, []time.Duration{-time.Hour}, "A"},
			{"the rest that is due", 10, []string{"mid", "now"}, []time.Duration{-time.Second, 0}, "B"},
			{"nothing left", 10, []string{}, nil, "C"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				cs, err := e.store.Claim(ctx, tt.owner, tt.max, lease)
				if err != nil || !reflect.DeepEqual(items(cs), tt.want) {
					t.Fatalf("claimed %v %v, want %v", items(cs), err, tt.want)
				}
				for i, c := range cs {
					if !c.Due.Equal(epoch.Add(tt.dues[i])) {
						t.Fatalf("%s due %v, want %v", c.Item, c.Due, epoch.Add(tt.dues[i]))
					}
					wantScheduled(t, e.store, c.Item, epoch.Add(lease), tt.owner)
				}
			})
		}
		wantScheduled(t, e.store, "late", epoch.Add(time.Minute), "")
	})
}

func TestLeaseExpiry(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		mustSchedule(t, e.store, "x", epoch)
		if cs, _ := e.store.Claim(ctx, "A", 10, lease); len(cs) != 1 {
			t.Fatalf("A claimed %v", cs)
		}
		steps := []struct {
			name    string
			advance time.Duration
			want    []string
		}{
			{"held during the lease", lease - time.Millisecond, []string{}},
			{"due again when it ends", time.Millisecond, []string{"x"}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				e.clock.Advance(st.advance)
				cs, err := e.store.Claim(ctx, "B", 10, lease)
				if err != nil || !reflect.DeepEqual(items(cs), st.want) {
					t.Fatalf("B claimed %v %v, want %v", items(cs), err, st.want)
				}
				if len(cs) == 1 && !cs[0].Due.Equal(epoch.Add(lease)) {
					t.Fatalf("reclaimed item due %v, want the lease end", cs[0].Due)
				}
			})
		}
		if err := e.store.Reschedule(ctx, "A", "x", epoch.Add(time.Hour)); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("A's reschedule after losing the lease: %v", err)
		}
		if err := e.store.Complete(ctx, "A", "x"); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("A's complete after losing the lease: %v", err)
		}
		if err := e.store.Complete(ctx, "B", "x"); err != nil {
			t.Fatal(err)
		}
		if n, _ := e.store.QueueLen(ctx); n != 0 {
			t.Fatalf("queue length %d after complete", n)
		}
		if err := e.store.Complete(ctx, "B", "x"); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("second complete: %v", err)
		}
	})
}

func TestReschedule(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name    string
			pokes   []time.Duration // Schedule calls (offsets from now) made while leased; -1: Poke
			at      time.Duration   // Reschedule target
			wantDue time.Duration
		}{
			{"plain", nil, 5 * time.Minute, 5 * time.Minute},
			{"poked: due now", []time.Duration{-1}, time.Hour, 0},
			{"scheduled earlier meanwhile", []time.Duration{10 * time.Second, 20 * time.Second}, time.Hour, 10 * time.Second},
			{"scheduled later meanwhile", []time.Duration{2 * time.Hour}, time.Hour, time.Hour},
			{"poke then schedule", []time.Duration{-1, time.Minute}, time.Hour, 0},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				item := fmt.Sprint("r", i)
				now := e.clock.Now()
				mustSchedule(t, e.store, item, now)
				if cs, err := e.store.Claim(ctx, "A", 1, lease); err != nil || len(cs) != 1 || cs[0].Item != item {
					t.Fatalf("claim %v %v", cs, err)
				}
				for _, p := range tt.pokes {
					var err error
					if p == -1 {
						err = e.store.Poke(ctx, item)
					} else {
						err = e.store.Schedule(ctx, item, now.Add(p))
					}
					if err != nil {
						t.Fatal(err)
					}
					wantScheduled(t, e.store, item, now.Add(lease), "A") // the lease is untouched
				}
				if err := e.store.Reschedule(ctx, "A", item, now.Add(tt.at)); err != nil {
					t.Fatal(err)
				}
				wantScheduled(t, e.store, item, now.Add(tt.wantDue), "")
				// The poke is consumed: the next lease cycle starts clean.
				e.clock.Advance(tt.wantDue)
				if cs, _ := e.store.Claim(ctx, "B", 1, lease); len(cs) != 1 || cs[0].Item != item {
					t.Fatalf("claim after reschedule: %v", cs)
				}
				if err := e.store.Reschedule(ctx, "B", item, e.clock.Now().Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				wantScheduled(t, e.store, item, e.clock.Now().Add(time.Hour), "")
				if err := e.store.Reschedule(ctx, "B", item, e.clock.Now()); !errors.Is(err, ErrNotOwner) {
					t.Fatalf("reschedule without a lease: %v", err)
				}
				// Empty the queue for the next case.
				e.clock.Advance(2 * time.Hour)
				cs, err := e.store.Claim(ctx, "sweep", 100, lease)
				if err != nil || len(cs) != 1 {
					t.Fatalf("sweep %v %v", cs, err)
				}
				if err := e.store.Complete(ctx, "sweep", item); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
}

func TestPokeAndScheduleUnleased(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name    string
			initial *time.Duration // nil: not queued
			poke    bool           // Poke, else Schedule(at)
			at      time.Duration
			want    time.Duration
		}{
			{"poke future item", ptr(time.Hour), true, 0, 0},
			{"poke overdue item keeps its place", ptr(-time.Hour), true, 0, -time.Hour},
			{"poke absent item", nil, true, 0, 0},
			{"schedule absent item", nil, false, time.Minute, time.Minute},
			{"schedule moves later", ptr(-time.Minute), false, time.Hour, time.Hour},
			{"schedule moves earlier", ptr(time.Hour), false, time.Second, time.Second},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				item := fmt.Sprint("i", i)
				if tt.initial != nil {
					mustSchedule(t, e.store, item, epoch.Add(*tt.initial))
				}
				var err error
				if tt.poke {
					err = e.store.Poke(ctx, item)
				} else {
					err = e.store.Schedule(ctx, item, epoch.Add(tt.at))
				}
				if err != nil {
					t.Fatal(err)
				}
				wantScheduled(t, e.store, item, epoch.Add(tt.want), "")
			})
		}
	})
}

func TestScheduleOverStaleLease(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		mustSchedule(t, e.store, "x", epoch)
		if cs, _ := e.store.Claim(ctx, "A", 1, lease); len(cs) != 1 {
			t.Fatal("claim")
		}
		e.clock.Advance(lease) // A's lease is over; nobody reclaimed it yet
		mustSchedule(t, e.store, "x", epoch.Add(time.Hour))
		wantScheduled(t, e.store, "x", epoch.Add(time.Hour), "")
		if err := e.store.Complete(ctx, "A", "x"); !errors.Is(err, ErrNotOwner) {
			t.Fatalf("complete after the item was moved: %v", err)
		}
	})
}

func TestCompleteKeepsPokedItem(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		mustSchedule(t, e.store, "x", epoch)
		if cs, _ := e.store.Claim(ctx, "A", 1, lease); len(cs) != 1 {
			t.Fatal("claim")
		}
		e.clock.Advance(time.Second)
		if err := e.store.Poke(ctx, "x"); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Complete(ctx, "A", "x"); err != nil {
			t.Fatal(err)
		}
		wantScheduled(t, e.store, "x", epoch.Add(time.Second), "")
		if cs, _ := e.store.Claim(ctx, "B", 1, lease); len(cs) != 1 {
			t.Fatal("the poked item is not due")
		}
		if err := e.store.Complete(ctx, "B", "x"); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, _ := e.store.Scheduled(ctx, "x"); ok {
			t.Fatal("item still queued after an unpoked complete")
		}
	})
}

func TestRelease(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		for _, it := range []string{"a1", "a2", "a3", "b1"} {
			mustSchedule(t, e.store, it, epoch)
		}
		if cs, _ := e.store.Claim(ctx, "A", 3, lease); len(cs) != 3 {
			t.Fatalf("A claimed %v", cs)
		}
		if cs, _ := e.store.Claim(ctx, "B", 3, lease); len(cs) != 1 {
			t.Fatalf("B claimed %v", cs)
		}
		e.clock.Advance(time.Second)
		now := e.clock.Now()
		steps := []struct {
			name  string
			owner string
			items []string
			want  map[string]string // item → owner afterwards ("" released, due now)
		}{
			{"named item", "A", []string{"a2"}, map[string]string{"a1": "A", "a2": "", "a3": "A", "b1": "B"}},
			{"someone else's item is left alone", "A", []string{"b1"}, map[string]string{"b1": "B"}},
			{"all of the owner's", "A", nil, map[string]string{"a1": "", "a3": "", "b1": "B"}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if err := e.store.Release(ctx, st.owner, st.items...); err != nil {
					t.Fatal(err)
				}
				for it, owner := range st.want {
					at := now
					if owner != "" {
						at = epoch.Add(lease)
					}
					wantScheduled(t, e.store, it, at, owner)
				}
			})
		}
		cs, err := e.store.Claim(ctx, "C", 10, lease)
		if err != nil || len(cs) != 3 {
			t.Fatalf("released items not claimable at once: %v %v", items(cs), err)
		}
	})
}

func TestNextDueAndLen(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if _, ok, err := e.store.NextDue(ctx); ok || err != nil {
			t.Fatalf("empty queue: ok=%v err=%v", ok, err)
		}
		mustSchedule(t, e.store, "x", epoch.Add(time.Hour))
		mustSchedule(t, e.store, "y", epoch.Add(time.Minute))
		mustSchedule(t, e.store, "x", epoch.Add(2*time.Hour)) // a move, not a second entry
		at, ok, err := e.store.NextDue(ctx)
		n, _ := e.store.QueueLen(ctx)
		if err != nil || !ok || !at.Equal(epoch.Add(time.Minute)) || n != 2 {
			t.Fatalf("next %v ok %v err %v len %d", at, ok, err, n)
		}
	})
}

func TestClaimInvalid(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name  string
			owner string
			max   int
			lease time.Duration
		}{{"no owner", "", 1, lease}, {"zero max", "A", 0, lease}, {"no lease", "A", 1, 0}}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := e.store.Claim(ctx, tt.owner, tt.max, tt.lease); !errors.Is(err, ErrInvalid) {
					t.Fatalf("err = %v", err)
				}
			})
		}
	})
}

func TestQueueRoundTrips(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		for i := range 3 {
			mustSchedule(t, e.store, fmt.Sprint("x", i), epoch)
		}
		// Warm the script cache so EVALSHA hits.
		cs, _ := e.store.Claim(ctx, "A", 1, lease)
		_ = e.store.Reschedule(ctx, "A", cs[0].Item, epoch.Add(time.Hour))
		cs, _ = e.store.Claim(ctx, "A", 1, lease)
		_ = e.store.Complete(ctx, "A", cs[0].Item)
		ops := []struct {
			name string
			fn   func() error
		}{
			{"claim", func() error { return claimOne(e.store, "x2") }},
			{"reschedule", func() error { return e.store.Reschedule(ctx, "A", "x2", epoch) }},
			{"claim again", func() error { return claimOne(e.store, "x2") }},
			{"complete", func() error { return e.store.Complete(ctx, "A", "x2") }},
			{"claim nothing", func() error { _, err := e.store.Claim(ctx, "A", 10, lease); return err }},
			{"schedule", func() error { return e.store.Schedule(ctx, "x3", epoch) }},
			{"poke", func() error { return e.store.Poke(ctx, "x3") }},
		}
		for _, op := range ops {
			t.Run(op.name, func(t *testing.T) {
				var err error
				if rt := e.cmds.roundTrips(func() { err = op.fn() }); rt != 1 || err != nil {
					t.Fatalf("%d round trips, err %v", rt, err)
				}
			})
		}
	})
}

func claimOne(s *Store, want string) error {
	cs, err := s.Claim(ctx, "A", 10, lease)
	if err == nil && (len(cs) != 1 || cs[0].Item != want) {
		err = fmt.Errorf("claimed %v, want %s", cs, want)
	}
	return err
}

// N pollers race for one item over several lease periods: in each period
// exactly one of them holds it.
func TestClaimRace(t *testing.T) {
	const pollers, periods = 16, 5
	eachBackend(t, func(t *testing.T, e *testEnv) {
		mustSchedule(t, e.store, "p:1", epoch)
		mustSchedule(t, e.store, "p:later", epoch.Add(time.Hour))
		stores := []*Store{e.store, e.sibling(t)}
		for period := range periods {
			var mu sync.Mutex
			var holders []string
			run(pollers, func(i int) {
				owner := fmt.Sprint("poller", i)
				cs, err := stores[i%2].Claim(ctx, owner, 10, lease)
				if err != nil {
					t.Error(err)
				}
				for _, c := range cs {
					mu.Lock()
					holders = append(holders, owner+"/"+c.Item)
					mu.Unlock()
				}
			})
			if len(holders) != 1 {
				t.Fatalf("period %d: holders %v, want exactly one", period, holders)
			}
			e.clock.Advance(lease) // the holder "crashes": its lease runs out
		}
	})
}
