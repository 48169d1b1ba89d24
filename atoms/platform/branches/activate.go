package branches

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// PrepareRollback makes a release of an earlier revision. A revision whose
// scan failed cannot go live (Atoms refuses to restore it).
func (a *Adapter) PrepareRollback(ctx context.Context, agentID string, target platform.Version, base string) (platform.Release, error) {
	t, err := a.tree(ctx, agentID)
	if err != nil {
		return platform.Release{}, err
	}
	rev, err := a.findRevision(ctx, agentID, t, target.ID)
	if err != nil {
		return platform.Release{}, err
	}
	v := t.version(*rev)
	if v.Check.Outcome() != platform.CheckPassed {
		return platform.Release{}, platform.Errorf(platform.ErrRefused, fmt.Sprintf("%s cannot go live: its security check has not passed (status: %s)", v.Ref, cmp.Or(v.Check.Status, "missing")))
	}
	b := t.byID(rev.Branch)
	if b == nil {
		return platform.Release{}, platform.Errorf(platform.ErrRefused, fmt.Sprintf("%s is on a branch that was archived; it cannot be made live again", v.Ref))
	}
	tok := token{Stage: b.Branch.ID, StageName: b.Branch.Name, Rollback: true, Live: t.liveID(), Staged: a.now().UnixMilli()}
	return platform.Release{
		Model: platform.ModelV2, AgentID: agentID, Base: base, Label: v.Label,
		Key: rev.ID, VersionID: rev.ID, Ref: v.Ref, Number: v.Number, Check: v.Check,
		PublishedAt: v.PublishedAt, Token: tok.encode(),
	}, nil
}

// Activate makes the release's branch live. Before the first attempt it
// requires the live head to be the one the approvers saw (r.Base) and, for a
// promotion, the branch's head to be the approved revision; anything else
// moved and nothing goes live. A release made live once is made live again
// when someone changed it right after (the repeat of an activation whose
// verification failed). A rollback makes the previous branch live again
// when its head is the target, and restores the target as a new head first
// when it is not (on the live branch, the restore itself goes live); the
// release then names the restore as its VersionID.
func (a *Adapter) Activate(ctx context.Context, r platform.Release) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	tok := decodeToken(r.Token)
	t, err := a.tree(ctx, r.AgentID)
	if err != nil {
		return r, err
	}
	if t.liveID() == tok.Stage && (t.liveHead() == r.VersionID || tok.Restored != "" && t.liveHead() == tok.Restored) {
		r.VersionID = t.liveHead()
		return r, nil
	}
	if h := t.liveHead(); tok.Rollback && t.liveID() == tok.Stage && h != r.VersionID && h != tok.Restored && h != r.Base {
		// A restore on the live branch goes live by itself: a live head
		// restored from the target is this rollback's own restore, whose
		// answer was lost, or one newer than the restore the token names
		// (reads trail a commit by a few seconds). It is done.
		if d, err := a.c.GetRevision(ctx, r.AgentID, tok.Stage, h); err == nil && d.Revision.RestoredFromRevisionID == target(r) {
			tok.Restored, tok.Activated = h, true
			r.VersionID, r.Token = h, tok.encode()
			return r, nil
		}
	}
	if !tok.Activated && t.liveHead() != r.Base {
		return r, &platform.MovedError{What: "the live version changed since the approvers looked: " + a.describeLive(ctx, r.AgentID, t)}
	}
	stage := t.byID(tok.Stage)
	if stage == nil {
		return r, platform.Errorf(platform.ErrRefused, fmt.Sprintf("branch “%s” was archived", tok.StageName))
	}
	if tok.Rollback {
		if r, tok, err = a.restoreTarget(ctx, r, tok, stage); err != nil {
			return r, err
		}
	} else if stage.Branch.HeadRevisionID != r.VersionID {
		return r, &platform.MovedError{What: fmt.Sprintf("someone published on branch “%s” after the approval; its head is no longer the approved revision", stage.Branch.Name)}
	}
	if _, err := a.c.MakeLive(ctx, r.AgentID, tok.Stage); err != nil {
		var ae *atoms.APIError
		if errors.As(err, &ae) && (ae.Status == 403 || ae.Status == 409) {
			return r, &platform.Error{Kind: platform.ErrRefused, Msg: "Atoms refused to make branch “" + stage.Branch.Name + "” live: " + platform.Explain(wire.Read(err)), Err: err}
		}
		return r, read(err) // making a branch live is idempotent: repeat it
	}
	tok.Activated = true
	r.Token = tok.encode()
	if tok.Restored != "" {
		// The restore is the revision that serves now, and what the live
		// version is checked against.
		r.VersionID = tok.Restored
	}
	return r, nil
}

