package atoms

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinels for the conditions callers branch on; test with errors.Is.
var (
	// ErrNotFound: the agent, draft or version does not exist (including the
	// API's 400 "No agent found").
	ErrNotFound = errors.New("atoms: not found")
	// ErrSecurityCheckPending: activation was refused because the version's
	// security check has not passed yet. Retry later; it is not a failure.
	ErrSecurityCheckPending = errors.New("atoms: security check pending")
	// ErrMigrationRequired: the organisation has moved to the branch model and
	// the v1 drafts/versions endpoints answer 409. Retrying cannot help.
	ErrMigrationRequired = errors.New("atoms: the Atoms API has moved to the branch-based versioning model (versioning v2); the v1 drafts/versions endpoints are no longer available for this organisation")
)

// Sentinels of the branch model. Its 409s are semantic answers: the client
// never retries them and they are not Ambiguous.
var (
	// ErrConfigFrozen: a write during a maintenance freeze (423). Reads and
	// test calls still work; reschedule the write after the freeze window.
	ErrConfigFrozen = errors.New("atoms: agent configuration is frozen for maintenance; retry after the freeze window")
	// ErrPublishInProgress: a publish or restore is already running on the branch.
	ErrPublishInProgress = errors.New("atoms: a publish is already in progress on this branch")
	// ErrBranchNameExists: another active branch of the agent has the name.
	ErrBranchNameExists = errors.New("atoms: a branch with this name already exists")
	// ErrSourceHasNoCommit: a fork's source branch has no committed revision.
	ErrSourceHasNoCommit = errors.New("atoms: the source branch has no committed revision")
	// ErrSourceScanning: a fork's source branch is scanning a publish; retry later.
	ErrSourceScanning = errors.New("atoms: the source branch is scanning a publish")
	// ErrNoCommittedRevision: the branch has no head revision to go live or be called.
	ErrNoCommittedRevision = errors.New("atoms: the branch has no committed revision")
	// ErrBaseRevisionUnavailable: a draft edit's ExpectedRevision is newer
	// than the draft (e.g. the draft was published or discarded since).
	ErrBaseRevisionUnavailable = errors.New("atoms: the draft revision the edit was based on is unavailable")
	// ErrDraftConflict: a draft edit touched fields another edit changed
	// since its ExpectedRevision; DraftConflictOf gives the details.
	ErrDraftConflict = errors.New("atoms: the draft edit conflicts with a newer edit")
	// ErrNoOpenDraft: the branch has no open draft (a 404 from a branch
	// draft route, which is also ErrNotFound).
	ErrNoOpenDraft = errors.New("atoms: no open draft on this branch")
	// ErrForbidden: the API refused the action (403), e.g. make-live of a
	// branch whose head has not passed the security check, archiving the
	// live branch or Main, or writing to an archived branch.
	ErrForbidden = errors.New("atoms: forbidden")
)

// error_type values of the branch model's refusals.
const (
	typeConfigFrozen        = "config_freeze_active"
	baseRevisionUnavailable = "base_revision_unavailable" // an errors item, not an error_type
)

// conflictType is the error_type of the 409s target stands for, or "". A
// switch, not a map: target may be of a type that cannot be a map key.
func conflictType(target error) string {
	switch target {
	case ErrPublishInProgress:
		return "publish_in_progress"
	case ErrBranchNameExists:
		return "branch_name_exists"
	case ErrSourceHasNoCommit:
		return "source_has_no_commit"
	case ErrSourceScanning:
		return "source_scanning"
	case ErrNoCommittedRevision:
		return "no_committed_revision"
	}
	return ""
}

// ErrInvalidArgument: the client refused a call locally (an empty id, an
// empty config patch, …) without sending anything.
var ErrInvalidArgument = errors.New("atoms: invalid argument")

// MigrationErrorType is the error_type of the branch-model 409.
const MigrationErrorType = "versioning_v2_migration_required"

// APIError is any non-2xx answer of the Atoms API. It never contains the API key.
type APIError struct {
	Method     string
	Path       string // request path without query, e.g. /agent/{id}/drafts
	Status     int
	Messages   []string // the envelope's errors
	Type       string   // error_type, when present
	RequestID  string   // x-request-id, for support tickets
	Deprecated bool     // the response carried Deprecation: true
	// Body is a short excerpt of a non-JSON body (e.g. the HTML 404 of an unknown route).
	Body string

	conflict *DraftConflict // the data.conflict of a rich draft-conflict 409
}

