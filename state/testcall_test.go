package state

import (
	"errors"
	"testing"
	"time"
)

func TestPhoneIsKeptUntilForgotten(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		s := e.store
		ctx := t.Context()
		if got, err := s.Phone(ctx, "U1"); err != nil || got != "" {
			t.Fatalf("no phone yet: %q %v", got, err)
		}
		if err := s.SetPhone(ctx, "U1", "+15551234567"); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Phone(ctx, "U1"); got != "+15551234567" {
			t.Fatalf("phone %q", got)
		}
		if got, _ := s.Phone(ctx, "U2"); got != "" {
			t.Fatalf("another user's phone %q", got)
		}
		if removed, err := s.ForgetPhone(ctx, "U1"); err != nil || !removed {
			t.Fatalf("forget: %v %v", removed, err)
		}
		if removed, _ := s.ForgetPhone(ctx, "U1"); removed {
			t.Fatalf("forgot twice")
		}
		if got, _ := s.Phone(ctx, "U1"); got != "" {
			t.Fatalf("phone after forget %q", got)
		}
		if err := s.SetPhone(ctx, "", "+1555"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no user: %v", err)
		}
	})
}

func TestTestCallLimitSlidesOverTheWindow(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		s, clock := e.store, e.clock
		ctx := t.Context()
		for i := range 3 {
			slot, _, err := s.TakeTestCall(ctx, "U1", 3, time.Hour)
			if err != nil || slot == "" {
				t.Fatalf("call %d refused: %v", i+1, err)
			}
			clock.Advance(10 * time.Minute)
		}
		// Three calls at 0, 10 and 20 min; now 30 min: the fourth waits
		// until the first leaves the window (at 60 min).
		slot, next, err := s.TakeTestCall(ctx, "U1", 3, time.Hour)
		if err != nil || slot != "" {
			t.Fatalf("fourth call: slot=%q err=%v", slot, err)
		}
		if want := clock.Now().Add(30 * time.Minute); !next.Equal(want) {
			t.Errorf("next call at %v, want %v", next, want)
		}
		if slot, _, _ := s.TakeTestCall(ctx, "U2", 3, time.Hour); slot == "" {
			t.Errorf("another user's call refused")
		}
		clock.Advance(30 * time.Minute)
		slot, _, _ = s.TakeTestCall(ctx, "U1", 3, time.Hour)
		if slot == "" {
			t.Errorf("refused once the first call left the window")
		}
		if slot, _, _ := s.TakeTestCall(ctx, "U1", 3, time.Hour); slot != "" {
			t.Errorf("a refused attempt must not have freed a slot")
		}
		// A call that was not placed gives its slot back.
		if err := s.ReturnTestCall(ctx, "U1", slot); err != nil {
			t.Fatal(err)
		}
		if slot, _, _ := s.TakeTestCall(ctx, "U1", 3, time.Hour); slot == "" {
			t.Errorf("the returned slot was not free")
		}
	})
}

func TestCallIntentRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *testEnv) {
		s := e.store
		ctx := t.Context()
		ci := CallIntent{ID: NewCallIntentID(), User: "U1", Channel: "C1", AgentID: "a", PromotionID: "pr_1", Target: "v4", CallAfter: true}
		if err := s.PutCallIntent(ctx, ci, time.Minute); err != nil {
			t.Fatal(err)
		}
		got, err := s.CallIntent(ctx, ci.ID)
		if err != nil || got != ci {
			t.Fatalf("intent %+v %v", got, err)
		}
		if _, err := s.CallIntent(ctx, "ci_unknown"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown intent: %v", err)
		}
	})
}