// restoreTarget makes the rollback's target the head of its branch: as it
// is, or restored as a new revision. A restore found already made (the head
// says it restores the target) is not made twice.
func (a *Adapter) restoreTarget(ctx context.Context, r platform.Release, tok token, b *atoms.BranchSummary) (platform.Release, token, error) {
	if tok.Restored != "" {
		// Made by an earlier attempt, which heard its answer. The head read
		// here may not show it yet (a commit's read-back lags by a few
		// seconds), and restoring again would commit a second copy.
		return r, tok, nil
	}
	head := b.Branch.HeadRevisionID
	if head == target(r) {
		return r, tok, nil
	}
	if head != "" {
		if d, err := a.c.GetRevision(ctx, r.AgentID, b.Branch.ID, head); err == nil && d.Revision.RestoredFromRevisionID == target(r) {
			tok.Restored = head
			r.Token = tok.encode()
			return r, tok, nil
		}
	}
	res, err := a.c.RestoreRevision(ctx, r.AgentID, b.Branch.ID, target(r))
	var ae *atoms.APIError
	switch {
	case err == nil && res.Revision != nil:
		tok.Restored = res.Revision.ID
	case err == nil:
		// Restores of scanned revisions commit at once; one that answers
		// "scanning" is looked at again on the next attempt.
		return r, tok, platform.Errorf(platform.ErrBusy, "the restore is being security-checked")
	case errors.As(err, &ae) && ae.Status == 409 && ae.Type == "":
		return r, tok, nil // the target is the head already: just make it live
	case errors.As(err, &ae) && ae.Status == 403:
		return r, tok, &platform.Error{Kind: platform.ErrRefused, Msg: "Atoms refused to restore the version (its security check failed)", Err: err}
	default:
		return r, tok, write(err)
	}
	r.Token = tok.encode()
	return r, tok, nil
}

// target is a rollback's target revision: its Key, which PrepareRollback
// sets to the target's id and nothing changes, while VersionID becomes the
// restore once one is made.
func target(r platform.Release) string { return cmp.Or(r.Key, r.VersionID) }

// describeLive says what is live now, for a refusal.
func (a *Adapter) describeLive(ctx context.Context, agentID string, t tree) string {
	if t.live == nil {
		return "no branch is live"
	}
	s := fmt.Sprintf("branch “%s” at v%d", t.live.Branch.Name, t.live.HeadRevisionNumber)
	if d, err := a.c.GetRevision(ctx, agentID, t.liveID(), t.liveHead()); err == nil {
		if who := cmp.Or(t.live.UpdatedByName, d.Revision.PublishedByName); who != "" {
			s += ", changed by " + who
		}
	}
	return s
}

// Abandon undoes what a release staged. A scan of this release still running
// is cancelled (cancelling is idempotent, and a commit that raced it changes
// nothing live); the branch the adapter made for it is archived unless it is
// live. Branches people made are left as they are.
func (a *Adapter) Abandon(ctx context.Context, r platform.Release) error {
	if err := mine(r); err != nil {
		return nil // nothing of ours to undo on this model
	}
	tok := decodeToken(r.Token)
	if tok.Rollback {
		return nil
	}
	if tok.Stage == "" {
		// Staging may have made the branch without recording it.
		t, err := a.tree(ctx, r.AgentID)
		if err != nil {
			return err
		}
		b := t.byName(ownName(r.ID))
		if r.ID == "" || b == nil {
			return nil
		}
		tok = token{Stage: b.Branch.ID, StageName: b.Branch.Name, Own: true}
	}
	if detail, err := a.c.GetBranchDraft(ctx, r.AgentID, tok.Stage); err == nil {
		l := detail.Latest
		scanning := l.PendingPublish != nil && l.PendingPublish.State == atoms.PendingActive
		if scanning && (tok.Own || l.DraftID == tok.Draft) {
			if err := a.c.CancelPublish(ctx, r.AgentID, tok.Stage); err != nil {
				return write(err)
			}
		}
	} else if !errors.Is(err, atoms.ErrNotFound) {
		return read(err)
	}
	if !tok.Own {
		return nil
	}
	return a.archive(ctx, r.AgentID, tok.Stage)
}

// archive archives a branch of the adapter's own unless it is live.
func (a *Adapter) archive(ctx context.Context, agentID, branchID string) error {
	s, err := a.c.GetBranch(ctx, agentID, branchID)
	switch {
	case errors.Is(err, atoms.ErrNotFound):
		return nil
	case err != nil:
		return read(err)
	case s.IsLive || s.Branch.Status == "archived" || !strings.HasPrefix(s.Branch.Name, ownPrefix):
		return nil
	}
	if err := a.c.ArchiveBranch(ctx, agentID, branchID); err != nil && !errors.Is(err, atoms.ErrNotFound) {
		return write(err)
	}
	return nil
}

// Tidy archives the adapter's own promotion branches that are neither live
// nor the previous live one (a rollback target): what earlier promotions
// left. A branch made after r was staged belongs to a promotion that started
// since (only one is in flight per agent): it is left alone.
func (a *Adapter) Tidy(ctx context.Context, r platform.Release) error {
	if mine(r) != nil {
		return nil
	}
	tok := decodeToken(r.Token)
	t, err := a.tree(ctx, r.AgentID)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range t.list {
		id := b.Branch.ID
		if b.IsLive || id == tok.Live || id == tok.Stage || !strings.HasPrefix(b.Branch.Name, ownPrefix+"pr_") {
			continue
		}
		if tok.Staged != 0 && b.Branch.CreatedAt.UnixMilli() >= tok.Staged {
			continue
		}
		if err := a.c.ArchiveBranch(ctx, r.AgentID, id); err != nil && !errors.Is(err, atoms.ErrNotFound) {
			errs = append(errs, fmt.Errorf("archive %s: %w", b.Branch.Name, write(err)))
		}
	}
	return errors.Join(errs...)
}
