package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
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

// view builds what the approval message shows from the stored promotion.
func (e *Engine) view(p state.Promotion, approvals []state.Approval, diff []slack.Block, note string) render.ApprovalView {
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
		Diff: diff, DiffNote: note,
	}
}

// storedDiff is page 1 of the approval diff as kept in Redis, so updates of
// the message do not ask Atoms for the diff again.
type storedDiff struct {
	Blocks slack.Blocks `json:"blocks"`
	Note   string       `json:"note"`
}

// postApproval posts the approval request once (guarded by a short lock so a
// slow creator and a poller that took over cannot both post) and records its ts.
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
	sd := storedDiff{}
	if len(pages) > 0 {
		sd.Blocks.BlockSet = pages[0].Blocks
		if len(pages) > 1 {
			sd.Note = fmt.Sprintf("The diff continues in the thread (%d more message(s)).", len(pages)-1)
		}
	}
	if b, err := json.Marshal(sd); err == nil {
		if err := e.store.PutBlob(ctx, diffBlobKey(p.ID), b, e.cfg.Policy.TTL+e.cfg.CheckTimeout+time.Hour); err != nil {
			e.log.Warn("keep approval diff", "promotion", p.ID, "err", err)
		}
	}
	ts, err := e.slack.Post(ctx, p.Channel, "", render.Approval(e.view(p, approvals, sd.Blocks.BlockSet, sd.Note)))
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
	if p.MessageTS == "" {
		return nil
	}
	var sd storedDiff
	if b, err := e.store.Blob(ctx, diffBlobKey(p.ID)); err == nil {
		_ = json.Unmarshal(b, &sd)
	}
	shown := e.view(p, approvals, sd.Blocks.BlockSet, sd.Note)
	for range 3 {
		if err := e.slack.Update(ctx, p.Channel, p.MessageTS, render.Approval(shown)); err != nil {
			e.log.Warn("update approval message", "promotion", p.ID, "err", err)
			return fmt.Errorf("update approval message: %w", err)
		}
		cur, all, err := e.store.PromotionWithApprovals(ctx, p.ID)
		if err != nil {
			return nil
		}
		now := e.view(cur, all, sd.Blocks.BlockSet, sd.Note)
		if reflect.DeepEqual(now, shown) {
			return nil
		}
		p, shown = cur, now
	}
	return nil
}

// threadNote replies in the approval message's thread (or, when there is no
// approval message, posts in the channel so the news is not lost).
func (e *Engine) threadNote(ctx context.Context, p state.Promotion, mrkdwn string) error {
	m := render.Note(mrkdwn)
	if _, err := e.slack.Post(ctx, p.Channel, p.MessageTS, m); err != nil {
		e.log.Warn("thread note", "promotion", p.ID, "err", err)
		return fmt.Errorf("thread note: %w", err)
	}
	return nil
}

func endNote(p state.Promotion) string {
	name := render.Escape(p.AgentName) + " " + render.Escape(VersionName(p))
	// Reason is plain text (escaped here); who ended it is a user id (a mention).
	detail := ""
	if p.EndedBy != "" {
		detail += " by " + render.Mention(p.EndedBy)
	}
	if p.Reason != "" {
		detail += " — " + render.Escape(p.Reason)
	}
	switch p.State {
	case state.Rejected:
		return ":no_entry: Promotion of " + name + " rejected" + detail + "."
	case state.Cancelled:
		return ":heavy_multiplication_x: Promotion of " + name + " cancelled" + detail + "."
	case state.Expired:
		return ":hourglass: Promotion of " + name + " expired" + detail + "."
	case state.Failed:
		return ":x: Promotion of " + name + " failed" + detail + "."
	}
	return fmt.Sprintf("Promotion of %s is %s%s.", name, p.State, detail)
}

