package state

import (
	"strconv"
	"time"
)

// Kind says what a promotion activates: a freshly published draft, or an older version.
type Kind string

const (
	KindPromote  Kind = "promote"
	KindRollback Kind = "rollback"
)

// PromotionState is a step of the promotion state machine.
type PromotionState string

const (
	Requested  PromotionState = "requested"  // asked for; the draft is not published yet
	Published  PromotionState = "published"  // version exists; awaiting approvals and/or the security check
	Activating PromotionState = "activating" // gate open; activation under way
	Live       PromotionState = "live"       // activated
	Rejected   PromotionState = "rejected"
	Cancelled  PromotionState = "cancelled"
	Expired    PromotionState = "expired"
	Failed     PromotionState = "failed"
)

// Terminal reports whether s is one of the ends where the promotion did not
// go live: rejected, cancelled, expired, failed. They have no exits.
func (s PromotionState) Terminal() bool {
	switch s {
	case Rejected, Cancelled, Expired, Failed:
		return true
	}
	return false
}

// Done reports whether s has no exits: a terminal state or Live. The agent's
// lock is released on entering it.
func (s PromotionState) Done() bool { return s.Terminal() || s == Live }

var transitions = map[PromotionState][]PromotionState{
	Requested: {Published, Failed, Cancelled, Expired},
	Published: {Activating, Rejected, Cancelled, Expired, Failed},
	// Activating → Published: activation was refused because the security
	// check is still pending; the promotion waits again.
	Activating: {Live, Published, Failed},
}

// CanTransition reports whether from → to is an edge of the state machine.
func CanTransition(from, to PromotionState) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// Promotion is one request to make a version the agent's live one.
type Promotion struct {
	ID                string
	AgentID           string
	AgentName         string
	DraftID           string
	DraftName         string
	VersionID         string // set once the platform names the version (at creation for a rollback)
	VersionNumber     int
	VersionRef        string // how commands name the version ("v4", "branch/v2"); "" on promotions stored before it existed
	PreviousVersionID string // the live version when the promotion was requested
	// Platform is the versioning model the promotion was begun on; "" on
	// promotions stored before there was a choice (they are v1's).
	Platform string
	// ReleaseKey is what approvals bind to (what the approvers were shown),
	// set when the release is published; "" on older promotions, whose
	// approvals bind to VersionID.
	ReleaseKey string
	// Token is the platform adapter's own state of the release, opaque here.
	Token         string
	Kind          Kind
	Requester     string // Slack user id
	Channel       string // Slack channel id
	MessageTS     string // the approval message (thread parent); "" until posted
	Label         string
	State         PromotionState
	CheckStatus   string // security check as last seen
	CheckReason   string
	Reason        string // why it ended (failure, rejection, expiry, cancel); in flight, what it waits for (a freeze)
	EndedBy       string // user who rejected/cancelled
	Announced     bool   // the final news was posted: "is live" (Live) or the end note (terminal states)
	CreatedAt     time.Time
	UpdatedAt     time.Time
	PublishedAt   time.Time
	CheckPassedAt time.Time
	ActivatedAt   time.Time
	EndedAt       time.Time
}

// ApprovalKey is what approvals of p bind to.
func (p Promotion) ApprovalKey() string {
	if p.ReleaseKey != "" {
		return p.ReleaseKey
	}
	return p.VersionID
}

// Patch sets only its non-nil fields. Identity fields (ids, kind, requester,
// channel) are not patchable: they never change after creation.
type Patch struct {
	VersionID     *string
	VersionNumber *int
	VersionRef    *string
	Platform      *string
	ReleaseKey    *string
	Token         *string
	DraftName     *string
	MessageTS     *string
	Label         *string
	CheckStatus   *string
	CheckReason   *string
	Reason        *string
	EndedBy       *string
	Announced     *bool
	PublishedAt   *time.Time
	CheckPassedAt *time.Time
	ActivatedAt   *time.Time
	EndedAt       *time.Time
}

