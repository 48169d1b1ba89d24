package state

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestTransition(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name     string
			path     []PromotionState // reached before the transition under test
			from, to PromotionState
			conflict PromotionState // non-empty: expect a conflict reporting this state
			illegal  bool
			lockHeld bool // the agent lock is still held afterwards
		}{
			{name: "publish", from: Requested, to: Published, lockHeld: true},
			{name: "activate", path: []PromotionState{Published}, from: Published, to: Activating, lockHeld: true},
			{name: "activation refused", path: []PromotionState{Published, Activating}, from: Activating, to: Published, lockHeld: true},
			{name: "live", path: []PromotionState{Published, Activating}, from: Activating, to: Live},
			{name: "reject", path: []PromotionState{Published}, from: Published, to: Rejected},
			{name: "cancel requested", from: Requested, to: Cancelled},
			{name: "expire", path: []PromotionState{Published}, from: Published, to: Expired},
			{name: "fail", path: []PromotionState{Published, Activating}, from: Activating, to: Failed},
			{name: "stale from", path: []PromotionState{Published}, from: Requested, to: Published, conflict: Published, lockHeld: true},
			{name: "already ended", path: []PromotionState{Cancelled}, from: Requested, to: Published, conflict: Cancelled},
			{name: "illegal skip", from: Requested, to: Live, illegal: true, lockHeld: true},
			{name: "illegal from terminal", path: []PromotionState{Published, Rejected}, from: Rejected, to: Published, illegal: true},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id, agent := fmt.Sprintf("t%d", i), fmt.Sprintf("agent%d", i)
				before := create(t, e.store, id, agent, tt.path...)
				e.clock.Advance(time.Second)
				patch := Patch{VersionID: ptr("v-9"), VersionNumber: ptr(9), CheckStatus: ptr("passed"), Announced: ptr(true)}
				var got Promotion
				var err error
				rt := e.cmds.roundTrips(func() { got, err = e.store.Transition(ctx, id, tt.from, tt.to, patch) })
				var sc *StateConflictError
				switch {
				case tt.illegal:
					if !errors.Is(err, ErrIllegalTransition) || rt != 0 {
						t.Fatalf("err = %v after %d round trips, want ErrIllegalTransition and none", err, rt)
					}
				case tt.conflict != "":
					if !errors.As(err, &sc) || sc.Got != tt.conflict || sc.Want != tt.from || sc.ID != id {
						t.Fatalf("err = %v, want conflict got=%s", err, tt.conflict)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					now := e.clock.Now()
					want := before
					want.State, want.UpdatedAt = tt.to, now
					want.VersionID, want.VersionNumber, want.CheckStatus, want.Announced = "v-9", 9, "passed", true
					if tt.to.Terminal() {
						want.EndedAt = now
					}
					if got != want {
						t.Fatalf("after transition\n got %+v\nwant %+v", got, want)
					}
				}
				if err != nil {
					if after, _ := e.store.Promotion(ctx, id); after != before {
						t.Fatalf("refused transition changed the promotion:\n%+v\n%+v", after, before)
					}
				}
				holder, _ := e.store.LockHolder(ctx, AgentLock(agent))
				if (holder == id) != tt.lockHeld {
					t.Fatalf("lock holder %q, want held=%v", holder, tt.lockHeld)
				}
			})
		}
	})
}

func TestTransitionOneRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		create(t, e.store, "warm", "a0", Published) // loads the script
		create(t, e.store, "p1", "a1")
		if rt := e.cmds.roundTrips(func() {
			if _, err := e.store.Transition(ctx, "p1", Requested, Published, Patch{}); err != nil {
				t.Fatal(err)
			}
		}); rt != 1 {
			t.Fatalf("transition took %d round trips, want 1", rt)
		}
		if rt := e.cmds.roundTrips(func() {
			if _, err := e.store.Transition(ctx, "p1", Published, Cancelled, Patch{}); err != nil {
				t.Fatal(err)
			}
		}); rt != 1 {
			t.Fatalf("terminal transition took %d round trips, want 1", rt)
		}
	})
}

// A replica that never saw the promotion still releases the right lock.
func TestTransitionFromColdReplica(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		create(t, e.store, "p1", "a1", Published, Activating)
		other := e.sibling(t)
		p, err := other.Transition(ctx, "p1", Activating, Live, Patch{ActivatedAt: ptr(e.clock.Now())})
		if err != nil || p.State != Live || !p.ActivatedAt.Equal(e.clock.Now()) {
			t.Fatalf("transition: %+v %v", p, err)
		}
		if h, _ := e.store.LockHolder(ctx, AgentLock("a1")); h != "" {
			t.Fatalf("lock still held by %q", h)
		}
	})
}

func TestTransitionKeepsForeignLock(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		create(t, e.store, "p1", "a1", Published)
		// The promotion's lock expired and someone else took the agent.
		if _, err := e.store.ReleaseLock(ctx, AgentLock("a1"), "p1"); err != nil {
			t.Fatal(err)
		}
		if ok, _, _ := e.store.AcquireLock(ctx, AgentLock("a1"), "p2", time.Hour); !ok {
			t.Fatal("acquire")
		}
		if _, err := e.store.Transition(ctx, "p1", Published, Failed, Patch{Reason: ptr("boom")}); err != nil {
			t.Fatal(err)
		}
		if h, _ := e.store.LockHolder(ctx, AgentLock("a1")); h != "p2" {
			t.Fatalf("holder %q, want p2", h)
		}
	})
}

