package state

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Approval is one user's approval of one exact version.
type Approval struct {
	UserID    string
	VersionID string // the version that was shown to the approver
	At        time.Time
}

// KEYS: promotion, approvals. ARGV: user id, "<at ms>|<version id>".
var approveScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return {'NOTFOUND'} end
if st ~= 'published' then return {'CONFLICT', st} end
local added = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
return {'OK', added, redis.call('HGETALL', KEYS[2])}
`)

// Approve records a's approval of promotion promotionID, idempotently per user
// (a double click is one approval: the first record stands), and only while
// the promotion is Published (else *StateConflictError). It returns whether
// the approval was new and all approvals, in one round trip. a.At defaults to now.
func (s *Store) Approve(ctx context.Context, promotionID string, a Approval) (bool, []Approval, error) {
	if a.UserID == "" {
		return false, nil, fmt.Errorf("%w: approval needs a user id", ErrInvalid)
	}
	if a.At.IsZero() {
		a.At = s.now()
	}
	keys := []string{s.promotionKey(promotionID), s.approvalsKey(promotionID)}
	r, err := toReply(approveScript.Run(ctx, s.rdb, keys, a.UserID, ms(a.At)+"|"+a.VersionID).Result())
	if err != nil {
		return false, nil, fmt.Errorf("state: approve %s: %w", promotionID, err)
	}
	switch r.status() {
	case "OK":
		return r.int(1) == 1, approvalsFrom(r.hash(2)), nil
	case "NOTFOUND":
		return false, nil, fmt.Errorf("state: approve %s: %w", promotionID, ErrNotFound)
	case "CONFLICT":
		return false, nil, &StateConflictError{ID: promotionID, Want: Published, Got: PromotionState(r.str(1))}
	}
	return false, nil, fmt.Errorf("state: approve %s: unexpected reply %q", promotionID, r.status())
}

// Approvals lists a promotion's approvals, oldest first.
func (s *Store) Approvals(ctx context.Context, promotionID string) ([]Approval, error) {
	m, err := s.rdb.HGetAll(ctx, s.approvalsKey(promotionID)).Result()
	if err != nil {
		return nil, fmt.Errorf("state: approvals %s: %w", promotionID, err)
	}
	return approvalsFrom(m), nil
}

// CountFor counts the approvals bound to exactly versionID.
func CountFor(all []Approval, versionID string) int {
	n := 0
	for _, a := range all {
		if a.VersionID == versionID {
			n++
		}
	}
	return n
}

// approvalsFrom decodes the approvals hash (user → "<at ms>|<version id>"),
// oldest first (ties by user id, so the order is stable).
func approvalsFrom(m map[string]string) []Approval {
	out := make([]Approval, 0, len(m))
	for user, v := range m {
		at, version, _ := strings.Cut(v, "|")
		out = append(out, Approval{UserID: user, VersionID: version, At: fromMS(at)})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].UserID < out[j].UserID
	})
	return out
}
