package branches

import (
	"context"
	"errors"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// TestCall rings the phone with exactly the target: a release's revision
// once committed, its staged draft while it is scanning; a branch's open
// draft; a revision; or the live version (an outbound call marked as a
// test). A branch test call names the branch, so a revision is looked up on
// its own branch. Never repeated: an unclear answer may have rung.
func (a *Adapter) TestCall(ctx context.Context, req platform.CallRequest) (platform.Call, error) {
	body := atoms.TestCallRequest{Mode: atoms.TestCallTelephony, ToPhone: req.Phone}
	branch := ""
	switch {
	case req.Release != nil:
		return a.releaseTestCall(ctx, *req.Release, body)
	case req.DraftID != "":
		branch, body.IncludeDraft = req.DraftID, true
		detail, err := a.c.GetBranchDraft(ctx, req.AgentID, branch)
		switch {
		case errors.Is(err, atoms.ErrNotFound):
			return platform.Call{}, platform.Errorf(platform.ErrNotFound, "that branch has no open draft")
		case err != nil:
			return platform.Call{}, read(err)
		}
		if c := wire.Check(detail.Latest.SecurityCheck); c.Outcome() == platform.CheckFailed {
			return platform.Call{}, wire.CheckFailed("the draft", c)
		}
	case req.VersionID != "":
		t, err := a.tree(ctx, req.AgentID)
		if err != nil {
			return platform.Call{}, err
		}
		rev, err := a.findRevision(ctx, req.AgentID, t, req.VersionID)
		if err != nil {
			return platform.Call{}, err
		}
		if c := revisionCheck(*rev); c.Outcome() == platform.CheckFailed {
			return platform.Call{}, wire.CheckFailed(t.version(*rev).Ref, c)
		}
		branch, body.RevisionID = rev.Branch, rev.ID
	default:
		id, err := a.c.StartOutboundCall(ctx, atoms.OutboundCallRequest{AgentID: req.AgentID, PhoneNumber: req.Phone, Test: true})
		if err != nil {
			return platform.Call{}, write(err)
		}
		return platform.Call{ConversationID: id}, nil
	}
	res, err := a.c.BranchTestCall(ctx, req.AgentID, branch, body)
	if err != nil {
		return platform.Call{}, write(err)
	}
	return platform.Call{ConversationID: res.ConversationID}, nil
}

// releaseTestCall rings a release as it is now. The release is looked at
// afresh: its scan may have ended (committed, or failed) since the engine
// last read it, and the call must play exactly what the approvers are asked
// about now. A scan can also commit between that read and the call, which
// closes the staged draft: the call then answers 404 "no open draft" having
// rung nothing, so the release is read once more and its revision called.
func (a *Adapter) releaseTestCall(ctx context.Context, rel platform.Release, body atoms.TestCallRequest) (platform.Call, error) {
	for attempt := 0; ; attempt++ {
		r, err := a.Refresh(ctx, rel)
		if err != nil {
			return platform.Call{}, err
		}
		if r.Check.Outcome() == platform.CheckFailed {
			return platform.Call{}, wire.CheckFailed(r.Ref, r.Check)
		}
		body.RevisionID, body.IncludeDraft = r.VersionID, r.VersionID == ""
		res, err := a.c.BranchTestCall(ctx, rel.AgentID, decodeToken(r.Token).Stage, body)
		if body.IncludeDraft && attempt == 0 && errors.Is(err, atoms.ErrNotFound) {
			rel = r
			continue
		}
		if err != nil {
			return platform.Call{}, write(err)
		}
		return platform.Call{ConversationID: res.ConversationID}, nil
	}
}
