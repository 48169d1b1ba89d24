package state

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// benchBackend is the real Redis at REDIS_URL when set, else miniredis (whose
// figures say little about production; the sub-benchmark name tells which).
func benchBackend() backend {
	bs := backends()
	return bs[len(bs)-1]
}

// reportRoundTrips adds the measured round trips per operation to the output.
func reportRoundTrips(b *testing.B, e *testEnv, before int64) {
	b.ReportMetric(float64(e.cmds.n.Load()-before)/float64(b.N), "roundtrips/op")
}

func BenchmarkTransition(b *testing.B) {
	be := benchBackend()
	b.Run(be.name, func(b *testing.B) {
		e := newEnv(b, be)
		create(b, e.store, "p1", "a1", Published)
		// Alternate the two non-final edges so every iteration is a real CAS.
		edges := [2][2]PromotionState{{Published, Activating}, {Activating, Published}}
		patch := Patch{CheckStatus: ptr("pending")}
		b.ReportAllocs()
		before := e.cmds.n.Load()
		b.ResetTimer()
		for i := range b.N {
			ed := edges[i%2]
			if _, err := e.store.Transition(ctx, "p1", ed[0], ed[1], patch); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		reportRoundTrips(b, e, before)
	})
}

func BenchmarkClaim(b *testing.B) {
	be := benchBackend()
	for _, tc := range []struct {
		scheduled int
		token     bool // as the poller claims: with a token, kept while leased
	}{{10, false}, {10_000, false}, {10_000, true}} {
		scheduled := tc.scheduled
		b.Run(fmt.Sprintf("%s/scheduled=%d/token=%v", be.name, scheduled, tc.token), func(b *testing.B) {
			e := newEnv(b, be)
			// Many promotions waiting far in the future, one due item.
			far := float64(epoch.Add(100 * 365 * 24 * time.Hour).UnixMilli())
			pipe := e.rdb.Pipeline()
			for i := range scheduled {
				pipe.ZAdd(ctx, e.store.dueKey(), redis.Z{Score: far + float64(i), Member: PromotionItem(fmt.Sprint("waiting-", i))})
			}
			if _, err := pipe.Exec(ctx); err != nil {
				b.Fatal(err)
			}
			if err := e.store.Schedule(ctx, "p:due", epoch); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			before := e.cmds.n.Load()
			b.ResetTimer()
			tokens := make([]string, b.N)
			for i := range tokens {
				if tc.token {
					tokens[i] = fmt.Sprint("t", i)
				}
			}
			b.ResetTimer()
			for i := range b.N {
				cs, err := e.store.ClaimToken(ctx, "poller", tokens[i], 10, lease)
				if err != nil || len(cs) != 1 {
					b.Fatalf("claimed %v %v", cs, err)
				}
				// The lease runs out: the item is due again for the next claim.
				e.clock.Advance(lease)
			}
			b.StopTimer()
			reportRoundTrips(b, e, before)
		})
	}
}

func BenchmarkApprove(b *testing.B) {
	const approvers = 3 // a realistic APPROVALS_REQUIRED-sized crowd per promotion
	be := benchBackend()
	b.Run(be.name+"/new", func(b *testing.B) {
		e := newEnv(b, be)
		promos := (b.N + approvers - 1) / approvers
		for i := range promos {
			id := fmt.Sprint("p", i)
			create(b, e.store, id, id, Published)
		}
		b.ReportAllocs()
		before := e.cmds.n.Load()
		b.ResetTimer()
		for i := range b.N {
			added, _, err := e.store.Approve(ctx, fmt.Sprint("p", i/approvers), Approval{UserID: fmt.Sprint("U", i%approvers), VersionID: "v1"})
			if err != nil || !added {
				b.Fatalf("approve: %v %v", added, err)
			}
		}
		b.StopTimer()
		reportRoundTrips(b, e, before)
	})
	b.Run(be.name+"/double-click", func(b *testing.B) {
		e := newEnv(b, be)
		create(b, e.store, "p1", "a1", Published)
		for u := range approvers {
			if _, _, err := e.store.Approve(ctx, "p1", Approval{UserID: fmt.Sprint("U", u), VersionID: "v1"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		before := e.cmds.n.Load()
		b.ResetTimer()
		for i := range b.N {
			added, all, err := e.store.Approve(ctx, "p1", Approval{UserID: fmt.Sprint("U", i%approvers), VersionID: "v1"})
			if err != nil || added || len(all) != approvers {
				b.Fatalf("approve: %v %d %v", added, len(all), err)
			}
		}
		b.StopTimer()
		reportRoundTrips(b, e, before)
	})
}
