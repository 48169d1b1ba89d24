package drafts

import (
	"context"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/atoms/platform/internal/wire"
)

// TestCall rings the phone with a draft (its test-call route), a version
// (its own route, after checking its security check did not fail) or the
// active version (an outbound call marked as a test). Never repeated: an
// unclear answer may have rung.
func (a *Adapter) TestCall(ctx context.Context, req platform.CallRequest) (platform.Call, error) {
	body := atoms.TestCallRequest{Mode: atoms.TestCallTelephony, ToPhone: req.Phone}
	var res *atoms.TestCallResult
	var err error
	switch versionID := versionOf(req); {
	case req.Release != nil && mine(*req.Release) != nil:
		return platform.Call{}, mine(*req.Release)
	case req.Release != nil && versionID == "":
		return platform.Call{}, platform.Errorf(platform.ErrBusy, "it is still being published")
	case versionID != "":
		d, rerr := a.c.GetVersion(ctx, req.AgentID, versionID)
		if rerr != nil {
			return platform.Call{}, wire.Read(rerr)
		}
		if c := wire.Check(d.Version.SecurityCheck); c.Outcome() == platform.CheckFailed {
			return platform.Call{}, wire.CheckFailed(version(d.Version).Ref, c)
		}
		res, err = a.c.VersionTestCall(ctx, req.AgentID, versionID, body)
	case req.DraftID != "":
		res, err = a.c.DraftTestCall(ctx, req.AgentID, req.DraftID, body)
	default:
		id, oerr := a.c.StartOutboundCall(ctx, atoms.OutboundCallRequest{AgentID: req.AgentID, PhoneNumber: req.Phone, Test: true})
		res, err = &atoms.TestCallResult{ConversationID: id}, oerr
	}
	if err != nil {
		return platform.Call{}, wire.Write(err)
	}
	return platform.Call{ConversationID: res.ConversationID}, nil
}

// versionOf is the version a request names: its own, or its release's.
func versionOf(req platform.CallRequest) string {
	if req.Release != nil {
		return req.Release.VersionID
	}
	return req.VersionID
}
