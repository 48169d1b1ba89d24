package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackerr"
	"github.com/atomsbot/atomsbot/state"
)

// Poller timing.
const (
	maxTick         = 250 * time.Millisecond // how often an idle replica looks at the due-queue
	stepTimeout     = 20 * time.Second       // one step of one item, Atoms retries included; within the shutdown grace
	fastCheckPhase  = 30 * time.Second       // poll every POLL_INTERVAL this long, then back off
	maxCheckDelay   = 15 * time.Second       // slowest security-check poll
	approvalRecheck = time.Minute            // safety net for a lost approval poke
	ambiguousRetry  = 15 * time.Second       // a publish with an unclear answer: give it time to land
	workers         = 8                      // items processed at once per replica
)

// Run polls the due-queue until ctx is cancelled. Steps already started go
// on for at most Config.StopGrace and then are cut short; either way they
// reschedule their items. Claimed items not started are released so another
// replica takes them at once.
func (e *Engine) Run(ctx context.Context) error {
	steps, stopSteps := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSteps()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		grace := time.NewTimer(e.cfg.StopGrace)
		defer grace.Stop()
		select {
		case <-done:
		case <-grace.C:
			stopSteps()
		}
	}()
	t := time.NewTicker(min(maxTick, e.cfg.PollInterval))
	defer t.Stop()
	for {
		if _, err := e.poll(ctx, steps); err != nil && ctx.Err() == nil {
			e.log.Warn("poll", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-e.wake:
		}
	}
}

// PollOnce claims every item due now (in batches sized to the Atoms rate
// limit, so leases do not lapse while calls wait) and processes them. The
// steps it starts run to their own timeout even if ctx ends.
func (e *Engine) PollOnce(ctx context.Context) (int, error) {
	return e.poll(ctx, context.WithoutCancel(ctx))
}

// poll is PollOnce whose steps run under steps. It first hands on what an
// earlier poll could not (see leftovers), then claims; a claim without an
// answer is repeated with the same token by the next poll.
func (e *Engine) poll(ctx, steps context.Context) (int, error) {
	e.settle(ctx)
	batch := max(1, int(e.cfg.RPS*e.cfg.Lease.Seconds()/4))
	total := 0
	for ctx.Err() == nil {
		leaseEnd := e.now().Add(e.cfg.Lease) // no later than the leases Claim grants
		claims, err := e.store.ClaimToken(ctx, e.cfg.Owner, e.left.claimToken(), batch, e.cfg.Lease)
		if err != nil {
			return total, fmt.Errorf("claim: %w", err)
		}
		e.left.claimAnswered()
		e.process(ctx, steps, claims, leaseEnd)
		total += len(claims)
		if len(claims) < batch {
			break
		}
	}
	return total, nil
}

// process runs the claimed items on the workers, each step under steps. An
// item whose lease would end before its step could time out is not started:
// when the items ahead were slow, its lease may have lapsed and another
// replica may be running it already. It is released instead, so a fresh
// claim takes it at once; so are items not started once ctx ended.
func (e *Engine) process(ctx, steps context.Context, claims []state.Claim, leaseEnd time.Time) {
	queue := make(chan state.Claim)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unstarted []string
	for range min(workers, len(claims)) {
		wg.Go(func() {
			for c := range queue {
				if leaseEnd.Sub(e.now()) < e.stepTimeout() || steps.Err() != nil {
					mu.Lock()
					unstarted = append(unstarted, c.Item)
					mu.Unlock()
					continue
				}
				if e.metrics != nil {
					e.metrics.ObservePollLag(e.now().Sub(c.Due))
				}
				_ = e.runItem(steps, c.Item, false)
			}
		})
	}
	for _, c := range claims {
		if ctx.Err() != nil {
			mu.Lock()
			unstarted = append(unstarted, c.Item)
			mu.Unlock()
			continue
		}
		queue <- c
	}
	close(queue)
	wg.Wait()
	if len(unstarted) > 0 {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		if err := e.store.Release(rctx, e.cfg.Owner, unstarted...); err != nil {
			e.log.Warn("release leases", "items", len(unstarted), "err", err)
		}
	}
}

