package atomsim

import "net/http"

// migrationErrorType is the error_type of the branch-model 409.
const migrationErrorType = "versioning_v2_migration_required"

// migrationMessage is the body text production answers, verbatim from the
// v2 migration guide.
const migrationMessage = "This endpoint is deprecated under the branch model. Use the /agents/:id/branches APIs — publish, make-live and config edits now happen on branches. If you are calling this via the MCP server, update the MCP tool to its branch-model version as well."

// migrationError is what the v1 write and list endpoints answer once the
// organisation is on the branch model: 409, Deprecation: true, error_type.
// It is checked before the body or the ids are looked at, as on production
// (an empty fork body gets the 409, not the 400).
func migrationError() *apiError {
	e := newErr(http.StatusConflict, migrationMessage)
	e.errorType = migrationErrorType
	return e.withHeader("Deprecation", "true")
}

// Error types of the branch model's 409s and 423.
const (
	errTypeNameExists   = "branch_name_exists"
	errTypeNoCommit     = "source_has_no_commit"
	errTypeScanning     = "source_scanning"
	errTypeInProgress   = "publish_in_progress"
	errTypeNoCommitted  = "no_committed_revision"
	errTypeScanFailed   = "security_check_failed"
	errTypeFreezeActive = "config_freeze_active"
)

// frozenMessage is the 423's text; production's wording is not recorded.
const frozenMessage = "Agent configuration is frozen for maintenance. Retry after the freeze window."

func conflictErr(errorType, msg string) *apiError {
	e := newErr(http.StatusConflict, msg)
	e.errorType = errorType
	return e
}

// errFrozen is every branch-model write's answer during a config freeze.
func errFrozen() *apiError {
	e := newErr(http.StatusLocked, frozenMessage)
	e.errorType = errTypeFreezeActive
	return e
}

func errBranchNotFound() *apiError   { return newErr(http.StatusNotFound, "Branch not found") }
func errRevisionNotFound() *apiError { return newErr(http.StatusNotFound, "Revision not found") }
func errNoOpenDraft() *apiError      { return newErr(http.StatusNotFound, "No open draft on this branch") }
func errPublishInProgress() *apiError {
	return conflictErr(errTypeInProgress, "A publish is already in progress on this branch")
}
func errNoCommittedRevision() *apiError {
	return conflictErr(errTypeNoCommitted, "This branch has no committed revision")
}
