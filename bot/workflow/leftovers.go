package workflow

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/state"
)

// storeTimeout bounds the Redis bookkeeping around a step (reschedule,
// release of a guard or of unstarted items). It runs on a fresh context: the
// step's own may have run out, and the bookkeeping is what hands the item on.
const storeTimeout = 3 * time.Second

// leftovers remembers what a Redis command whose answer never came (a
// timeout while Redis was slow or frozen; the command may still have run) may
// have left held by this replica, so the next poll settles it instead of
// everyone waiting for a lease or lock to lapse:
//   - a claim: repeated with its token, it returns the items it leased;
//   - a reschedule or completion: repeated (ErrNotOwner: it did get through);
//   - a guard's acquire or release: the next take of that guard uses the same
//     owner, which re-enters it.
type leftovers struct {
	mu     sync.Mutex
	claim  string                   // token of a claim whose answer was lost
	owed   map[string]time.Time     // item → next look; zero: complete
	guards map[string]guardLeftover // guard name → owner that may hold it
}

type guardLeftover struct {
	owner string
	at    time.Time
}

// claimToken is the token for the next claim: a lost one's, else a new one.
func (l *leftovers) claimToken() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claim == "" {
		l.claim = randomID(8)
	}
	return l.claim
}

// claimAnswered retires the token: the claim's answer arrived.
func (l *leftovers) claimAnswered() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.claim = ""
}

func (l *leftovers) owe(item string, next time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owed == nil {
		l.owed = map[string]time.Time{}
	}
	l.owed[item] = next
}

func (l *leftovers) takeOwed() map[string]time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	o := l.owed
	l.owed = nil
	return o
}

// guardOwner is the owner to take guard name with: one whose acquire or
// release got no answer within ttl, else a fresh one. It is handed out once.
func (l *leftovers) guardOwner(name, fresh string, now time.Time, ttl time.Duration) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	g, ok := l.guards[name]
	delete(l.guards, name)
	if ok && now.Sub(g.at) < ttl {
		return g.owner
	}
	return fresh
}

// lostGuard notes that owner may hold guard name without knowing it.
// Entries older than ttl have lapsed in Redis and are dropped.
func (l *leftovers) lostGuard(name, owner string, now time.Time, ttl time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.guards == nil {
		l.guards = map[string]guardLeftover{}
	}
	for n, g := range l.guards {
		if now.Sub(g.at) >= ttl {
			delete(l.guards, n)
		}
	}
	l.guards[name] = guardLeftover{owner: owner, at: now}
}

// settle hands on the items a step finished with but could not reschedule
// or complete. ErrNotOwner means the earlier attempt got through after all
// (or the lease lapsed and someone else has the item): nothing is owed.
func (e *Engine) settle(ctx context.Context) {
	for item, next := range e.left.takeOwed() {
		if err := e.handOn(ctx, item, next); err != nil && !errors.Is(err, state.ErrNotOwner) {
			e.log.Warn("reschedule", "item", item, "err", err)
			e.left.owe(item, next)
		}
	}
}

// handOn reschedules item to next (completes it when next is zero) on a
// fresh context bounded by storeTimeout.
func (e *Engine) handOn(ctx context.Context, item string, next time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if next.IsZero() {
		return e.store.Complete(ctx, e.cfg.Owner, item)
	}
	return e.store.Reschedule(ctx, e.cfg.Owner, item, next)
}
