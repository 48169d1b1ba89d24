package state

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestClaimTokenRepeated: a claim repeated with its token (its first answer
// was lost) gets back the items the first run leased, their leases renewed,
// and takes nothing more; items that moved on meanwhile are not returned. A
// token whose first claim never ran claims afresh.
func TestClaimTokenRepeated(t *testing.T) {
	dues := map[string]time.Time{"a": epoch, "b": epoch.Add(-time.Second), "late": epoch}
	tests := []struct {
		name    string
		ran     bool                           // the first claim ran
		between func(t *testing.T, e *testEnv) // after the first claim, before the repeat
		want    []string
	}{
		{"answer lost", true, nil, []string{"a", "b"}},
		{"first never ran", false, nil, []string{"a", "b", "late"}},
		{"one item rescheduled meanwhile", true, func(t *testing.T, e *testEnv) {
			if err := e.store.Reschedule(ctx, "A", "a", epoch.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
		}, []string{"b"}},
		{"leases lapsed and another owner took them", true, func(t *testing.T, e *testEnv) {
			e.clock.Advance(lease)
			dues["late"] = e.clock.Now()
			if cs, err := e.store.Claim(ctx, "B", 10, lease); err != nil || len(cs) != 2 {
				t.Fatalf("B claimed %v %v, want both", items(cs), err)
			}
		}, []string{}},
	}
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					e := newEnv(t, b)
					dues["late"] = epoch
					mustSchedule(t, e.store, "a", dues["a"])
					mustSchedule(t, e.store, "b", dues["b"])
					if tt.ran {
						if cs, err := e.store.ClaimToken(ctx, "A", "tok", 10, lease); err != nil || len(cs) != 2 {
							t.Fatalf("first claim %v %v", items(cs), err)
						}
					}
					if tt.between != nil {
						tt.between(t, e)
					}
					mustSchedule(t, e.store, "late", dues["late"]) // due: a fresh claim would take it
					e.clock.Advance(time.Second)

					cs, err := e.store.ClaimToken(ctx, "A", "tok", 10, lease)
					got := items(cs)
					slices.Sort(got)
					if err != nil || !reflect.DeepEqual(got, tt.want) {
						t.Fatalf("repeated claim %v %v, want %v", got, err, tt.want)
					}
					for _, c := range cs {
						if !c.Due.Equal(dues[c.Item]) {
							t.Errorf("%s due %v, want %v", c.Item, c.Due, dues[c.Item])
						}
						wantScheduled(t, e.store, c.Item, e.clock.Now().Add(lease), "A")
					}
					if !tt.ran {
						return
					}
					// A new token claims what is due now.
					if cs, err := e.store.ClaimToken(ctx, "A", "tok2", 10, lease); err != nil || !reflect.DeepEqual(items(cs), []string{"late"}) {
						t.Errorf("claim with a new token %v %v, want [late]", items(cs), err)
					}
				})
			}
		})
	}
}
