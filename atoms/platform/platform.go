// Package platform is the Atoms platform as atomsbot sees it, in the
// product's words: agents, drafts, versions, their security check, the live
// version, diffs, and the release of a draft through approval to live.
//
// Atoms has two versioning models (drafts + versions, and branches +
// revisions). The bot, the promotion engine, the renderer and the state speak
// only this package's types; one adapter per model (packages drafts and
// branches beside this one) turns them into API calls, and Auto picks the
// adapter the organisation runs. A third model is a third adapter.
package platform

import "context"

// Model names a versioning model of the Atoms API.
type Model string

const (
	// ModelV1 is drafts → versions → activate.
	ModelV1 Model = "v1"
	// ModelV2 is the branch model: branches, one open draft per branch,
	// immutable revisions, a live branch.
	ModelV2 Model = "v2"
)

// Platform is everything atomsbot does on Atoms.
type Platform interface {
	Reader
	Editor
	Releaser
	Caller
}

// Reader looks things up; nothing it does changes Atoms.
type Reader interface {
	// Agents lists agents whose name contains search ("" for all).
	Agents(ctx context.Context, search string) ([]Agent, error)
	// Agent reads one agent by id.
	Agent(ctx context.Context, agentID string) (Agent, error)
	// Live is the version serving calls; ErrNotFound when there is none.
	Live(ctx context.Context, agentID string) (Version, error)
	// LiveID is only the id of the version serving calls ("" when none),
	// in one read: what a watch looks at every interval.
	LiveID(ctx context.Context, agentID string) (string, error)
	// Versions lists published versions, newest first.
	Versions(ctx context.Context, agentID string, q VersionQuery) (VersionPage, error)
	// Version finds one published version.
	Version(ctx context.Context, agentID string, ref VersionRef) (Version, error)
	// Drafts lists the places an edit can go: every open draft, and on a
	// platform whose drafts live on branches, the branches without one
	// (Open false).
	Drafts(ctx context.Context, agentID string) ([]Draft, error)
	// DiffDraft compares an open draft with the live version.
	DiffDraft(ctx context.Context, agentID, draftID string) (Diff, error)
	// DiffVersions compares two published versions (a is the base).
	DiffVersions(ctx context.Context, agentID, a, b string) (Diff, error)
}

// Editor reads and writes the fields of a draft that atomsbot's form edits.
type Editor interface {
	// EditForm reads what the form shows for draftID, or for a new draft
	// from the live version when draftID is "" (nothing is created).
	EditForm(ctx context.Context, agentID, draftID string) (Editable, error)
	// EditVersion reads what the form shows for a new draft forked from a
	// published version v (one that was rejected or failed its check, say).
	// Nothing is created: saving that form creates the draft, with v's
	// configuration, even when no field was changed.
	EditVersion(ctx context.Context, agentID string, v Version) (Editable, error)
	// SaveDraft writes changed fields; a *ConflictError when someone else
	// changed the same fields since the form was read. A request without a
	// draft creates one first.
	SaveDraft(ctx context.Context, req SaveRequest) (Draft, error)
}

// Releaser takes a draft (or an earlier version) to live. A Release is what
// the engine persists between steps; every call may be repeated after a
// crash, and a call that failed with an unclear answer (Ambiguous) finds out
// what happened before acting again.
type Releaser interface {
	// Stage prepares r's draft for publishing without publishing it.
	Stage(ctx context.Context, r Release) (Release, error)
	// Publish publishes a staged release. retry says an earlier attempt may
	// have acted without us hearing the answer.
	Publish(ctx context.Context, r Release, retry bool) (Release, error)
	// Refresh reads where a published release stands: its version, once
	// the platform names it, and its security check.
	Refresh(ctx context.Context, r Release) (Release, error)
	// DiffRelease is what r changes against r.Base, for the approvers.
	DiffRelease(ctx context.Context, r Release) (Diff, error)
	// PrepareRollback makes a release of an earlier version; base is the
	// live version it will replace. A version whose check did not pass is
	// refused.
	PrepareRollback(ctx context.Context, agentID string, target Version, base string) (Release, error)
	// Activate makes r live, only while the live version is still r.Base
	// (else *MovedError) and r is still what the approvers saw. It is
	// idempotent: a release that is live already is returned as it is.
	Activate(ctx context.Context, r Release) (Release, error)
	// Abandon undoes what Stage and Publish set up for a release that will
	// not go live (a scan in progress is cancelled, a staging place the bot
	// made is removed). What is live is never touched.
	Abandon(ctx context.Context, r Release) error
	// Tidy removes what earlier releases left behind, once r is live. It
	// leaves alone anything made after r was staged (a promotion that
	// started since).
	Tidy(ctx context.Context, r Release) error
}

// Caller places test calls: a phone rings with exactly the configuration
// named, and nothing live changes.
type Caller interface {
	// TestCall rings req.Phone with req's target. It is never repeated by
	// itself: a call whose answer was lost may have rung (Ambiguous). A
	// target whose security check failed is refused.
	TestCall(ctx context.Context, req CallRequest) (Call, error)
}
