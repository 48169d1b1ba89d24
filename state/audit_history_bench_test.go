package state

import (
	"fmt"
	"testing"
)

// BenchmarkPromotionHistory reads the default 10 promotions of an agent
// whose stream is full (1000 entries of about six per promotion).
func BenchmarkPromotionHistory(b *testing.B) {
	be := benchBackend()
	b.Run(be.name, func(b *testing.B) {
		e := newEnv(b, be)
		for i := range 1000 / 6 {
			id := fmt.Sprint("p", i)
			for _, s := range []AuditEntry{
				{Actor: "UALICE", Action: "promote", PromotionID: id, Detail: "label"},
				{Actor: "UALICE", Action: "published", PromotionID: id, VersionID: "ver" + id, Detail: "v1"},
				{Actor: "UBOB", Action: "approve", PromotionID: id, VersionID: "ver" + id, Detail: "1 of 2"},
				{Actor: "UCAROL", Action: "approve", PromotionID: id, VersionID: "ver" + id, Detail: "2 of 2"},
				{Actor: "atomsbot", Action: "live", PromotionID: id, VersionID: "ver" + id, Detail: "v1"},
				{Actor: "x", Action: "activated-elsewhere", Detail: "v2"},
			} {
				s.AgentID = "a1"
				if err := e.store.Audit(ctx, s); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportAllocs()
		before := e.cmds.n.Load()
		b.ResetTimer()
		for range b.N {
			recs, err := e.store.PromotionHistory(ctx, "a1", 10)
			if err != nil || len(recs) != 10 {
				b.Fatalf("%d records, %v", len(recs), err)
			}
		}
		b.StopTimer()
		reportRoundTrips(b, e, before)
	})
}