// maxErrorMessages bounds the messages Error shows: a draft conflict lists
// one path per field, and the text ends up in a Slack message.
const maxErrorMessages = 5

func (e *APIError) Error() string {
	var b strings.Builder
	if e.Is(ErrMigrationRequired) {
		// Lead with the plain explanation: the server's own text talks about
		// MCP tools and branches, which reads as noise in a Slack message.
		fmt.Fprintf(&b, "%s: %s %s: %d", ErrMigrationRequired.Error(), e.Method, e.Path, e.Status)
		if e.RequestID != "" {
			fmt.Fprintf(&b, " [request %s]", e.RequestID)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "atoms: %s %s: %d", e.Method, e.Path, e.Status)
	if n := len(e.Messages); n > maxErrorMessages {
		fmt.Fprintf(&b, " %s; … (%d more)", strings.Join(e.Messages[:maxErrorMessages], "; "), n-maxErrorMessages)
	} else if n > 0 {
		fmt.Fprintf(&b, " %s", strings.Join(e.Messages, "; "))
	} else if e.Body != "" {
		fmt.Fprintf(&b, " %q", e.Body)
	}
	if e.Type != "" {
		fmt.Fprintf(&b, " (%s)", e.Type)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// Is maps the API's answers onto the sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.notFound()
	case ErrSecurityCheckPending:
		// The exact answer is undocumented (no status or text is recorded): match loosely,
		// but a check that failed is not "pending".
		return e.Status >= 400 && e.Status < 500 && e.mentions("security check") &&
			!e.mentions("fail") && !e.mentions("error")
	case ErrMigrationRequired:
		return e.Status == 409 && e.Type == MigrationErrorType
	case ErrConfigFrozen:
		return e.Status == http.StatusLocked || e.Type == typeConfigFrozen
	case ErrBaseRevisionUnavailable:
		return e.Status == 409 && e.mentions(baseRevisionUnavailable)
	case ErrDraftConflict:
		_, ok := e.draftConflict()
		return ok
	case ErrNoOpenDraft:
		return e.noOpenDraft()
	case ErrForbidden:
		return e.Status == http.StatusForbidden
	}
	if typ := conflictType(target); typ != "" {
		return e.Status == 409 && e.Type == typ
	}
	return false
}

// noOpenDraft: a JSON 404 of a branch draft route (GET, DELETE, publish)
// means the branch has no open draft, unless its text says the branch or
// the agent is what is missing.
func (e *APIError) noOpenDraft() bool {
	if !e.notFound() || e.Status != 404 || !strings.Contains(e.Path, "/branches/{branchId}/draft") {
		return false
	}
	otherMissing := (e.mentions("branch") || e.mentions("agent")) && !e.mentions("draft")
	return !otherMissing
}

func (e *APIError) notFound() bool {
	switch {
	case e.Status == 404:
		// A JSON 404 names a missing resource; an HTML 404 is an unknown route.
		return e.Body == ""
	case e.Status == 400:
		// The API says "No agent found" (and "... not found" elsewhere) with 400.
		return e.mentions("not found") || e.mentions("no agent found")
	}
	return false
}

func (e *APIError) mentions(s string) bool {
	for _, m := range e.Messages {
		if strings.Contains(strings.ToLower(m), s) {
			return true
		}
	}
	return false
}

// Temporary reports whether the error is worth retrying for an idempotent call.
func (e *APIError) Temporary() bool {
	return e.Status == 429 || e.Status == 408 || e.Status >= 500
}

// NetworkError is a call that got no complete HTTP answer: the connection
// failed, the per-attempt timeout fired, the context ended mid-flight or the
// body could not be read. The server may or may not have acted on it.
type NetworkError struct {
	Method string
	Path   string // templated request path, as in APIError
	Err    error  // the cause
	msg    string // set by the Client: the cause's text without URL or secrets
}

// Error names the call and the cause, never the URL or the key.
func (e *NetworkError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return fmt.Sprintf("atoms: %s %s: network error: %v", e.Method, e.Path, e.Err)
}

// Unwrap gives the cause, e.g. for errors.Is(err, context.DeadlineExceeded).
func (e *NetworkError) Unwrap() error { return e.Err }
