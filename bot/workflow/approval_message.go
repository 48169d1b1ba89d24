package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
	"github.com/slack-go/slack"
)

// Diff layout of the approval message: page 1 sits in the message, the rest
// goes to its thread.
const (
	approvalDiffBudget = 8000 // leaves room for the header, fields and buttons
	maxDiffPages       = 20   // beyond this the last page says what was cut
)

func diffBlobKey(id string) string { return "approval-diff:" + id }

// view builds what the approval message shows from the stored promotion and
// what was kept for its message.
func (e *Engine) view(p state.Promotion, approvals []state.Approval, sd storedDiff) render.ApprovalView {
	var approvers []string
	for _, a := range approvals {
		if a.VersionID == p.ApprovalKey() {
			approvers = append(approvers, a.UserID)
		}
	}
	return render.ApprovalView{
		PromotionID: p.ID, AgentName: p.AgentName, Kind: string(p.Kind),
		VersionID: p.ApprovalKey(), VersionNumber: p.VersionNumber, VersionRef: p.VersionRef, Label: p.Label,
		Requester: p.Requester, State: string(p.State),
		CheckStatus: p.CheckStatus, CheckReason: p.CheckReason,
		Approvals: approvers, Required: e.cfg.Policy.Required,
		Approvers: e.cfg.Policy.Approvers, AllowSelf: e.cfg.Policy.AllowSelf,
		ExpiresAt: p.CreatedAt.Add(e.cfg.Policy.TTL), Reason: p.Reason, EndedBy: p.EndedBy,
		RequestedAt: p.CreatedAt, LiveAt: p.ActivatedAt,
		Context: sd.context(e.cfg.DashboardURL, p.AgentID),
		Diff:    sd.Blocks.BlockSet, DiffNote: sd.Note,
	}
}

// storedDiff is page 1 of the approval diff as kept in Redis, so updates of
// the message do not ask Atoms for the diff again.
type storedDiff struct {
	Blocks slack.Blocks `json:"blocks"`
	Note   string       `json:"note"`
	// Context is the request's context (kept with the diff so an update
	// reads one key).
	Context *render.RequestContext `json:"context,omitempty"`
}

func (sd storedDiff) context(dashboard, agentID string) render.RequestContext {
	var c render.RequestContext
	if sd.Context != nil {
		c = *sd.Context
	}
	c.Dashboard = render.DashboardLink(dashboard, agentID)
	return c
}

// requestAttempt names the tries of a promotion's approval request.
func requestAttempt(id string) string { return "request:" + id }

// postApproval posts the approval request once (guarded by a short lock so a
// slow creator and a poller that took over cannot both post, and tagged so a
// post whose answer was lost is found, not repeated) and records its ts.
func (e *Engine) postApproval(ctx context.Context, p state.Promotion, approvals []state.Approval) (state.Promotion, error) {
	release, err := e.exclusive(ctx, "approval-message:"+p.ID)
	if err != nil {
		return p, err
	}
	defer release()
	if cur, err := e.store.Promotion(ctx, p.ID); err == nil && cur.MessageTS != "" {
		return cur, nil
	}

	pages, full := e.diffPages(ctx, p)
	rc := e.requestContext(ctx, p.ID)
	sd := storedDiff{Context: &rc}
	if len(pages) > 0 {
		sd.Blocks.BlockSet = pages[0].Blocks
		if len(pages) > 1 {
			sd.Note = "The diff continues in the thread (" + render.Count(len(pages)-1, "more message", "more messages") + ")."
		}
	}
	if b, err := json.Marshal(sd); err == nil {
		if err := e.store.PutBlob(ctx, diffBlobKey(p.ID), b, e.cfg.Policy.TTL+e.cfg.CheckTimeout+time.Hour); err != nil {
			e.log.Warn("keep approval diff", "promotion", p.ID, "err", err)
		}
	}
	m := render.Approval(e.view(p, approvals, sd))
	m.Tag = &render.Tag{Event: render.TagRequest, Key: p.ID}
	ts, err := e.postOnce(ctx, requestAttempt(p.ID), p.Channel, m)
	if err != nil {
		return p, fmt.Errorf("post approval request: %w", err)
	}
	np, err := e.patchAnyState(ctx, p, state.Patch{MessageTS: &ts})
	if err != nil {
		return p, fmt.Errorf("record approval message: %w", err)
	}
	if np.State.Done() {
		// It ended while the request was being posted, and its final look
		// went nowhere: give the request its final look now.
		_ = e.refreshMessage(ctx, np, nil)
	}
	e.postThreadDiff(ctx, p.Channel, ts, pages, full, p.AgentName)
	return np, nil
}

// diffPages renders the diff of the promoted version against the version that
// was active when the promotion was requested (see threadDiff).
func (e *Engine) diffPages(ctx context.Context, p state.Promotion) (pages []render.Message, full string) {
	title := fmt.Sprintf("Changes in %s %s", p.AgentName, VersionName(p))
	if p.PreviousVersionID == "" || p.PreviousVersionID == p.VersionID {
		return nil, ""
	}
	d, err := e.atoms.DiffRelease(ctx, releaseOf(p))
	if err != nil {
		e.log.Warn("diff for approval message", "promotion", p.ID, "err", err)
		return []render.Message{render.Note("_The diff could not be loaded: " + render.Escape(platform.Explain(err)) + "_")}, ""
	}
	return threadDiff(title, d)
}