func TestRetention(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b, WithRetention(time.Hour))
			create(t, e.store, "p1", "a1", Published)
			if _, _, err := e.store.Approve(ctx, "p1", Approval{UserID: "U2", VersionID: "v"}); err != nil {
				t.Fatal(err)
			}
			if ttl := e.rdb.PTTL(ctx, e.store.promotionKey("p1")).Val(); ttl > 0 {
				t.Fatalf("an open promotion expires (%v)", ttl)
			}
			if _, err := e.store.Transition(ctx, "p1", Published, Rejected, Patch{EndedBy: ptr("U2")}); err != nil {
				t.Fatal(err)
			}
			e.expires(t, time.Hour, e.store.approvalsKey("p1"), e.store.promotionKey("p1"))
		})
	}
}

func TestPatchRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		at := func(s int) time.Time { return epoch.Add(time.Duration(s) * time.Second) }
		tests := []struct {
			name  string
			patch Patch
			check func(p Promotion) bool
		}{
			{"version", Patch{VersionID: ptr("v-1"), VersionNumber: ptr(12)}, func(p Promotion) bool { return p.VersionID == "v-1" && p.VersionNumber == 12 }},
			{"texts", Patch{DraftName: ptr("dn"), MessageTS: ptr("1712.0001"), Label: ptr("a|b"), CheckStatus: ptr("failed"), CheckReason: ptr("pii"), Reason: ptr("r"), EndedBy: ptr("U9")},
				func(p Promotion) bool {
					return p.DraftName == "dn" && p.MessageTS == "1712.0001" && p.Label == "a|b" && p.CheckStatus == "failed" &&
						p.CheckReason == "pii" && p.Reason == "r" && p.EndedBy == "U9"
				}},
			{"announced", Patch{Announced: ptr(true)}, func(p Promotion) bool { return p.Announced }},
			{"times", Patch{PublishedAt: ptr(at(1)), CheckPassedAt: ptr(at(2)), ActivatedAt: ptr(at(3)), EndedAt: ptr(at(4))},
				func(p Promotion) bool {
					return p.PublishedAt.Equal(at(1)) && p.CheckPassedAt.Equal(at(2)) && p.ActivatedAt.Equal(at(3)) && p.EndedAt.Equal(at(4))
				}},
			{"clear text", Patch{Label: ptr("")}, func(p Promotion) bool { return p.Label == "" }},
			{"empty patch keeps fields", Patch{}, func(p Promotion) bool { return p.Label == "<!channel> fix" && p.AgentName == "Support a" }},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprint("p", i)
				create(t, e.store, id, "a")
				if _, err := e.store.Transition(ctx, id, Requested, Cancelled, Patch{}); err != nil {
					t.Fatal(err) // frees the agent for the next case
				}
				// Update works in any state, terminal included.
				got, err := e.store.Update(ctx, id, Cancelled, tt.patch)
				if err != nil || !tt.check(got) {
					t.Fatalf("update: %+v, %v", got, err)
				}
				read, err := e.store.Promotion(ctx, id)
				if err != nil || read != got {
					t.Fatalf("read back %+v, %v", read, err)
				}
			})
		}
	})
}

func TestUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		create(t, e.store, "p1", "a1", Published)
		e.clock.Advance(time.Minute)
		got, err := e.store.Update(ctx, "p1", Published, Patch{MessageTS: ptr("123.456")})
		if err != nil || got.State != Published || got.MessageTS != "123.456" || !got.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("update: %+v %v", got, err)
		}
		var sc *StateConflictError
		if _, err := e.store.Update(ctx, "p1", Activating, Patch{MessageTS: ptr("x")}); !errors.As(err, &sc) || sc.Got != Published {
			t.Fatalf("update in wrong state: %v", err)
		}
		if p, _ := e.store.Promotion(ctx, "p1"); p.MessageTS != "123.456" {
			t.Fatalf("conflicting update applied: %q", p.MessageTS)
		}
		if rt := e.cmds.roundTrips(func() { _, _ = e.store.Update(ctx, "p1", Published, Patch{Label: ptr("l")}) }); rt != 1 {
			t.Fatalf("update took %d round trips", rt)
		}
	})
}

func TestTransitionRace(t *testing.T) {
	const n = 32
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name     string
			path     []PromotionState
			from, to PromotionState
		}{
			{"activate", []PromotionState{Published}, Published, Activating},
			{"go live", []PromotionState{Published, Activating}, Activating, Live},
			{"cancel", nil, Requested, Cancelled},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprint("race", i)
				create(t, e.store, id, id, tt.path...)
				// Half the racers are other replicas (own pool, cold cache).
				stores := []*Store{e.store, e.sibling(t)}
				var wins, conflicts, other atomicCount
				run(n, func(i int) {
					_, err := stores[i%2].Transition(ctx, id, tt.from, tt.to, Patch{EndedBy: ptr(fmt.Sprint("U", i))})
					var sc *StateConflictError
					switch {
					case err == nil:
						wins.inc()
					case errors.As(err, &sc) && sc.Got == tt.to:
						conflicts.inc()
					default:
						other.inc()
						t.Error(err)
					}
				})
				if wins.get() != 1 || conflicts.get() != n-1 {
					t.Fatalf("wins %d conflicts %d other %d, want 1 and %d", wins.get(), conflicts.get(), other.get(), n-1)
				}
			})
		}
	})
}
