package state

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var allStates = []PromotionState{Requested, Published, Activating, Live, Rejected, Cancelled, Expired, Failed}

func TestCanTransition(t *testing.T) {
	legal := map[string]bool{
		"requested→published": true, "requested→failed": true, "requested→cancelled": true, "requested→expired": true,
		"published→activating": true, "published→rejected": true, "published→cancelled": true,
		"published→expired": true, "published→failed": true,
		"activating→live": true, "activating→published": true, "activating→failed": true,
	}
	for _, from := range allStates {
		for _, to := range allStates {
			name := string(from) + "→" + string(to)
			t.Run(name, func(t *testing.T) {
				if got := CanTransition(from, to); got != legal[name] {
					t.Fatalf("CanTransition(%s, %s) = %v, want %v", from, to, got, legal[name])
				}
			})
		}
	}
}

func TestStateKinds(t *testing.T) {
	tests := []struct {
		s              PromotionState
		terminal, done bool
	}{
		{Requested, false, false}, {Published, false, false}, {Activating, false, false},
		{Live, false, true}, {Rejected, true, true}, {Cancelled, true, true},
		{Expired, true, true}, {Failed, true, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.s), func(t *testing.T) {
			if tt.s.Terminal() != tt.terminal || tt.s.Done() != tt.done {
				t.Fatalf("%s: Terminal=%v Done=%v, want %v %v", tt.s, tt.s.Terminal(), tt.s.Done(), tt.terminal, tt.done)
			}
			// Whatever has no exits in the state machine is Done, and vice versa.
			exits := false
			for _, to := range allStates {
				exits = exits || CanTransition(tt.s, to)
			}
			if exits == tt.s.Done() {
				t.Fatalf("%s: has exits=%v but Done=%v", tt.s, exits, tt.s.Done())
			}
		})
	}
}

func newPromotion(id, agent string) Promotion {
	return Promotion{
		ID: id, AgentID: agent, AgentName: "Support " + agent, DraftID: "d-" + id, DraftName: "draft",
		PreviousVersionID: "v-old", Requester: "U1", Channel: "C1", Label: "<!channel> fix", State: Requested,
	}
}

func TestCreatePromotion(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		rollback := newPromotion("r1", "a-rb")
		rollback.Kind, rollback.State, rollback.VersionID, rollback.VersionNumber = KindRollback, Published, "v-3", 3
		tests := []struct {
			name    string
			p       Promotion
			owner   string
			wantErr error
		}{
			{"promote", newPromotion("p1", "a1"), "poller-1", nil},
			{"rollback published", rollback, "poller-1", nil},
			{"no lease owner", newPromotion("p2", "a2"), "", nil},
			{"missing id", newPromotion("", "a3"), "o", ErrInvalid},
			{"missing agent", newPromotion("p4", ""), "o", ErrInvalid},
			{"published promote", func() Promotion { p := newPromotion("p5", "a5"); p.State, p.VersionID = Published, "v"; return p }(), "o", ErrInvalid},
			{"rollback without version", func() Promotion { p := newPromotion("p6", "a6"); p.Kind, p.State = KindRollback, Published; return p }(), "o", ErrInvalid},
			{"live", func() Promotion { p := newPromotion("p7", "a7"); p.State = Live; return p }(), "o", ErrInvalid},
			{"bad kind", func() Promotion { p := newPromotion("p8", "a8"); p.Kind = "yolo"; return p }(), "o", ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				const lease, lockTTL = 30 * time.Second, time.Hour
				got, err := e.store.CreatePromotion(ctx, tt.p, lockTTL, tt.owner, lease)
				if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					if n, _ := e.rdb.Exists(ctx, e.store.promotionKey(tt.p.ID)).Result(); n != 0 {
						t.Fatal("an invalid promotion was written")
					}
					return
				}
				want := tt.p
				if want.Kind == "" {
					want.Kind = KindPromote
				}
				want.CreatedAt, want.UpdatedAt = epoch, epoch
				if got != want {
					t.Fatalf("created\n got %+v\nwant %+v", got, want)
				}
				read, err := e.store.Promotion(ctx, tt.p.ID)
				if err != nil || read != want {
					t.Fatalf("read back %+v, %v", read, err)
				}
				if h, _ := e.store.LockHolder(ctx, AgentLock(tt.p.AgentID)); h != tt.p.ID {
					t.Fatalf("lock holder %q, want %q", h, tt.p.ID)
				}
				at, owner, ok, err := e.store.Scheduled(ctx, PromotionItem(tt.p.ID))
				wantAt := epoch.Add(lease)
				if tt.owner == "" {
					wantAt = epoch
				}
				if err != nil || !ok || owner != tt.owner || !at.Equal(wantAt) {
					t.Fatalf("queued at %v owner %q ok %v err %v; want %v %q", at, owner, ok, err, wantAt, tt.owner)
				}
				if claims, _ := e.store.Claim(ctx, "other", 10, lease); tt.owner != "" && len(claims) != 0 {
					t.Fatalf("another poller claimed the creator's item: %v", claims)
				}
			})
		}
	})
}

func TestCreatePromotionRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if _, err := e.store.CreatePromotion(ctx, newPromotion("p1", "a1"), time.Hour, "o", time.Minute); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			p      Promotion
			locked bool
			dup    bool
		}{
			{"same agent", newPromotion("p2", "a1"), true, false},
			{"duplicate id", newPromotion("p1", "a9"), false, true},
			{"duplicate id same agent", newPromotion("p1", "a1"), false, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.store.CreatePromotion(ctx, tt.p, time.Hour, "o", time.Minute)
				var le *LockedError
				if errors.As(err, &le) != tt.locked || errors.Is(err, ErrDuplicate) != tt.dup {
					t.Fatalf("err = %v", err)
				}
				if tt.locked && (le.HolderID != "p1" || le.AgentID != "a1" || !strings.Contains(err.Error(), "in flight")) {
					t.Fatalf("locked error %+v: %v", le, err)
				}
				if tt.p.ID != "p1" {
					if _, err := e.store.Promotion(ctx, tt.p.ID); !errors.Is(err, ErrNotFound) {
						t.Fatalf("refused promotion was stored: %v", err)
					}
				}
			})
		}
		if _, err := e.store.CreatePromotion(ctx, newPromotion("p3", "a2"), time.Hour, "o", time.Minute); err != nil {
			t.Fatalf("another agent is independent: %v", err)
		}
	})
}

func TestCreatePromotionLockExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if _, err := e.store.CreatePromotion(ctx, newPromotion("p1", "a1"), 50*time.Millisecond, "o", time.Minute); err != nil {
			t.Fatal(err)
		}
		e.expires(t, 50*time.Millisecond, e.store.lockKey(AgentLock("a1")))
	})
}

func TestPromotionNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		if _, err := e.store.Promotion(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Promotion: %v", err)
		}
		if _, _, err := e.store.PromotionWithApprovals(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("PromotionWithApprovals: %v", err)
		}
		if _, err := e.store.Transition(ctx, "nope", Requested, Published, Patch{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Transition: %v", err)
		}
		if _, err := e.store.Update(ctx, "nope", Requested, Patch{}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Update: %v", err)
		}
	})
}

// create stores a promotion and walks it to state via legal transitions.
func create(t testing.TB, s *Store, id, agent string, path ...PromotionState) Promotion {
	t.Helper()
	p, err := s.CreatePromotion(ctx, newPromotion(id, agent), time.Hour, "o", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range path {
		if p, err = s.Transition(ctx, id, p.State, to, Patch{}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}
