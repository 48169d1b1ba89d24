package workflow

import (
	"strings"
	"testing"
	"time"
)

// TestConfigDefaults: a zero Config takes the documented defaults.
func TestConfigDefaults(t *testing.T) {
	e := New(nil, nil, nil, Config{})
	c := e.cfg
	if c.Policy.Required != 1 || c.Policy.TTL != 24*time.Hour || c.PollInterval != time.Second ||
		c.CheckTimeout != 10*time.Minute || c.WatchInterval != 15*time.Second || c.Lease != 2*time.Minute ||
		c.RPS != 5 || c.Now == nil || c.Logger == nil || c.Metrics != nil {
		t.Errorf("defaults = %+v", c)
	}
	if !strings.HasPrefix(e.Owner(), "replica-") || e.Owner() == New(nil, nil, nil, Config{}).Owner() {
		t.Errorf("owner %q is not a fresh replica id", e.Owner())
	}
	if p := e.Policy(); p.Required != 1 || p.TTL != 24*time.Hour {
		t.Errorf("policy %+v", p)
	}
	if e.stepTimeout() != stepTimeout {
		t.Errorf("step timeout %s, want %s", e.stepTimeout(), stepTimeout)
	}
	short := New(nil, nil, nil, Config{Lease: 10 * time.Second, Owner: "r9"})
	if short.stepTimeout() != 5*time.Second || short.Owner() != "r9" {
		t.Errorf("with a 10s lease: step timeout %s, owner %q", short.stepTimeout(), short.Owner())
	}
	if a, b := NewPromotionID(), NewPromotionID(); !strings.HasPrefix(a, "pr_") || a == b {
		t.Errorf("promotion ids %q %q", a, b)
	}
	if (&RefusedError{Msg: "no"}).Error() != "no" {
		t.Error("RefusedError.Error")
	}
}
