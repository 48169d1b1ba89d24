package state

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// AuditEntry is one line of an agent's audit log: who did what.
type AuditEntry struct {
	AgentID     string
	Actor       string // Slack user id, or "atomsbot" for the bot's own steps
	Action      string // e.g. "promote", "approve", "activate"
	PromotionID string
	VersionID   string
	Detail      string
	// DraftID is the draft a promotion or an edit is of ("" for others).
	DraftID string
	// Revision is the draft revision an edit produced (0 for other actions).
	Revision int
	At       time.Time
}

func (s *Store) auditKey(agentID string) string { return s.key("audit", agentID) }

// Audit appends e to its agent's stream, capped at about the configured length
// (WithAuditMaxLen). At defaults to now.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	if e.AgentID == "" {
		return fmt.Errorf("%w: audit entry needs an agent id", ErrInvalid)
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	err := s.rdb.XAdd(ctx, &redis.XAddArgs{
		Stream: s.auditKey(e.AgentID),
		MaxLen: s.auditMaxLen,
		Approx: true,
		Values: []any{
			"actor", e.Actor, "action", e.Action, "promotion", e.PromotionID,
			"version", e.VersionID, "detail", e.Detail, "at", ms(e.At),
			"draft", e.DraftID, "rev", strconv.Itoa(e.Revision),
		},
	}).Err()
	if err != nil {
		return fmt.Errorf("state: audit %s: %w", e.AgentID, err)
	}
	return nil
}

// AuditLog returns up to n of agentID's latest entries, newest first.
func (s *Store) AuditLog(ctx context.Context, agentID string, n int) ([]AuditEntry, error) {
	if n <= 0 {
		return nil, nil
	}
	msgs, err := s.rdb.XRevRangeN(ctx, s.auditKey(agentID), "+", "-", int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("state: audit log %s: %w", agentID, err)
	}
	out := make([]AuditEntry, 0, len(msgs))
	for _, m := range msgs {
		str := func(k string) string { v, _ := m.Values[k].(string); return v }
		rev, _ := strconv.Atoi(str("rev")) // absent in entries written before it was kept
		out = append(out, AuditEntry{
			AgentID: agentID, Actor: str("actor"), Action: str("action"),
			PromotionID: str("promotion"), VersionID: str("version"),
			Detail: str("detail"), DraftID: str("draft"), Revision: rev, At: fromMS(str("at")),
		})
	}
	return out, nil
}