// threadDiff renders d for a channel message and its thread: page 1 goes in
// the message (with room kept for its own blocks), the rest as replies. When
// even that many replies cannot hold it, full is the whole diff as text, to
// go up as a file so nothing is out of reach.
func threadDiff(title string, d platform.Diff) (pages []render.Message, full string) {
	opt := render.DiffOptions{Budget: approvalDiffBudget, ReserveBlocks: 8}
	if pages = render.Diff(title, d, opt); len(pages) <= maxDiffPages {
		return pages, ""
	}
	opt.MaxPages = maxDiffPages
	return render.Diff(title, d, opt), render.DiffText(title, d)
}

// postThreadDiff posts the diff's later pages (and the file, when it was
// cut) in the thread of the message at ts.
func (e *Engine) postThreadDiff(ctx context.Context, channel, ts string, pages []render.Message, full, name string) {
	for i, page := range pages[min(1, len(pages)):] {
		if _, err := e.slack.Post(ctx, channel, ts, page); err != nil {
			e.log.Warn("post diff page", "channel", channel, "page", i+2, "err", err)
			return
		}
	}
	if full != "" {
		if err := e.slack.Upload(ctx, channel, ts, name+"-diff.txt", "Full diff of "+name, full); err != nil {
			e.log.Warn("upload full diff", "channel", channel, "err", err)
		}
	}
}

// patchAnyState applies a state-independent patch (the message ts) whatever
// state the promotion is in by now.
func (e *Engine) patchAnyState(ctx context.Context, p state.Promotion, patch state.Patch) (state.Promotion, error) {
	for range 3 {
		np, err := e.store.Update(ctx, p.ID, p.State, patch)
		if err == nil {
			return np, nil
		}
		cur, rerr := e.store.Promotion(ctx, p.ID)
		if rerr != nil {
			return p, err
		}
		p = cur
	}
	return p, fmt.Errorf("promotion %s keeps changing state", p.ID)
}

// refreshMessage re-renders the approval message from the stored state.
//
// Refreshes run concurrently (the approval handler, the poller, other
// replicas) and may reach Slack out of order, so after each update the state
// is read again and, if it moved on, rendered again: whichever update lands
// last is followed by one showing the state as it is.
func (e *Engine) refreshMessage(ctx context.Context, p state.Promotion, approvals []state.Approval) error {
	if cur, all, err := e.store.PromotionWithApprovals(ctx, p.ID); err == nil {
		p, approvals = cur, all
	}
	if p.MessageTS == "" || e.messageGone(ctx, p.ID) != "" {
		return nil
	}
	var sd storedDiff
	if b, err := e.store.Blob(ctx, diffBlobKey(p.ID)); err == nil {
		_ = json.Unmarshal(b, &sd)
	}
	shown := e.view(p, approvals, sd)
	for range 3 {
		if err := e.slack.Update(ctx, p.Channel, p.MessageTS, render.Approval(shown)); err != nil {
			if slackerr.Permanent(err) {
				e.messageLost(ctx, p, err)
				return nil
			}
			e.log.Warn("update approval message", "promotion", p.ID, "err", err)
			return fmt.Errorf("update approval message: %w", err)
		}
		cur, all, err := e.store.PromotionWithApprovals(ctx, p.ID)
		if err != nil {
			return nil
		}
		now := e.view(cur, all, sd)
		if reflect.DeepEqual(now, shown) {
			return nil
		}
		p, shown = cur, now
	}
	return nil
}

func messageGoneKey(id string) string { return "approval-gone:" + id }

// messageGone says why the approval message can no longer be used (a
// slackerr kind: "no-message" when it was deleted, "no-channel" when the
// bot cannot use the channel, …), "" while it can.
func (e *Engine) messageGone(ctx context.Context, id string) string {
	b, err := e.store.Blob(ctx, messageGoneKey(id))
	if err != nil {
		return ""
	}
	return string(b)
}

// messageLost stops the updates of an approval message Slack refuses for
// good: deleted, in a channel the bot left, or refused outright. It is
// logged once, here; the refusals that concern the message itself are
// remembered, so no later update is tried.
func (e *Engine) messageLost(ctx context.Context, p state.Promotion, err error) {
	e.slackFailed("approval message can no longer be updated", err, "promotion", p.ID, "channel", p.Channel)
	se, _ := slackerr.As(err)
	if se == nil || se.Kind == slackerr.Invalid {
		return // the next state renders another message
	}
	e.markGone(ctx, p.ID, se.Kind)
}

// markGone records that the promotion's approval message (or its channel)
// cannot be used any more, and why.
func (e *Engine) markGone(ctx context.Context, id string, why slackerr.Kind) {
	if err := e.store.PutBlob(ctx, messageGoneKey(id), []byte(why.String()), e.cfg.Policy.TTL+e.cfg.CheckTimeout+time.Hour); err != nil {
		e.log.Warn("remember the approval message is gone", "promotion", id, "err", err)
	}
}

// unposted ends a promotion whose approval request Slack will never take
// (the bot is not in the channel, say): the request cannot be shown, so
// nobody can approve it. Nothing more is posted in that channel; the caller
// tells the requester through the command's response_url. It returns the
// Slack error for that.
func (e *Engine) unposted(ctx context.Context, p state.Promotion, err error) (time.Time, error) {
	e.slackFailed("approval request not posted; the promotion ends", err, "promotion", p.ID, "channel", p.Channel)
	if se, ok := slackerr.As(err); ok && se.Kind != slackerr.Invalid {
		e.markGone(ctx, p.ID, se.Kind)
	}
	np, eerr := e.end(ctx, p, state.Failed, unpostable(err), "")
	if eerr != nil {
		return e.soon(), eerr
	}
	if next, _ := e.ended(np, nil); !next.IsZero() {
		return next, err
	}
	return time.Time{}, err
}
