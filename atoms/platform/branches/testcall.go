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
		// Looked at afresh: the scan may have ended (committed, or failed)
		// since the release was last read, and the call must play exactly
		// what the approvers are asked about now.
		r, err := a.Refresh(ctx, *req.Release)
		if err != nil {
			return platform.Call{}, err
		}
		if r.Check.Outcome() == platform.CheckFailed {
			return platform.Call{}, wire.CheckFailed(r.Ref, r.Check)
		}
		branch = decodeToken(r.Token).Stage
		if r.VersionID != "" {
			body.RevisionID = r.VersionID
		} else {
			body.IncludeDraft = true
		}
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
