package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// Policy is who may approve and how many approvals a promotion needs.
type Policy struct {
	Required  int           // distinct approvals needed (APPROVALS_REQUIRED)
	Approvers []string      // Slack user ids allowed to approve; empty: anyone except the requester
	AllowSelf bool          // the requester's own approval counts (ALLOW_SELF_APPROVAL)
	TTL       time.Duration // a promotion not approved by then expires (APPROVAL_TTL)
}

// MayApprove says whether user may approve (or reject) a promotion requested
// by requester, and if not, why — in words for the user.
func (p Policy) MayApprove(user, requester string) (bool, string) {
	if user == requester && !p.AllowSelf {
		return false, "You requested this promotion, and self-approval is turned off: someone else has to approve it."
	}
	if len(p.Approvers) > 0 && !slices.Contains(p.Approvers, user) {
		return false, "You are not on the list of approvers for promotions (" + render.MentionList(p.Approvers) + ")."
	}
	return true, ""
}

// RefusedError is a user action that was refused and changed nothing; its
// message is meant for the user who acted.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

func refused(format string, args ...any) error {
	return &RefusedError{Msg: fmt.Sprintf(format, args...)}
}

// ApprovalResult tells the approver what their click did.
type ApprovalResult struct {
	Promotion state.Promotion
	Count     int  // approvals of this version so far
	Added     bool // false: this user had already approved
	Complete  bool // enough approvals
}

// Approve records user's approval of versionID (the version shown on the
// button) for promotion id. Refusals are *RefusedError and change nothing.
func (e *Engine) Approve(ctx context.Context, id, versionID, user string) (ApprovalResult, error) {
	p, _, err := e.store.PromotionWithApprovals(ctx, id)
	if err != nil {
		return ApprovalResult{}, e.lookupErr(err)
	}
	if err := e.checkOpen(p, versionID); err != nil {
		return ApprovalResult{}, err
	}
	if ok, why := e.cfg.Policy.MayApprove(user, p.Requester); !ok {
		return ApprovalResult{}, &RefusedError{Msg: why}
	}
	if !e.now().Before(e.expiry(p)) {
		// The poller has not ended it yet; an approval now would be
		// answered "activating" and then expire.
		return ApprovalResult{}, refused("This promotion expired (it was not approved within %s); your approval was not recorded.", e.cfg.Policy.TTL)
	}
	added, all, err := e.store.Approve(ctx, id, state.Approval{UserID: user, VersionID: p.ApprovalKey(), At: e.now()})
	if err != nil {
		var sc *state.StateConflictError
		if errors.As(err, &sc) {
			return ApprovalResult{}, refused("This promotion is already %s; your approval was not recorded.", sc.Got)
		}
		return ApprovalResult{}, err
	}
	res := ApprovalResult{Promotion: p, Count: state.CountFor(all, p.ApprovalKey()), Added: added}
	res.Complete = res.Count >= e.cfg.Policy.Required
	if !added {
		return res, nil
	}
	if res.Complete {
		// Activation should follow at once when the check already passed, not at
		// the next slow poll: make the promotion due now — before the posts
		// below, which wait for Slack.
		if err := e.store.Poke(ctx, state.PromotionItem(id)); err != nil {
			e.log.Warn("poke after approval", "promotion", id, "err", err)
		}
		e.nudge()
	}
	e.audit(ctx, p, user, "approve", fmt.Sprintf("%d of %d", res.Count, e.cfg.Policy.Required))
	_ = e.threadNoteAt(ctx, p, fmt.Sprintf(":thumbsup: Approved by %s (%d of %d).", render.Mention(user), res.Count, e.cfg.Policy.Required), e.now())
	_ = e.refreshMessage(ctx, p, all)
	return res, nil
}

// Reject ends the promotion, with the rejecter's reason ("" for none). The
// requester's own Reject withdraws it (cancelled); anyone else must be
// allowed to approve.
func (e *Engine) Reject(ctx context.Context, id, versionID, user, reason string) (state.Promotion, error) {
	p, err := e.store.Promotion(ctx, id)
	if err != nil {
		return p, e.lookupErr(err)
	}
	if err := e.MayReject(p, versionID, user); err != nil {
		return p, err
	}
	to := state.Rejected
	if user == p.Requester {
		to, reason = state.Cancelled, cmp.Or(reason, "withdrawn by the requester")
	}
	return e.endByUser(ctx, p, to, reason, user)
}

