package state

import (
	"errors"
	"fmt"
)

// Sentinels callers branch on with errors.Is.
var (
	// ErrNotFound: the promotion or session does not exist (or has expired).
	ErrNotFound = errors.New("state: not found")
	// ErrNotOwner: the caller's lease on a due-queue item was lost (another
	// poller claimed it after the lease expired, or it was completed).
	ErrNotOwner = errors.New("state: lease not held by this owner")
	// ErrIllegalTransition: the state machine has no such edge. Redis is not touched.
	ErrIllegalTransition = errors.New("state: illegal transition")
	// ErrDuplicate: a promotion with that id already exists.
	ErrDuplicate = errors.New("state: duplicate id")
	// ErrInvalid: the arguments cannot be stored (missing id, bad kind or state…).
	ErrInvalid = errors.New("state: invalid argument")
)

// LockedError: the agent already has a promotion in flight.
type LockedError struct {
	AgentID  string
	HolderID string // the promotion (or other owner) holding the agent's lock
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("state: agent %s already has a promotion in flight (%s)", e.AgentID, e.HolderID)
}

// StateConflictError: a compare-and-set found the promotion in another state
// than the caller expected — someone else moved it first.
type StateConflictError struct {
	ID   string
	Want PromotionState
	Got  PromotionState
}

func (e *StateConflictError) Error() string {
	return fmt.Sprintf("state: promotion %s is %s, not %s", e.ID, e.Got, e.Want)
}
