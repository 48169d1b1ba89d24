package atoms

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

// TestBranchFaultsThroughClient: with a quarter of the requests failing
// (half of the writes' failures after their effect), reads and idempotent
// writes are retried to success, while edits and publishes are sent once:
// their failure is ambiguous, and what they did is read back.
func TestBranchFaultsThroughClient(t *testing.T) {
	e := newLBEnv(t)
	c, ctx := e.c, e.ctx
	_, r1 := e.create("flaky")
	work := e.fork("work")

	e.sim.SetFaults(atomsim.Faults{ErrorRate: .25, AfterEffectRate: .25, Seed: 2026})
	defer e.sim.SetFaults(atomsim.Faults{})
	for range 10 {
		_, err1 := c.ListBranches(ctx, e.agent)
		_, err2 := c.GetRevision(ctx, e.agent, e.main, r1)
		_, err3 := c.MakeLive(ctx, e.agent, e.main)
		if err := errors.Join(err1, err2, err3, c.CancelPublish(ctx, e.agent, work)); err != nil {
			t.Fatalf("retried calls: %v", err)
		}
	}
	e.sim.ResetCalls()
	for i := range 20 {
		if _, err := e.put(work, "Edit "+itoa3(i), nil); err != nil && !Ambiguous(err) {
			t.Fatalf("PUT %d: %v", i, err)
		}
	}
	applied := 0
	for _, call := range e.sim.Calls() {
		if call.Fault == "" || call.Fault == atomsim.FaultAfterEffect {
			applied++
		}
	}
	if n := e.sim.CountCalls("PUT", "/agent/*/branches/*/draft"); n != 20 {
		t.Fatalf("20 edits sent as %d requests", n)
	}
	for range 6 {
		_, err := c.PublishBranchDraft(ctx, e.agent, work, "")
		d, derr := c.GetBranchDraft(ctx, e.agent, work)
		e.must(derr)
		scanning := d.Latest.PendingPublish != nil && d.Latest.PendingPublish.State == PendingActive
		if (err == nil && !scanning) || (err != nil && !Ambiguous(err)) {
			t.Fatalf("publish: %v, draft scanning %v", err, scanning)
		}
		e.must(c.CancelPublish(ctx, e.agent, work))
	}
	if n := e.sim.CountCalls("POST", "/agent/*/branches/*/draft/publish"); n != 6 {
		t.Fatalf("6 publishes sent as %d requests", n)
	}
	faults := map[string]int{}
	for _, call := range e.sim.Calls() {
		faults[call.Fault]++
	}
	e.sim.SetFaults(atomsim.Faults{})
	if d, err := c.GetBranchDraft(ctx, e.agent, work); err != nil || d.Latest.DraftRevision != applied {
		t.Fatalf("draft revision %d, %d edits applied: %v", d.Latest.DraftRevision, applied, err)
	}
	if faults[atomsim.FaultServerError] == 0 || faults[atomsim.FaultRateLimit] == 0 || faults[atomsim.FaultAfterEffect] == 0 {
		t.Fatalf("the run met too few faults: %v", faults)
	}
	if !slices.Contains(e.sleeps.all(), time.Second) {
		t.Errorf("Retry-After: 1 was not honoured; waits %v", e.sleeps.all())
	}
}
