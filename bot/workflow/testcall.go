package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// TestCallRequest asks for a test call: of a promotion's release (what its
// approvers are shown), of a draft, of a version, or of the live version.
type TestCallRequest struct {
	User, Channel string
	AgentID       string
	AgentName     string
	PromotionID   string
	DraftID       string
	VersionID     string
	Target        string // the draft or version in words, for the thread and the user
	Phone         string // E.164; never logged or posted
}

// TestCallResult is a call that was placed.
type TestCallResult struct {
	ConversationID string
	Target         string // what rang, in words (escaped for mrkdwn)
}

// LimitError refuses a test call over the per-user hourly limit.
type LimitError struct {
	Limit int
	Next  time.Time // when the next call may go
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("you have placed %d test calls in the last hour, the most allowed", e.Limit)
}

// TestCall places a test call for req.User, who must be the promotion's
// requester or someone allowed to approve (for a draft or a version, someone
// allowed to approve). Each user may place TestCallsPerHour calls an hour,
// across replicas; a call the platform refused does not count. A call of a
// promotion's release is noted in the request's thread. Nothing live
// changes, and nothing is retried: a call whose answer was lost may have
// rung.
func (e *Engine) TestCall(ctx context.Context, req TestCallRequest) (TestCallResult, error) {
	creq, p, res, err := e.testCallTarget(ctx, req)
	if err != nil {
		return res, err
	}
	slot, next, err := e.store.TakeTestCall(ctx, req.User, e.cfg.TestCallsPerHour, time.Hour)
	if err != nil {
		return res, fmt.Errorf("count test calls: %w", err)
	}
	if slot == "" {
		return res, &LimitError{Limit: e.cfg.TestCallsPerHour, Next: next}
	}
	call, err := e.atoms.TestCall(ctx, creq)
	if err != nil {
		if !platform.Ambiguous(err) {
			// Refused: nothing rang, so nothing counts.
			if rerr := e.store.ReturnTestCall(context.WithoutCancel(ctx), req.User, slot); rerr != nil {
				e.log.Warn("return a test-call slot", "err", rerr)
			}
		}
		return res, err
	}
	res.ConversationID = call.ConversationID
	e.auditAgent(ctx, creq.AgentID, req.User, "test-call", res.Target+" "+call.ConversationID)
	if p.ID != "" {
		_ = e.threadNote(ctx, p, fmt.Sprintf(":telephone_receiver: %s test-called %s (conversation `%s`).",
			render.Mention(req.User), render.Escape(VersionName(p)), render.Escape(call.ConversationID)))
	}
	return res, nil
}

// MayTestCall says whether req may be placed as far as the bot can tell
// before asking for a number: who asks, and what it calls.
func (e *Engine) MayTestCall(ctx context.Context, req TestCallRequest) error {
	_, _, _, err := e.testCallTarget(ctx, req)
	return err
}

// testCallTarget checks who asks and resolves what is called.
func (e *Engine) testCallTarget(ctx context.Context, req TestCallRequest) (platform.CallRequest, state.Promotion, TestCallResult, error) {
	creq := platform.CallRequest{AgentID: req.AgentID, DraftID: req.DraftID, VersionID: req.VersionID, Phone: req.Phone}
	res := TestCallResult{Target: render.Escape(req.Target)}
	if req.PromotionID == "" {
		if ok, why := e.cfg.Policy.MayApprove(req.User, ""); !ok {
			return creq, state.Promotion{}, res, refused("Only someone who may approve promotions can place test calls. %s", why)
		}
		return creq, state.Promotion{}, res, nil
	}
	p, err := e.store.Promotion(ctx, req.PromotionID)
	if err != nil {
		return creq, p, res, e.lookupErr(err)
	}
	if req.User != p.Requester {
		if ok, _ := e.cfg.Policy.MayApprove(req.User, p.Requester); !ok {
			return creq, p, res, refused("Only the requester (%s) or someone who may approve can test-call this promotion.", render.Mention(p.Requester))
		}
	}
	name := render.Escape(VersionName(p))
	switch p.State {
	case state.Published, state.Activating:
	case state.Requested:
		return creq, p, res, refused("This promotion is still being published; try again in a moment.")
	case state.Failed:
		return creq, p, res, refused("This promotion failed (%s); there is nothing of it to call.", render.Escape(p.Reason))
	default:
		return creq, p, res, refused("This promotion is already %s; there is nothing of it to call.", p.State)
	}
	r := releaseOf(p)
	if r.Check.Outcome() == platform.CheckFailed {
		why := ""
		if r.Check.Reason != "" {
			why = " (" + render.Escape(r.Check.Reason) + ")"
		}
		return creq, p, res, refused("%s failed its security check%s; it cannot be called.", name, why)
	}
	creq.AgentID, creq.Release = p.AgentID, &r
	res.Target = render.Escape(p.AgentName) + " " + name
	return creq, p, res, nil
}
