package branches

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// ownPrefix starts the name of every branch the adapter makes for a
// promotion; the promotion id follows, so a retry finds its branch by name.
const ownPrefix = "atomsbot-"

func ownName(promotionID string) string { return ownPrefix + promotionID }

// vanishedGrace is how long a draft may be gone with the branch head
// unchanged before that counts as discarded: a commit's read-back lags by a
// few seconds.
const vanishedGrace = 30 * time.Second

// token is the adapter's state of a release.
type token struct {
	Stage     string `json:"stage,omitempty"`     // the branch published on (or, for a rollback, the target's)
	StageName string `json:"stageName,omitempty"` // its name
	Own       bool   `json:"own,omitempty"`       // the adapter made the stage branch
	Prior     string `json:"prior,omitempty"`     // the stage's head before publishing
	Draft     string `json:"draft,omitempty"`     // the draftId of the draft being published
	Live      string `json:"live,omitempty"`      // the live branch when the release was made
	Rollback  bool   `json:"rollback,omitempty"`
	Restored  string `json:"restored,omitempty"`  // a rollback's restore of the target
	Activated bool   `json:"activated,omitempty"` // the adapter made the release live once
	Vanished  int64  `json:"vanished,omitempty"`  // unix ms the draft was first seen gone
	Staged    int64  `json:"staged,omitempty"`    // unix ms the release was staged
}

func decodeToken(s string) token {
	var t token
	_ = json.Unmarshal([]byte(s), &t)
	return t
}

func (t token) encode() string {
	b, _ := json.Marshal(t)
	return string(b)
}

// mine refuses a release begun on the other model.
func mine(r platform.Release) error {
	if r.Model == "" || r.Model == platform.ModelV2 {
		return nil
	}
	return platform.Errorf(platform.ErrWrongModel, fmt.Sprintf("it was begun on Atoms' %s versioning model; what it published cannot be continued on branches", r.Model))
}

// Publish publishes the staged draft. Atoms answers 200 with the revision
// when it commits at once, or 202 while the scan runs, without an id: the
// revision is then found later by the branch head moving. After an unclear
// answer (now or earlier) it finds out first: a scan running, a commit
// made, a failed scan, or nothing done.
func (a *Adapter) Publish(ctx context.Context, r platform.Release, retry bool) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	tok := decodeToken(r.Token)
	if retry {
		found, done, err := a.findPublish(ctx, r, tok)
		if err != nil || done {
			return found, err
		}
	}
	s, err := a.c.GetBranch(ctx, r.AgentID, tok.Stage)
	if err != nil {
		return r, read(err)
	}
	if s.IsLive {
		return r, platform.Errorf(platform.ErrRefused, fmt.Sprintf("branch “%s” is live now, and publishing there would go live without approval", s.Branch.Name))
	}
	res, err := a.c.PublishBranchDraft(ctx, r.AgentID, tok.Stage, r.Label)
	if err != nil {
		if atoms.Ambiguous(err) {
			if found, done, ferr := a.findPublish(ctx, r, tok); ferr == nil && done {
				return found, nil
			}
		}
		return r, publishError(err, s.Branch.Name)
	}
	if res.State == atoms.PublishCommitted && res.Revision != nil {
		return a.committed(ctx, r, tok, *res.Revision)
	}
	r.Check = platform.Check{Status: "queued"}
	return r, nil
}

// findPublish looks at the stage after an unclear publish: done reports
// whether the publish happened (scanning, committed or failed its scan).
func (a *Adapter) findPublish(ctx context.Context, r platform.Release, tok token) (platform.Release, bool, error) {
	s, err := a.c.GetBranch(ctx, r.AgentID, tok.Stage)
	if err != nil {
		return r, false, read(err)
	}
	if h := s.Branch.HeadRevisionID; h != "" && h != tok.Prior {
		d, err := a.c.GetRevision(ctx, r.AgentID, tok.Stage, h)
		if err != nil {
			return r, false, read(err)
		}
		found, err := a.committed(ctx, r, tok, d.Revision)
		return found, err == nil, err
	}
	detail, err := a.c.GetBranchDraft(ctx, r.AgentID, tok.Stage)
	if errors.Is(err, atoms.ErrNotFound) {
		// Gone with the head unchanged: discarded, or committed while the
		// branch's read-back still lags (it trails a commit by a few
		// seconds; draft reads do not). Refresh tells them apart, within
		// vanishedGrace; publishing again could only answer "no draft".
		r.Check = platform.Check{Status: "queued"}
		return r, true, nil
	}
	if err != nil {
		return r, false, read(err)
	}
	l := detail.Latest
	switch c := wire.Check(l.SecurityCheck); {
	case l.PendingPublish != nil && l.PendingPublish.State == atoms.PendingActive:
		r.Check = platform.Check{Status: cmp.Or(c.Status, "queued")}
		return r, true, nil
	case c.Outcome() == platform.CheckFailed:
		r.Check = c
		return r, true, nil
	}
	return r, false, nil
}

// committed records the revision a publish made, after checking that it
// came from the draft that was published.
func (a *Adapter) committed(_ context.Context, r platform.Release, tok token, rev atoms.Version) (platform.Release, error) {
	if tok.Draft != "" && rev.SourceDraftID != "" && rev.SourceDraftID != tok.Draft {
		return r, &platform.MovedError{What: "another publish landed on the branch before this one; its head is not what the approvers are shown"}
	}
	if r.VersionID != rev.ID || r.Ref == "" {
		// Named once, when the revision is first known: the name users saw
		// stays the release's name.
		r.Ref = (tree{}).ref("", tok.StageName, rev.RevisionNumber)
	}
	r.VersionID, r.Number, r.Label = rev.ID, rev.RevisionNumber, cmp.Or(r.Label, rev.Label)
	r.Check = revisionCheck(rev)
	if !rev.PublishedAt.IsZero() {
		r.PublishedAt = rev.PublishedAt
	}
	return r, nil
}

