package state

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// PromotionRecord is one promotion or rollback as the agent's audit stream
// tells it: what the workflow wrote at each step, put back together.
type PromotionRecord struct {
	PromotionID string
	Kind        Kind
	Requester   string // Slack user id
	Label       string
	VersionID   string // "" until the version is known
	Version     string // how commands name it ("v4", "branch/v2"); "" when no entry named it
	Approvers   []string
	ApprovedAt  []time.Time // when each approver approved, in the order of Approvers
	// Outcome is the state it ended in (Live or a terminal one); "" while
	// it is in flight.
	Outcome     PromotionState
	EndedBy     string // who rejected or cancelled ("atomsbot" for the bot's own ends)
	Reason      string // why it ended, when it did not go live
	RequestedAt time.Time
	PublishedAt time.Time
	EndedAt     time.Time // when it went live or ended
}

// Audit actions a promotion writes besides its kind ("promote",
// "rollback") and the states it ends in.
const (
	AuditApprove   = "approve"
	AuditPublished = "published"
)

// maxHistoryPage bounds one XREVRANGE of PromotionHistory.
const maxHistoryPage = 300

// PromotionHistory returns the agent's latest n promotions and rollbacks,
// newest first, rebuilt from its audit stream. It reads the stream backwards
// (XREVRANGE) in pages sized for n promotions, and stops at the n-th start
// entry: every later entry of those promotions is newer, so already read.
// It never reads more than the stream's cap (WithAuditMaxLen). Promotions
// whose start was trimmed from the stream are not returned.
func (s *Store) PromotionHistory(ctx context.Context, agentID string, n int) ([]PromotionRecord, error) {
	if n <= 0 {
		return nil, nil
	}
	// A promotion writes about six entries: its start, the publish, an
	// approval or two, its end; watch notices add a few more.
	page := int64(min(max(n*8, 40), maxHistoryPage))
	byID := map[string]*PromotionRecord{}
	var order []string
	end := "+"
	for read := int64(0); len(order) < n && read < s.auditMaxLen+page; {
		msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(agentID), end, "-", page).Result()
		if err != nil {
			return nil, fmt.Errorf("state: promotion history %s: %w", agentID, err)
		}
		for _, m := range msgs {
			id := str(m, "promotion")
			if id == "" {
				continue // not a promotion's step (a watch notice)
			}
			r := byID[id]
			if r == nil {
				r = &PromotionRecord{PromotionID: id}
				byID[id] = r
			}
			if addStep(r, m) && len(order) < n {
				order = append(order, id)
			}
		}
		if int64(len(msgs)) < page {
			break
		}
		end = "(" + msgs[len(msgs)-1].ID
		read += int64(len(msgs))
	}
	out := make([]PromotionRecord, 0, len(order))
	for _, id := range order {
		r := byID[id]
		// Approvals were read newest first.
		slices.Reverse(r.Approvers)
		slices.Reverse(r.ApprovedAt)
		out = append(out, *r)
	}
	return out, nil
}

// addStep folds one audit entry (read newest first) into r; it reports
// whether the entry was the promotion's start.
func addStep(r *PromotionRecord, m redis.XMessage) bool {
	action, actor, detail := str(m, "action"), str(m, "actor"), str(m, "detail")
	at := fromMS(str(m, "at"))
	if v := str(m, "version"); v != "" && r.VersionID == "" {
		r.VersionID = v
	}
	switch st := PromotionState(action); {
	case action == string(KindPromote) || action == string(KindRollback):
		r.Kind, r.Requester, r.Label, r.RequestedAt = Kind(action), actor, detail, at
		return true
	case action == AuditPublished:
		r.PublishedAt = at
		if r.Version == "" {
			r.Version = detail
		}
	case action == AuditApprove:
		r.Approvers = append(r.Approvers, actor)
		r.ApprovedAt = append(r.ApprovedAt, at)
	case st == Live:
		r.Outcome, r.EndedAt = Live, at
		if detail != "" {
			r.Version = detail // the name it went live under
		}
	case st.Terminal():
		r.Outcome, r.EndedBy, r.Reason, r.EndedAt = st, actor, detail, at
	}
	return false
}

func str(m redis.XMessage, k string) string {
	v, _ := m.Values[k].(string)
	return v
}