// runItem runs one step of a leased item under ctx (bounded by the step
// timeout) and reschedules or completes it — on a fresh context, so that a
// step that used up its time, or was cut short at shutdown, still hands its
// item on instead of leaving it leased until the lease lapses. It returns the
// step's error; one Slack will never get over (logged where it happened) does
// not make the item come back.
func (e *Engine) runItem(ctx context.Context, item string, first bool) error {
	sctx, cancel := context.WithTimeout(ctx, e.stepTimeout())
	defer cancel()
	next, stepErr := e.step(sctx, item, first)
	if stepErr != nil && !slackerr.Permanent(stepErr) {
		e.log.Warn("step", "item", item, "err", stepErr)
		if next.IsZero() {
			next = e.retryAt(stepErr)
		}
	}
	if err := e.handOn(ctx, item, next); err != nil && !errors.Is(err, state.ErrNotOwner) {
		e.log.Warn("reschedule; retried by the next poll", "item", item, "err", err)
		e.left.owe(item, next)
	}
	return stepErr
}

// stepTimeout bounds one step so that it ends well within the lease it was
// started under.
func (e *Engine) stepTimeout() time.Duration { return min(stepTimeout, e.cfg.Lease/2) }

// step advances an item and says when to look again (zero: never).
func (e *Engine) step(ctx context.Context, item string, first bool) (time.Time, error) {
	switch {
	case strings.HasPrefix(item, "p:"):
		return e.stepPromotion(ctx, item[2:], first)
	case strings.HasPrefix(item, "w:"):
		return e.stepWatch(ctx, item[2:])
	}
	return time.Time{}, fmt.Errorf("unknown due item %q", item)
}

func (e *Engine) stepPromotion(ctx context.Context, id string, first bool) (time.Time, error) {
	p, approvals, err := e.store.PromotionWithApprovals(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return e.soon(), err
	}
	if p.State.Done() {
		return e.finish(ctx, p)
	}
	if e.expired(p, approvals) {
		return e.ended(e.end(ctx, p, state.Expired, fmt.Sprintf("not approved within %s", e.cfg.Policy.TTL), ""))
	}
	switch p.State {
	case state.Requested:
		np, err := e.publish(ctx, p, first)
		switch {
		case err != nil:
			return e.now().Add(ambiguousRetry), err
		case np.State == state.Published:
			return e.stepPublished(ctx, np, approvals)
		case np.State.Terminal():
			return e.ended(np, nil)
		}
		// Moved on by another run meanwhile: take it from its new state.
		return e.soon(), nil
	case state.Published:
		return e.stepPublished(ctx, p, approvals)
	case state.Activating:
		return e.activate(ctx, p)
	}
	return time.Time{}, fmt.Errorf("promotion %s in unknown state %q", p.ID, p.State)
}

// stepPublished posts the approval request if it is missing, looks at the
// release (its version, once the platform names it, and its security check)
// and activates once the check passed and approvals are in.
func (e *Engine) stepPublished(ctx context.Context, p state.Promotion, approvals []state.Approval) (time.Time, error) {
	if p.MessageTS == "" {
		np, err := e.postApproval(ctx, p, approvals)
		if slackerr.Permanent(err) {
			return e.unposted(ctx, p, err)
		}
		if _, ok := slackerr.RetryAfter(err); ok {
			// Rate-limited: the request is the next thing to do, once
			// Slack takes it, unless the promotion expires first
			// (runItem logs the error).
			return e.nextLook(p, e.retryAt(err)), err
		}
		if err != nil {
			e.log.Warn("approval request", "promotion", p.ID, "err", err)
		}
		p = np
	}
	r, err := e.atoms.Refresh(ctx, releaseOf(p))
	switch {
	case errors.Is(err, platform.ErrWrongModel):
		return e.ended(e.end(ctx, p, state.Failed, modelSwitched(err), ""))
	case errors.Is(err, platform.ErrNotFound) || errors.Is(err, platform.ErrRefused):
		return e.ended(e.end(ctx, p, state.Failed, platform.Explain(err), ""))
	case err != nil:
		return e.soon(), fmt.Errorf("read security check: %w", err)
	}
	p = e.noteCheck(ctx, p, r)
	switch r.Check.Outcome() {
	case platform.CheckFailed:
		reason := "the security check " + r.Check.Status
		if r.Check.Reason != "" {
			reason += ": " + r.Check.Reason
		}
		return e.ended(e.end(ctx, p, state.Failed, reason, ""))
	case platform.CheckPassed:
		if p.VersionID == "" {
			break // passed, but the platform has not named the version yet
		}
		if state.CountFor(approvals, p.ApprovalKey()) >= e.cfg.Policy.Required {
			return e.activate(ctx, p)
		}
		return e.nextLook(p, e.now().Add(approvalRecheck)), nil
	}
	waited := e.now().Sub(p.PublishedAt)
	if waited >= e.cfg.CheckTimeout {
		return e.ended(e.end(ctx, p, state.Failed, fmt.Sprintf("the security check did not finish within %s", e.cfg.CheckTimeout), ""))
	}
	return e.nextLook(p, e.now().Add(e.checkDelay(waited))), nil
}

