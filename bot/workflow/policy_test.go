package workflow

import (
	"strings"
	"testing"
	"time"
)

func TestMayApprove(t *testing.T) {
	tests := []struct {
		name            string
		policy          Policy
		user, requester string
		ok              bool
		why             string
	}{
		{"anyone but the requester", Policy{}, "UB", "UA", true, ""},
		{"requester without self-approval", Policy{}, "UA", "UA", false, "self-approval"},
		{"requester with self-approval", Policy{AllowSelf: true}, "UA", "UA", true, ""},
		{"listed approver", Policy{Approvers: []string{"UB", "UC"}}, "UC", "UA", true, ""},
		{"not listed", Policy{Approvers: []string{"UB"}}, "UC", "UA", false, "not on the list"},
		{"listed requester without self-approval", Policy{Approvers: []string{"UA"}}, "UA", "UA", false, "self-approval"},
		{"listed requester with self-approval", Policy{Approvers: []string{"UA"}, AllowSelf: true}, "UA", "UA", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, why := tt.policy.MayApprove(tt.user, tt.requester)
			if ok != tt.ok || !strings.Contains(why, tt.why) {
				t.Errorf("MayApprove = %v %q, want %v containing %q", ok, why, tt.ok, tt.why)
			}
		})
	}
}

func TestCheckDelaySchedule(t *testing.T) {
	e := New(nil, nil, nil, Config{PollInterval: time.Second})
	tests := []struct {
		waited time.Duration
		want   time.Duration
	}{
		{0, time.Second},
		{29 * time.Second, time.Second},
		{30 * time.Second, 2 * time.Second},
		{60 * time.Second, 4 * time.Second},
		{90 * time.Second, 8 * time.Second},
		{120 * time.Second, 15 * time.Second}, // capped
		{10 * time.Minute, 15 * time.Second},
	}
	for _, tt := range tests {
		if got := e.checkDelay(tt.waited); got != tt.want {
			t.Errorf("checkDelay(%s) = %s, want %s", tt.waited, got, tt.want)
		}
	}
	slow := New(nil, nil, nil, Config{PollInterval: 30 * time.Second})
	if got := slow.checkDelay(0); got != 30*time.Second {
		t.Errorf("a POLL_INTERVAL above the cap is still honoured: got %s", got)
	}
}

func TestAnnounceKeyNamesOneActivation(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	a := announceKey("ag", "v2", at, "v1")
	if a == announceKey("ag", "v2", at.Add(time.Hour), "v1") {
		t.Error("a later activation of the same version has the same key")
	}
	if a != announceKey("ag", "v2", at, "v3") {
		t.Error("with activatedAt the previous version must not matter (watch and promotion may disagree on it)")
	}
	if announceKey("ag", "v2", time.Time{}, "v1") == announceKey("ag", "v2", time.Time{}, "v3") {
		t.Error("without activatedAt the transition distinguishes activations")
	}
}
