package state

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestAudit(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		var written []AuditEntry
		for i := range 5 {
			e.clock.Advance(time.Second)
			en := AuditEntry{AgentID: "a1", Actor: fmt.Sprint("U", i), Action: "approve", PromotionID: "p1", VersionID: "v1", Detail: fmt.Sprint("step ", i), DraftID: fmt.Sprint("d", i), Revision: i}
			if err := e.store.Audit(ctx, en); err != nil {
				t.Fatal(err)
			}
			en.At = e.clock.Now()
			written = append(written, en)
		}
		if err := e.store.Audit(ctx, AuditEntry{AgentID: "a2", Action: "promote", At: epoch}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			agent string
			n     int
			want  []AuditEntry
		}{
			{"newest first", "a1", 3, []AuditEntry{written[4], written[3], written[2]}},
			{"more than there is", "a1", 10, []AuditEntry{written[4], written[3], written[2], written[1], written[0]}},
			{"per agent", "a2", 10, []AuditEntry{{AgentID: "a2", Action: "promote", At: epoch}}},
			{"unknown agent", "a3", 10, []AuditEntry{}},
			{"none asked", "a1", 0, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := e.store.AuditLog(ctx, tt.agent, tt.n)
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v %v\nwant %+v", got, err, tt.want)
				}
			})
		}
		if err := e.store.Audit(ctx, AuditEntry{Action: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("entry without agent: %v", err)
		}
	})
}

func TestAuditCapped(t *testing.T) {
	const maxLen, writes = 10, 600
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b, WithAuditMaxLen(maxLen))
			for i := range writes {
				if err := e.store.Audit(ctx, AuditEntry{AgentID: "a1", Action: fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
			}
			// MAXLEN ~ trims whole stream nodes (100 entries by default), so a
			// few more than the cap may remain — but never the whole history.
			n := e.rdb.XLen(ctx, e.store.auditKey("a1")).Val()
			if n < maxLen || n > maxLen+100 {
				t.Fatalf("stream length %d after %d writes, want about %d", n, writes, maxLen)
			}
			last, err := e.store.AuditLog(ctx, "a1", 1)
			if err != nil || len(last) != 1 || last[0].Action != fmt.Sprint(writes-1) {
				t.Fatalf("newest entry %+v %v", last, err)
			}
		})
	}
}
