package workflow

import (
	"context"
	"fmt"

	"github.com/atomsbot/atomsbot/state"
)

// newsGuard names the lock under which a promotion's final news (the "is
// live" announcement or the end note) is posted.
func newsGuard(id string) string { return "news:" + id }

// exclusive takes the lock name for this call alone, on Redis's clock, for at
// most a lease; release gives it back. It fails when someone else holds it.
//
// The lease alone does not keep two runs of one promotion apart where a post
// or a publish cannot be taken back: a replica whose clock is off by more than
// the lease, or one paused past it, and the front door (which works outside
// any lease) can overlap with the lease holder. Taking lease times from Redis
// would remove only the first of these, so the guards stay and leases keep
// the injected clock.
//
// An acquire or release whose answer was lost (Redis slow or frozen) may have
// left the lock held by this call's owner; the next take of the same lock
// here uses that owner again and re-enters it rather than waiting a lease.
// The release has its own deadline: it runs when the caller's may be over.
func (e *Engine) exclusive(ctx context.Context, name string) (release func(), err error) {
	owner := e.left.guardOwner(name, e.cfg.Owner+"/"+randomID(4), e.now(), e.cfg.Lease)
	ok, holder, err := e.store.AcquireLock(ctx, name, owner, e.cfg.Lease)
	if err != nil {
		e.left.lostGuard(name, owner, e.now(), e.cfg.Lease)
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s is held by %s", name, holder)
	}
	return func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		if _, err := e.store.ReleaseLock(rctx, name, owner); err != nil {
			e.left.lostGuard(name, owner, e.now(), e.cfg.Lease)
		}
	}, nil
}

func (e *Engine) audit(ctx context.Context, p state.Promotion, actor, action, detail string) {
	err := e.store.Audit(ctx, state.AuditEntry{
		AgentID: p.AgentID, Actor: actor, Action: action, PromotionID: p.ID,
		VersionID: p.VersionID, DraftID: p.DraftID, Detail: detail, At: e.now(),
	})
	if err != nil {
		e.log.Warn("audit", "promotion", p.ID, "err", err)
	}
}
