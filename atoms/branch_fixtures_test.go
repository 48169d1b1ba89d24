package atoms

import (
	"fmt"
	"strings"
)

// Recorded shapes of the branch model: every nullable member present, some
// as null, plus members the client does not model (__v, promptScore…).

const (
	fxAgent  = "60d0fe4f5311236168a109ca"
	fxMain   = "66c000000000000000000001"
	fxBot    = "66c000000000000000000002"
	fxRev1   = "66d000000000000000000001"
	fxRev2   = "66d000000000000000000002"
	fxDraft  = "66d0000000000000000000f1"
	fxDraftI = "drf_8c1f2a9e4b7d"
	fxUser   = "60d0fe4f5311236168a10001"
)

// fxBranch is a Branch; head and draft "" are sent as null. A branch with a
// source gets sourceBranchId = Main and sourceRevisionId = rev 1.
func fxBranch(id, name string, isDefault bool, head, draft string) string {
	src, srcRev := "null", "null"
	if !isDefault {
		src, srcRev = `"`+fxMain+`"`, `"`+fxRev1+`"`
	}
	return fmt.Sprintf(`{"_id":%q,"agent":%q,"name":%q,"isDefault":%t,"sourceBranchId":%s,"sourceRevisionId":%s,`+
		`"headRevisionId":%s,"openDraftId":%s,"status":"active","createdBy":%q,"updatedBy":%q,`+
		`"createdAt":"2026-07-23T10:00:00.000Z","updatedAt":"2026-08-02T09:30:00.000Z","__v":0}`,
		id, fxAgent, name, isDefault, src, srcRev, nullOr(head), nullOr(draft), fxUser, fxUser)
}

// fxSummary is a BranchSummary around fxBranch; headNumber 0 is sent as null.
func fxSummary(branch string, live, hasDraft bool, count, headNumber int) string {
	hn := "null"
	if headNumber > 0 {
		hn = fmt.Sprint(headNumber)
	}
	return fmt.Sprintf(`{"branch":%s,"isLive":%t,"hasOpenDraft":%t,"revisionsCount":%d,"headRevisionNumber":%s,`+
		`"createdByName":"Asha Rao","updatedByName":null,"lastActivityAt":"2026-08-02T09:30:00.000Z"}`,
		branch, live, hasDraft, count, hn)
}

// fxRevision is a committed revision of branch.
func fxRevision(id, branch string, n int) string {
	var blocks []string
	for i, s := range sectionNames {
		blocks = append(blocks, fmt.Sprintf(`"%s":"66a%021d"`, s, n*100+i))
	}
	return fmt.Sprintf(`{"_id":%q,"agent":%q,"status":"published","branch":%q,"revisionNumber":%d,"versionNumber":null,`+
		`"label":"Shorter greeting","description":null,"isPinned":false,"publishedBy":%q,"publishedAt":"2026-08-02T09:31:00.000Z",`+
		`"publishedByName":"Asha Rao","restoredFromRevisionId":null,"restoredFromLabel":null,"draftId":null,"draftName":null,`+
		`"draftRevision":null,"sourceVersionId":null,"sourceDraftId":%q,"blocks":{%s},"workflowType":"single_prompt",`+
		`"parentVersion":null,"isActive":false,"activatedBy":null,"activatedAt":null,`+
		`"securityCheck":{"status":"passed","reason":null,"triggeredAt":"2026-08-02T09:30:30.000Z","completedAt":"2026-08-02T09:30:36.000Z"},`+
		`"pendingPublish":null,"promptScore":null,"promptScoreStale":false,"createdBy":%q,`+
		`"createdAt":"2026-08-02T09:31:00.000Z","updatedAt":"2026-08-02T09:31:00.000Z","__v":0}`,
		id, fxAgent, branch, n, fxUser, fxDraftI, strings.Join(blocks, ","), fxUser)
}

// fxDraftRow is the open draft's row of the bot branch while a publish scans.
const fxDraftRow = `{"_id":"` + fxDraft + `","agent":"` + fxAgent + `","status":"draft","branch":"` + fxBot + `",` +
	`"revisionNumber":null,"versionNumber":null,"label":null,"description":null,"isPinned":false,"publishedBy":null,` +
	`"publishedAt":null,"publishedByName":null,"restoredFromRevisionId":null,"restoredFromLabel":null,` +
	`"draftId":"` + fxDraftI + `","draftName":null,"draftRevision":2,"sourceVersionId":"` + fxRev1 + `","sourceDraftId":null,` +
	`"blocks":{"workflow_prompt":"66a000000000000000000901"},"workflowType":"single_prompt","parentVersion":null,` +
	`"isActive":false,"activatedBy":null,"activatedAt":null,` +
	`"securityCheck":{"status":"queued","reason":null,"triggeredAt":"2026-08-02T09:30:30.000Z","completedAt":null},` +
	`"pendingPublish":{"state":"active","startedBy":"` + fxUser + `","startedAt":"2026-08-02T09:30:30.000Z"},` +
	`"createdBy":"` + fxUser + `","createdAt":"2026-08-02T09:29:00.000Z","updatedAt":"2026-08-02T09:30:30.000Z"}`

func nullOr(s string) string {
	if s == "" {
		return "null"
	}
	return `"` + s + `"`
}
