package state

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// EditSession is the context behind an open edit modal.
type EditSession struct {
	ID        string `json:"id"`
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName,omitempty"`
	DraftID   string `json:"draftId"` // "" until saving creates the draft
	DraftName string `json:"draftName,omitempty"`
	NewName   string `json:"newName,omitempty"` // the name a draft created by saving gets
	// FromID and FromRef name the published version a new draft is forked
	// from ("" for a draft from the live version): saving creates it even
	// when no field changed.
	FromID       string `json:"fromId,omitempty"`
	FromRef      string `json:"fromRef,omitempty"`
	WorkflowType string `json:"workflowType,omitempty"`
	Revision     int    `json:"revision"` // the draft's revision when the modal opened (shown)
	// Basis is the platform's record of what the form was read from; a save
	// hands it back so edits made since are not overwritten.
	Basis     string            `json:"basis,omitempty"`
	Channel   string            `json:"channel,omitempty"`
	UserID    string            `json:"userId,omitempty"`
	ViewID    string            `json:"viewId,omitempty"`
	Original  map[string]string `json:"original,omitempty"` // field → value shown in the modal
	CreatedAt time.Time         `json:"createdAt"`
}

func (s *Store) sessionKey(id string) string { return s.key("session", id) }

// PutSession stores es for ttl (Redis expiry), replacing any session with the
// same id. CreatedAt defaults to now.
func (s *Store) PutSession(ctx context.Context, es EditSession, ttl time.Duration) error {
	if es.ID == "" || ttl <= 0 {
		return fmt.Errorf("%w: session needs an id and a positive ttl", ErrInvalid)
	}
	if es.CreatedAt.IsZero() {
		es.CreatedAt = s.now()
	}
	b, err := json.Marshal(es)
	if err != nil {
		return fmt.Errorf("state: session %s: %w", es.ID, err)
	}
	if err := s.rdb.Set(ctx, s.sessionKey(es.ID), b, ttl).Err(); err != nil {
		return fmt.Errorf("state: session %s: %w", es.ID, err)
	}
	return nil
}

// Session reads a session; ErrNotFound when it is unknown or expired.
func (s *Store) Session(ctx context.Context, id string) (EditSession, error) {
	b, err := s.rdb.Get(ctx, s.sessionKey(id)).Bytes()
	if isNil(err) {
		return EditSession{}, fmt.Errorf("state: session %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return EditSession{}, fmt.Errorf("state: session %s: %w", id, err)
	}
	var es EditSession
	if err := json.Unmarshal(b, &es); err != nil {
		return EditSession{}, fmt.Errorf("state: session %s: %w", id, err)
	}
	return es, nil
}

// DeleteSession forgets a session; deleting an unknown one is not an error.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	if err := s.rdb.Del(ctx, s.sessionKey(id)).Err(); err != nil {
		return fmt.Errorf("state: delete session %s: %w", id, err)
	}
	return nil
}
