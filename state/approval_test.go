package state

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestApprove(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		create(t, e.store, "p1", "a1", Published)
		t0 := e.clock.Now()
		steps := []struct {
			name      string
			a         Approval
			advance   time.Duration
			wantAdded bool
			want      []Approval
		}{
			{"first", Approval{UserID: "U2", VersionID: "v1"}, 0, true,
				[]Approval{{"U2", "v1", t0}}},
			{"double click", Approval{UserID: "U2", VersionID: "v1"}, time.Second, false,
				[]Approval{{"U2", "v1", t0}}},
			{"same user other version keeps the first", Approval{UserID: "U2", VersionID: "v2"}, time.Second, false,
				[]Approval{{"U2", "v1", t0}}},
			{"second user", Approval{UserID: "U3", VersionID: "v1"}, time.Second, true,
				[]Approval{{"U2", "v1", t0}, {"U3", "v1", t0.Add(3 * time.Second)}}},
			{"explicit time and version with a bar", Approval{UserID: "U0", VersionID: "v|x", At: t0.Add(-time.Minute)}, 0, true,
				[]Approval{{"U0", "v|x", t0.Add(-time.Minute)}, {"U2", "v1", t0}, {"U3", "v1", t0.Add(3 * time.Second)}}},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				e.clock.Advance(st.advance)
				added, all, err := e.store.Approve(ctx, "p1", st.a)
				if err != nil || added != st.wantAdded || !reflect.DeepEqual(all, st.want) {
					t.Fatalf("Approve = %v %+v %v; want %v %+v", added, all, err, st.wantAdded, st.want)
				}
				listed, err := e.store.Approvals(ctx, "p1")
				if err != nil || !reflect.DeepEqual(listed, st.want) {
					t.Fatalf("Approvals = %+v %v", listed, err)
				}
			})
		}
	})
}

func TestApproveRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name string
			path []PromotionState
			got  PromotionState
		}{
			{"requested", nil, Requested},
			{"activating", []PromotionState{Published, Activating}, Activating},
			{"rejected", []PromotionState{Published, Rejected}, Rejected},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprint("p", i)
				create(t, e.store, id, id, tt.path...)
				var sc *StateConflictError
				if _, _, err := e.store.Approve(ctx, id, Approval{UserID: "U2", VersionID: "v"}); !errors.As(err, &sc) || sc.Got != tt.got || sc.Want != Published {
					t.Fatalf("err = %v", err)
				}
				if all, _ := e.store.Approvals(ctx, id); len(all) != 0 {
					t.Fatalf("refused approval recorded: %+v", all)
				}
			})
		}
		if _, _, err := e.store.Approve(ctx, "nope", Approval{UserID: "U2"}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown promotion: %v", err)
		}
		if _, _, err := e.store.Approve(ctx, "p0", Approval{}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no user: %v", err)
		}
	})
}

func TestApproveRace(t *testing.T) {
	const n = 24
	eachBackend(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name      string
			user      func(i int) string
			wantAdded int64
		}{
			{"double clicks count once", func(int) string { return "U2" }, 1},
			{"distinct users all count", func(i int) string { return fmt.Sprint("U", i) }, n},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id := fmt.Sprint("p", i)
				create(t, e.store, id, id, Published)
				stores := []*Store{e.store, e.sibling(t)}
				var added atomicCount
				run(n, func(i int) {
					ok, _, err := stores[i%2].Approve(ctx, id, Approval{UserID: tt.user(i), VersionID: "v1"})
					if err != nil {
						t.Error(err)
					}
					if ok {
						added.inc()
					}
				})
				all, err := e.store.Approvals(ctx, id)
				if err != nil || added.get() != tt.wantAdded || int64(CountFor(all, "v1")) != tt.wantAdded {
					t.Fatalf("added %d, stored %d (%v), want %d", added.get(), len(all), err, tt.wantAdded)
				}
			})
		}
	})
}

func TestPromotionWithApprovals(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		want := create(t, e.store, "p1", "a1", Published)
		if _, _, err := e.store.Approve(ctx, "p1", Approval{UserID: "U2", VersionID: "v1"}); err != nil {
			t.Fatal(err)
		}
		var p Promotion
		var all []Approval
		var err error
		rt := e.cmds.roundTrips(func() { p, all, err = e.store.PromotionWithApprovals(ctx, "p1") })
		if err != nil || p != want || len(all) != 1 || all[0].UserID != "U2" || rt != 1 {
			t.Fatalf("got %+v %+v %v in %d round trips", p, all, err, rt)
		}
		// A promotion without approvals.
		create(t, e.store, "p2", "a2")
		if _, all, err := e.store.PromotionWithApprovals(ctx, "p2"); err != nil || len(all) != 0 {
			t.Fatalf("got %+v %v", all, err)
		}
	})
}

func TestApproveOneRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		create(t, e.store, "p1", "a1", Published)
		_, _, _ = e.store.Approve(ctx, "p1", Approval{UserID: "U1"}) // loads the script
		if rt := e.cmds.roundTrips(func() { _, _, _ = e.store.Approve(ctx, "p1", Approval{UserID: "U2"}) }); rt != 1 {
			t.Fatalf("approve took %d round trips", rt)
		}
	})
}

func TestCountFor(t *testing.T) {
	all := []Approval{{UserID: "a", VersionID: "v1"}, {UserID: "b", VersionID: "v2"}, {UserID: "c", VersionID: "v1"}, {UserID: "d"}}
	tests := []struct {
		version string
		want    int
	}{{"v1", 2}, {"v2", 1}, {"v3", 0}, {"", 1}}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			if got := CountFor(all, tt.version); got != tt.want {
				t.Fatalf("CountFor(%q) = %d, want %d", tt.version, got, tt.want)
			}
		})
	}
	if CountFor(nil, "v1") != 0 {
		t.Fatal("nil approvals")
	}
}