// publishError explains a refused publish.
func publishError(err error, branch string) error {
	switch {
	case errors.Is(err, atoms.ErrPublishInProgress):
		return &platform.Error{Kind: platform.ErrBusy, Msg: fmt.Sprintf("branch “%s” is being published by someone else", branch), Err: err}
	case errors.Is(err, atoms.ErrNotFound):
		return &platform.Error{Kind: platform.ErrNotFound, Msg: fmt.Sprintf("branch “%s” has no open draft any more (published or discarded)", branch), Err: err}
	case errors.Is(err, atoms.ErrConfigFrozen) || atoms.Ambiguous(err):
		return write(err)
	}
	var ae *atoms.APIError
	if errors.As(err, &ae) && ae.Status == 409 {
		return &platform.Error{Kind: platform.ErrRefused, Msg: fmt.Sprintf("Atoms refused to publish the draft on branch “%s” (its last security check may have failed: edit the draft and promote again)", branch), Err: err}
	}
	return write(err)
}

// Refresh looks at a published release: while it is scanning, its draft
// says so (or says it failed); once the branch head moves, the new head is
// the release's revision.
func (a *Adapter) Refresh(ctx context.Context, r platform.Release) (platform.Release, error) {
	if err := mine(r); err != nil {
		return r, err
	}
	tok := decodeToken(r.Token)
	if r.VersionID != "" {
		d, err := a.c.GetRevision(ctx, r.AgentID, tok.Stage, r.VersionID)
		if err != nil {
			return r, read(err)
		}
		return a.committed(ctx, r, tok, d.Revision)
	}
	detail, err := a.c.GetBranchDraft(ctx, r.AgentID, tok.Stage)
	switch {
	case errors.Is(err, atoms.ErrNotFound):
		return a.draftGone(ctx, r, tok)
	case err != nil:
		return r, read(err)
	}
	l := detail.Latest
	c := wire.Check(l.SecurityCheck)
	switch {
	case tok.Draft != "" && l.DraftID != "" && l.DraftID != tok.Draft:
		// Another draft is open: ours was committed (and someone started
		// the next one) or discarded. The branch head tells which.
		return a.draftReplaced(ctx, r, tok)
	case l.PendingPublish != nil && l.PendingPublish.State == atoms.PendingActive:
		r.Check = platform.Check{Status: cmp.Or(c.Status, "queued")}
	case c.Outcome() == platform.CheckFailed:
		r.Check = c
	case l.PendingPublish != nil:
		return r, platform.Errorf(platform.ErrRefused, "the publish was cancelled outside atomsbot; nothing was committed")
	default:
		r.Check = platform.Check{Status: cmp.Or(c.Status, "queued")}
	}
	return r, nil
}

// draftGone handles a scanning draft that is no longer there: committed
// (the head moved, possibly seen a little late) or discarded.
func (a *Adapter) draftGone(ctx context.Context, r platform.Release, tok token) (platform.Release, error) {
	s, err := a.c.GetBranch(ctx, r.AgentID, tok.Stage)
	if err != nil {
		return r, read(err)
	}
	if s.Branch.Status == "archived" {
		return r, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("branch “%s” was archived", s.Branch.Name))
	}
	if h := s.Branch.HeadRevisionID; h != "" && h != tok.Prior {
		d, err := a.c.GetRevision(ctx, r.AgentID, tok.Stage, h)
		if err != nil {
			return r, read(err)
		}
		tok.Vanished = 0
		r.Token = tok.encode()
		return a.committed(ctx, r, tok, d.Revision)
	}
	now := a.now()
	if tok.Vanished == 0 {
		tok.Vanished = now.UnixMilli()
		r.Token = tok.encode()
	}
	if now.Sub(time.UnixMilli(tok.Vanished)) > vanishedGrace {
		return r, platform.Errorf(platform.ErrNotFound, fmt.Sprintf("the draft on branch “%s” was discarded during its security check; nothing was committed", s.Branch.Name))
	}
	return r, nil
}

// draftReplaced handles a new draft where the release's draft was: the
// release's revision is the head when the head moved, else nothing was
// committed.
func (a *Adapter) draftReplaced(ctx context.Context, r platform.Release, tok token) (platform.Release, error) {
	s, err := a.c.GetBranch(ctx, r.AgentID, tok.Stage)
	if err != nil {
		return r, read(err)
	}
	if h := s.Branch.HeadRevisionID; h != "" && h != tok.Prior {
		d, err := a.c.GetRevision(ctx, r.AgentID, tok.Stage, h)
		if err != nil {
			return r, read(err)
		}
		return a.committed(ctx, r, tok, d.Revision)
	}
	return r, platform.Errorf(platform.ErrRefused, "the draft being published was discarded and replaced on the branch; nothing was committed")
}

// DiffRelease compares the release with the live version it was requested
// against: its revision once committed, the staged draft before.
func (a *Adapter) DiffRelease(ctx context.Context, r platform.Release) (platform.Diff, error) {
	target := r.VersionID
	if target == "" {
		target = atoms.DraftRef(decodeToken(r.Token).Stage)
	}
	return a.DiffVersions(ctx, r.AgentID, r.Base, target)
}
