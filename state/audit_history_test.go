package state

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// writeSteps appends audit entries as the workflow writes them, one second apart.
func writeSteps(t *testing.T, e *testEnv, agent string, steps ...AuditEntry) {
	t.Helper()
	for _, s := range steps {
		e.clock.Advance(time.Second)
		s.AgentID = agent
		if err := e.store.Audit(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPromotionHistoryRebuildsPromotionsFromTheAuditStream(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		t0 := e.clock.Now()
		at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
		writeSteps(t, e, "a1",
			AuditEntry{Actor: "UALICE", Action: "promote", PromotionID: "p1", Detail: "Refund wording"}, // 1
			AuditEntry{Actor: "UALICE", Action: "published", PromotionID: "p1", VersionID: "ver4", Detail: "v4"},
			AuditEntry{Actor: "UBOB", Action: "approve", PromotionID: "p1", VersionID: "ver4", Detail: "1 of 2"},
			AuditEntry{Actor: "outside atomsbot", Action: "activated-elsewhere", Detail: "v3"},                     // a watch notice
			AuditEntry{Actor: "UCAROL", Action: "approve", PromotionID: "p1", VersionID: "ver4", Detail: "2 of 2"}, // 5
			AuditEntry{Actor: "atomsbot", Action: "live", PromotionID: "p1", VersionID: "ver4", Detail: "v4"},
			AuditEntry{Actor: "UDAVE", Action: "rollback", PromotionID: "p2", VersionID: "ver2"}, // 7
			AuditEntry{Actor: "UBOB", Action: "rejected", PromotionID: "p2", VersionID: "ver2", Detail: "not during the sale"},
			AuditEntry{Actor: "UALICE", Action: "promote", PromotionID: "p3", Detail: "Holiday hours"}, // 9
			AuditEntry{Actor: "UALICE", Action: "published", PromotionID: "p3", VersionID: "ver5", Detail: "v5"},
		)
		writeSteps(t, e, "a2", AuditEntry{Actor: "UERIN", Action: "promote", PromotionID: "p9"})
		p1 := PromotionRecord{PromotionID: "p1", Kind: KindPromote, Requester: "UALICE", Label: "Refund wording", VersionID: "ver4", Version: "v4",
			Approvers: []string{"UBOB", "UCAROL"}, ApprovedAt: []time.Time{at(3), at(5)}, Outcome: Live, RequestedAt: at(1), PublishedAt: at(2), EndedAt: at(6)}
		p2 := PromotionRecord{PromotionID: "p2", Kind: KindRollback, Requester: "UDAVE", VersionID: "ver2", Outcome: Rejected, EndedBy: "UBOB",
			Reason: "not during the sale", RequestedAt: at(7), EndedAt: at(8)}
		p3 := PromotionRecord{PromotionID: "p3", Kind: KindPromote, Requester: "UALICE", Label: "Holiday hours", VersionID: "ver5", Version: "v5",
			RequestedAt: at(9), PublishedAt: at(10)}
		tests := []struct {
			name  string
			agent string
			n     int
			want  []PromotionRecord
		}{
			{"newest first, in flight included", "a1", 10, []PromotionRecord{p3, p2, p1}},
			{"the latest n", "a1", 2, []PromotionRecord{p3, p2}},
			{"one agent's stream only", "a2", 10, []PromotionRecord{{PromotionID: "p9", Kind: KindPromote, Requester: "UERIN", RequestedAt: at(11)}}},
			{"no stream", "a3", 10, []PromotionRecord{}},
			{"none asked", "a1", 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var got []PromotionRecord
				var err error
				trips := e.cmds.roundTrips(func() { got, err = e.store.PromotionHistory(ctx, tt.agent, tt.n) })
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v %v\nwant %+v", got, err, tt.want)
				}
				if tt.n > 0 && trips != 1 {
					t.Errorf("%d round trips, want one XREVRANGE", trips)
				}
			})
		}
	})
}

// TestPromotionHistoryPagesAndStaysBounded: many entries that are not
// promotion steps between promotions are paged through; the read never goes
// past the stream's cap even when fewer promotions than asked exist.
func TestPromotionHistoryPagesAndStaysBounded(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b, WithAuditMaxLen(1000))
			writeSteps(t, e, "a1", AuditEntry{Actor: "UALICE", Action: "promote", PromotionID: "old"})
			for i := range 150 {
				writeSteps(t, e, "a1", AuditEntry{Actor: "x", Action: "activated-elsewhere", Detail: fmt.Sprint(i)})
			}
			writeSteps(t, e, "a1", AuditEntry{Actor: "UBOB", Action: "rollback", PromotionID: "new"})
			var got []PromotionRecord
			var err error
			// n=2 reads 40 entries a page: 152 entries take four pages.
			trips := e.cmds.roundTrips(func() { got, err = e.store.PromotionHistory(ctx, "a1", 2) })
			if err != nil || len(got) != 2 || got[0].PromotionID != "new" || got[1].PromotionID != "old" {
				t.Fatalf("got %+v %v", got, err)
			}
			if trips != 4 {
				t.Errorf("%d round trips, want 4 pages", trips)
			}

			capped := newEnv(t, b, WithAuditMaxLen(50))
			for i := range 400 {
				writeSteps(t, capped, "a1", AuditEntry{Actor: "x", Action: "activated-elsewhere", Detail: fmt.Sprint(i)})
			}
			trips = capped.cmds.roundTrips(func() { got, err = capped.store.PromotionHistory(ctx, "a1", 1) })
			if err != nil || len(got) != 0 {
				t.Fatalf("got %+v %v", got, err)
			}
			// The stream holds at most about 150 entries (50, trimmed by whole
			// nodes of 100); the read stops after cap+page entries anyway.
			if trips > 3 {
				t.Errorf("%d round trips reading a capped stream", trips)
			}
		})
	}
}
