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