// MayReject says whether user's Reject of versionID would be taken now,
// from the stored promotion alone (the click that opens the reason form
// has to answer within Slack's 3 s).
func (e *Engine) MayReject(p state.Promotion, versionID, user string) error {
	if err := e.checkOpen(p, versionID); err != nil {
		return err
	}
	if user == p.Requester {
		return nil
	}
	if ok, msg := e.cfg.Policy.MayApprove(user, p.Requester); !ok {
		return &RefusedError{Msg: msg}
	}
	return nil
}

// Clicked reads the promotion a button of an approval request names, and
// refuses when the click did not come from that promotion's own request
// (channel and message): a button value alone proves nothing.
func (e *Engine) Clicked(ctx context.Context, id, channel, messageTS string) (state.Promotion, error) {
	p, err := e.store.Promotion(ctx, id)
	if err != nil {
		return p, e.lookupErr(err)
	}
	if p.Channel == channel && p.MessageTS == "" && messageTS != "" {
		// Posted, but its ts is not recorded yet.
		return p, refused("This request is still being set up; nothing changed. Please click again in a moment.")
	}
	if p.Channel != channel || p.MessageTS == "" || p.MessageTS != messageTS {
		return p, refused("That button does not belong to this promotion's approval request; nothing changed.")
	}
	return p, nil
}

// Cancel ends the promotion in flight for agentID, before activation starts.
// Only the requester or someone allowed to approve may cancel.
func (e *Engine) Cancel(ctx context.Context, agentID, agentName, user string) (state.Promotion, error) {
	holder, err := e.store.LockHolder(ctx, state.AgentLock(agentID))
	if err != nil {
		return state.Promotion{}, err
	}
	if holder == "" {
		return state.Promotion{}, refused("%s has no promotion in flight.", render.Escape(agentName))
	}
	p, err := e.store.Promotion(ctx, holder)
	if err != nil {
		return p, e.lookupErr(err)
	}
	if user != p.Requester {
		if ok, _ := e.cfg.Policy.MayApprove(user, p.Requester); !ok {
			return p, refused("Only the requester (%s) or an approver can cancel this promotion.", render.Mention(p.Requester))
		}
	}
	return e.cancel(ctx, p, user)
}

// CancelRequest is the requester's Cancel button on their own request: the
// same ending as /atoms cancel. Anyone else is told, politely, that it is
// not theirs to cancel.
func (e *Engine) CancelRequest(ctx context.Context, p state.Promotion, user string) (state.Promotion, error) {
	if user != p.Requester {
		return p, refused("Only %s, who requested it, can cancel this request. If it should not go live, use Reject instead.", render.Mention(p.Requester))
	}
	return e.cancel(ctx, p, user)
}

func (e *Engine) cancel(ctx context.Context, p state.Promotion, user string) (state.Promotion, error) {
	if p.State == state.Activating {
		return p, refused("Activation of %s has already started; it can no longer be cancelled.", render.Escape(p.AgentName))
	}
	return e.endByUser(ctx, p, state.Cancelled, "", user)
}

func (e *Engine) endByUser(ctx context.Context, p state.Promotion, to state.PromotionState, reason, user string) (state.Promotion, error) {
	if p.State != state.Requested && p.State != state.Published {
		return p, refused("This promotion is already %s; nothing changed.", p.State)
	}
	np, err := e.end(ctx, p, to, reason, user)
	var sc *state.StateConflictError
	if errors.As(err, &sc) {
		return p, refused("This promotion is already %s; nothing changed.", sc.Got)
	}
	if err == nil {
		// The due item only needs completing now; let the poller see it soon.
		_ = e.store.Poke(ctx, state.PromotionItem(p.ID))
	}
	return np, err
}

// checkOpen refuses actions on promotions that no longer take approvals, and
// approvals for a version other than the one shown.
func (e *Engine) checkOpen(p state.Promotion, versionID string) error {
	switch p.State {
	case state.Published:
	case state.Requested:
		return refused("This promotion is still being published; try again in a moment.")
	case state.Activating:
		return refused("This promotion is already being activated; nothing changed.")
	default:
		return refused("This promotion is already %s; nothing changed.", p.State)
	}
	if versionID != p.ApprovalKey() {
		return refused("This button is for a different version than the one being promoted; nothing changed.")
	}
	return nil
}

func (e *Engine) lookupErr(err error) error {
	if errors.Is(err, state.ErrNotFound) {
		return refused("That promotion no longer exists.")
	}
	return err
}
