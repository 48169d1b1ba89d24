package state

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		full := EditSession{
			ID: "s1", AgentID: "a1", AgentName: "Support", DraftID: "d1", DraftName: "fix greeting",
			WorkflowType: "single_prompt", Revision: 7, Channel: "C1", UserID: "U1", ViewID: "V1",
			Original:  map[string]string{"prompt": "You are <helpful> & kind", "firstMessage": "Hi"},
			CreatedAt: epoch.Add(-time.Minute),
		}
		tests := []struct {
			name string
			in   EditSession
			want EditSession
		}{
			{"every field", full, full},
			{"created defaults to now", EditSession{ID: "s2", AgentID: "a1", DraftID: "d2"},
				EditSession{ID: "s2", AgentID: "a1", DraftID: "d2", CreatedAt: epoch}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := e.store.PutSession(ctx, tt.in, 15*time.Minute); err != nil {
					t.Fatal(err)
				}
				got, err := e.store.Session(ctx, tt.in.ID)
				if err != nil || !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got %+v %v\nwant %+v", got, err, tt.want)
				}
			})
		}
		if err := e.store.DeleteSession(ctx, "s2"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Session(ctx, "s2"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted session: %v", err)
		}
		if err := e.store.DeleteSession(ctx, "never"); err != nil {
			t.Fatalf("deleting an unknown session: %v", err)
		}
		if err := e.store.PutSession(ctx, EditSession{AgentID: "a"}, time.Minute); !errors.Is(err, ErrInvalid) {
			t.Fatalf("session without id: %v", err)
		}
		e.expires(t, 15*time.Minute, e.store.sessionKey("s1"))
		if e.mr != nil {
			if _, err := e.store.Session(ctx, "s1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("expired session: %v", err)
			}
		}
	})
}

func TestFirstSeen(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		steps := []struct {
			key  string
			want bool
		}{{"evt-1", true}, {"evt-1", false}, {"evt-2", true}, {"evt-1", false}}
		for _, st := range steps {
			if got, err := e.store.FirstSeen(ctx, st.key, time.Hour); err != nil || got != st.want {
				t.Fatalf("FirstSeen(%s) = %v %v, want %v", st.key, got, err, st.want)
			}
		}
		var firsts atomicCount
		run(16, func(int) {
			if ok, _ := e.store.FirstSeen(ctx, "click", time.Hour); ok {
				firsts.inc()
			}
		})
		if firsts.get() != 1 {
			t.Fatalf("%d racers saw the click first", firsts.get())
		}
		e.expires(t, time.Hour, e.store.key("dedupe", "evt-1"))
		if e.mr != nil {
			if ok, _ := e.store.FirstSeen(ctx, "evt-1", time.Hour); !ok {
				t.Fatal("mark did not expire")
			}
		}
		if _, err := e.store.FirstSeen(ctx, "x", 0); !errors.Is(err, ErrInvalid) {
			t.Fatalf("zero ttl: %v", err)
		}
	})
}