// noteCheck records what the release now says (its check, and the version
// once named) and tells the thread when the check passed.
func (e *Engine) noteCheck(ctx context.Context, p state.Promotion, r platform.Release) state.Promotion {
	if r.Check.Status == p.CheckStatus && r.Check.Reason == p.CheckReason && r.VersionID == p.VersionID && r.Token == p.Token {
		return p
	}
	patch := state.Patch{CheckStatus: &r.Check.Status, CheckReason: &r.Check.Reason, Token: &r.Token}
	if r.VersionID != p.VersionID {
		patch.VersionID, patch.VersionNumber, patch.VersionRef = &r.VersionID, &r.Number, &r.Ref
	}
	// Noted once: an activation refused as pending sends it back to waiting.
	passed := r.Check.Outcome() == platform.CheckPassed && p.CheckPassedAt.IsZero()
	if passed {
		now := e.now()
		patch.CheckPassedAt = &now
	}
	np, err := e.store.Update(ctx, p.ID, state.Published, patch)
	if err != nil {
		e.log.Warn("record security check", "promotion", p.ID, "err", err)
		return p
	}
	if passed {
		_ = e.threadNoteAt(ctx, np, ":white_check_mark: The security check of "+render.Escape(VersionName(np))+" passed.", cmp.Or(np.CheckPassedAt, e.now()))
	}
	if r.Check.Outcome() != platform.CheckFailed { // a failure is refreshed by end()
		_ = e.refreshMessage(ctx, np, nil)
	}
	return np
}

// checkDelay is the security-check poll schedule: every POLL_INTERVAL while a
// check is young (they take ~6 s), then doubling every 30 s up to a cap.
func (e *Engine) checkDelay(waited time.Duration) time.Duration {
	d := e.cfg.PollInterval
	for t := fastCheckPhase; t <= waited && d < maxCheckDelay; t += fastCheckPhase {
		d *= 2
	}
	return min(max(d, e.cfg.PollInterval), max(maxCheckDelay, e.cfg.PollInterval))
}

func (e *Engine) expiry(p state.Promotion) time.Time { return p.CreatedAt.Add(e.cfg.Policy.TTL) }

// expired reports whether p ran out of time for approval. A promotion whose
// approvals were all in before the deadline does not expire because the
// poller looked a moment late: what remains (the check, activation) has its
// own bounds. Approve refuses approvals after the deadline.
func (e *Engine) expired(p state.Promotion, approvals []state.Approval) bool {
	if p.State != state.Requested && p.State != state.Published {
		return false
	}
	if e.now().Before(e.expiry(p)) {
		return false
	}
	return p.State != state.Published || state.CountFor(approvals, p.ApprovalKey()) < e.cfg.Policy.Required
}

// nextLook is at, or the expiry when that comes first. Past the expiry (an
// approved promotion waiting for its check) it is at: the expiry would make
// the item due again at once, on every poll.
func (e *Engine) nextLook(p state.Promotion, at time.Time) time.Time {
	if exp := e.expiry(p); exp.After(e.now()) {
		return earliest(at, exp)
	}
	return at
}

// retryAt is when to try again after a step failed with err: when Slack
// said it takes calls again if it rate-limited the step (sooner would be
// refused, later waits for nothing), else after a few polls.
func (e *Engine) retryAt(err error) time.Time {
	if wait, ok := slackerr.RetryAfter(err); ok {
		return e.now().Add(wait)
	}
	return e.now().Add(5 * e.cfg.PollInterval)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