// end moves p to a final state, then updates the message and the thread
// (closeOut). The promotion it returns has Announced unset when those posts
// failed: finish makes them later.
func (e *Engine) end(ctx context.Context, p state.Promotion, to state.PromotionState, reason, by string) (state.Promotion, error) {
	np, err := e.store.Transition(ctx, p.ID, p.State, to, state.Patch{Reason: &reason, EndedBy: &by})
	if err != nil {
		return p, err
	}
	e.transitioned(np)
	actor := by
	if actor == "" {
		actor = "atomsbot"
	}
	e.audit(ctx, np, actor, string(to), reason)
	e.abandon(ctx, np)
	if cp, err := e.closeOut(ctx, np); err == nil {
		np = cp
	} else {
		e.log.Warn("final notes; retried by the poller", "promotion", np.ID, "err", err)
	}
	return np, nil
}

// closeOut gives an ended promotion its final look and its note in the
// thread, once: under the news guard, after re-reading Announced, which it
// then sets. A Slack failure leaves Announced unset for finish to retry.
func (e *Engine) closeOut(ctx context.Context, p state.Promotion) (state.Promotion, error) {
	release, err := e.exclusive(ctx, newsGuard(p.ID))
	if err != nil {
		return p, err
	}
	defer release()
	cur, err := e.store.Promotion(ctx, p.ID)
	if err != nil {
		return p, fmt.Errorf("re-read before the final notes: %w", err)
	}
	if cur.Announced {
		return cur, nil
	}
	if err := e.refreshMessage(ctx, cur, nil); err != nil {
		return cur, err
	}
	if err := e.threadNote(ctx, cur, endNote(cur)); err != nil {
		return cur, err
	}
	done := true
	np, err := e.store.Update(ctx, cur.ID, cur.State, state.Patch{Announced: &done})
	if err != nil {
		return cur, fmt.Errorf("record final notes: %w", err)
	}
	return np, nil
}

// abandon undoes on Atoms what an ended promotion staged (a scan still
// running is cancelled, a branch the bot made is archived). It is best
// effort and repeated by finish until the final notes are out.
func (e *Engine) abandon(ctx context.Context, p state.Promotion) {
	if err := e.atoms.Abandon(ctx, releaseOf(p)); err != nil {
		e.log.Warn("undo what the promotion staged", "promotion", p.ID, "err", err)
	}
}

// ended says when to look again at a promotion end just ended: never, unless
// its final notes could not be posted yet.
func (e *Engine) ended(p state.Promotion, err error) (time.Time, error) {
	if err != nil {
		return time.Time{}, err
	}
	if !p.Announced {
		return e.now().Add(5 * e.cfg.PollInterval), nil
	}
	return time.Time{}, nil
}

// newsGuard names the lock under which a promotion's final news (the "is
// live" announcement or the end note) is posted.
func newsGuard(id string) string { return "news:" + id }

// exclusive takes the lock name for this call alone, on Redis's clock, for at
// most a lease; release gives it back. It fails when someone else holds it.
//
// The lease alone does not keep two runs of one promotion apart where a post
// or a publish cannot be taken back: a replica whose clock is off by more than
// the lease, or one paused past it, and the front door (which works outside
// any lease) can overlap with the lease holder.
func (e *Engine) exclusive(ctx context.Context, name string) (release func(), err error) {
	owner := e.cfg.Owner + "/" + randomID(4)
	ok, holder, err := e.store.AcquireLock(ctx, name, owner, e.cfg.Lease)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if !ok {
		return nil, fmt.Errorf("%s is held by %s", name, holder)
	}
	return func() { _, _ = e.store.ReleaseLock(context.WithoutCancel(ctx), name, owner) }, nil
}

func (e *Engine) audit(ctx context.Context, p state.Promotion, actor, action, detail string) {
	err := e.store.Audit(ctx, state.AuditEntry{
		AgentID: p.AgentID, Actor: actor, Action: action, PromotionID: p.ID,
		VersionID: p.VersionID, Detail: detail, At: e.now(),
	})
	if err != nil {
		e.log.Warn("audit", "promotion", p.ID, "err", err)
	}
}
