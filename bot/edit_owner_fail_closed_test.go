package bot

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// stallHook makes the next n reads of an edit session hang until their
// context ends, as a Redis that stopped answering does.
type stallHook struct{ n atomic.Int32 }

func (s *stallHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (s *stallHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() == "get" && strings.Contains(cmd.String(), ":session:") && s.n.Add(-1) >= 0 {
			<-ctx.Done()
			cmd.SetErr(ctx.Err())
			return ctx.Err()
		}
		return next(ctx, cmd)
	}
}

func (s *stallHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// stallSessions installs a stallHook on the harness's Redis and makes the
// ack path give up on it at once, so no test waits for the real bound.
func (h *harness) stallSessions(n int32) {
	hook := &stallHook{}
	hook.n.Store(n)
	h.rdb.AddHook(hook)
	h.bot.handler.cfg.AckReadTimeout = time.Millisecond
}

// TestEditOwnerCheckFailsClosed: when Redis does not answer the owner check
// in time, the submission is refused and nothing is saved, whoever sent it;
// the form stays open with an error under its first input.
func TestEditOwnerCheckFailsClosed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range []struct{ name, user string }{
			{"another user's submission", bob},
			{"the owner's own submission", alice},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, b)
				f := h.openEdit(alice, "support-concierge")
				h.stallSessions(1)
				rec := h.submit(tc.user, f, map[string]string{"firstMessage": tc.user + " was here"})
				h.bot.drain()
				var body struct {
					ResponseAction string            `json:"response_action"`
					Errors         map[string]string `json:"errors"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ResponseAction != "errors" {
					t.Errorf("ack = %d %s, want field errors", rec.Code, rec.Body)
				}
				if msg := body.Errors[f.blockIDs[0]]; !strings.Contains(msg, "nothing was saved") {
					t.Errorf("error under %s = %q", f.blockIDs[0], msg)
				}
				if n := len(h.patches()); n != 0 || h.sim.CountCalls("POST", "/agent/*/drafts") != 0 {
					t.Errorf("saved without the owner check (%d patches):%s", n, h.dump())
				}
				if _, err := h.bot.store.Session(context.Background(), f.meta); err != nil {
					t.Errorf("the owner's session is gone: %v", err)
				}
			})
		}
	})
}

// TestEditClosedOnlyByItsOwner: view_closed forgets an edit session only
// when its owner closed the form.
func TestEditClosedOnlyByItsOwner(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range []struct {
			name, user, viewID string
			forgotten          bool
		}{
			{"another user", bob, "", false},
			{"another view", alice, "VOTHER", false},
			{"the owner", alice, "", true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, b)
				f := h.openEdit(alice, "support-concierge")
				view := tc.viewID
				if view == "" {
					view = f.view.ID
				}
				h.bot.interact(map[string]any{"type": "view_closed", "user": map[string]any{"id": tc.user},
					"view": map[string]any{"id": view, "callback_id": EditCallbackID, "private_metadata": f.meta}})
				_, err := h.bot.store.Session(context.Background(), f.meta)
				if gone := err != nil; gone != tc.forgotten {
					t.Errorf("session forgotten = %t (%v), want %t", gone, err, tc.forgotten)
				}
			})
		}
	})
}