// Hash field names of a stored promotion.
const (
	fID, fAgentID, fAgentName, fDraftID, fDraftName = "id", "agentId", "agentName", "draftId", "draftName"
	fVersionID, fVersionNumber, fPreviousVersionID  = "versionId", "versionNumber", "previousVersionId"
	fKind, fRequester, fChannel, fMessageTS         = "kind", "requester", "channel", "messageTs"
	fLabel, fState, fCheckStatus, fCheckReason      = "label", "state", "checkStatus", "checkReason"
	fReason, fEndedBy, fAnnounced                   = "reason", "endedBy", "announced"
	fCreatedAt, fUpdatedAt, fPublishedAt            = "createdAt", "updatedAt", "publishedAt"
	fCheckPassedAt, fActivatedAt, fEndedAt          = "checkPassedAt", "activatedAt", "endedAt"
	fVersionRef, fPlatform, fReleaseKey, fToken     = "versionRef", "platform", "releaseKey", "token"
)

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// fields renders p as HSET field/value pairs (every attribute, times as unix ms).
func (p Promotion) fields() []any {
	return []any{
		fID, p.ID, fAgentID, p.AgentID, fAgentName, p.AgentName,
		fDraftID, p.DraftID, fDraftName, p.DraftName,
		fVersionID, p.VersionID, fVersionNumber, strconv.Itoa(p.VersionNumber),
		fPreviousVersionID, p.PreviousVersionID, fKind, string(p.Kind),
		fRequester, p.Requester, fChannel, p.Channel, fMessageTS, p.MessageTS,
		fLabel, p.Label, fState, string(p.State),
		fCheckStatus, p.CheckStatus, fCheckReason, p.CheckReason,
		fReason, p.Reason, fEndedBy, p.EndedBy, fAnnounced, boolStr(p.Announced),
		fCreatedAt, ms(p.CreatedAt), fUpdatedAt, ms(p.UpdatedAt),
		fPublishedAt, ms(p.PublishedAt), fCheckPassedAt, ms(p.CheckPassedAt),
		fActivatedAt, ms(p.ActivatedAt), fEndedAt, ms(p.EndedAt),
		fVersionRef, p.VersionRef, fPlatform, p.Platform, fReleaseKey, p.ReleaseKey, fToken, p.Token,
	}
}

// fields renders the set fields of the patch as HSET pairs.
func (p Patch) fields() []any {
	var out []any
	str := func(name string, v *string) {
		if v != nil {
			out = append(out, name, *v)
		}
	}
	tm := func(name string, v *time.Time) {
		if v != nil {
			out = append(out, name, ms(*v))
		}
	}
	str(fVersionID, p.VersionID)
	if p.VersionNumber != nil {
		out = append(out, fVersionNumber, strconv.Itoa(*p.VersionNumber))
	}
	str(fVersionRef, p.VersionRef)
	str(fPlatform, p.Platform)
	str(fReleaseKey, p.ReleaseKey)
	str(fToken, p.Token)
	str(fDraftName, p.DraftName)
	str(fMessageTS, p.MessageTS)
	str(fLabel, p.Label)
	str(fCheckStatus, p.CheckStatus)
	str(fCheckReason, p.CheckReason)
	str(fReason, p.Reason)
	str(fEndedBy, p.EndedBy)
	if p.Announced != nil {
		out = append(out, fAnnounced, boolStr(*p.Announced))
	}
	tm(fPublishedAt, p.PublishedAt)
	tm(fCheckPassedAt, p.CheckPassedAt)
	tm(fActivatedAt, p.ActivatedAt)
	tm(fEndedAt, p.EndedAt)
	return out
}

// promotionFrom decodes a stored hash.
func promotionFrom(m map[string]string) Promotion {
	n, _ := strconv.Atoi(m[fVersionNumber])
	return Promotion{
		ID: m[fID], AgentID: m[fAgentID], AgentName: m[fAgentName],
		DraftID: m[fDraftID], DraftName: m[fDraftName],
		VersionID: m[fVersionID], VersionNumber: n, PreviousVersionID: m[fPreviousVersionID],
		Kind: Kind(m[fKind]), Requester: m[fRequester], Channel: m[fChannel],
		MessageTS: m[fMessageTS], Label: m[fLabel], State: PromotionState(m[fState]),
		CheckStatus: m[fCheckStatus], CheckReason: m[fCheckReason],
		Reason: m[fReason], EndedBy: m[fEndedBy], Announced: m[fAnnounced] == "1",
		CreatedAt: fromMS(m[fCreatedAt]), UpdatedAt: fromMS(m[fUpdatedAt]),
		PublishedAt: fromMS(m[fPublishedAt]), CheckPassedAt: fromMS(m[fCheckPassedAt]),
		ActivatedAt: fromMS(m[fActivatedAt]), EndedAt: fromMS(m[fEndedAt]),
		VersionRef: m[fVersionRef], Platform: m[fPlatform], ReleaseKey: m[fReleaseKey], Token: m[fToken],
	}
}
