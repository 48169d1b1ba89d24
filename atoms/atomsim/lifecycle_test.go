package atomsim

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLifecycleGuide walks the guide's eight steps over raw HTTP and checks
// each of its pitfalls on the way.
func TestLifecycleGuide(t *testing.T) {
	e := newEnv(t, Options{})

	// Pitfall: language without switching is refused on create.
	r := e.must(400, "POST", "/atoms/v1/agent", map[string]any{"name": "lifecycle-demo", "language": map[string]any{"default": "en"}})
	if r.errText() != "Invalid Input: Required" || r.env.Status {
		t.Fatalf("language without switching: %s", r.raw)
	}

	// 1. Create.
	var agentID string
	e.must(201, "POST", "/atoms/v1/agent", map[string]any{
		"name": "lifecycle-demo", "language": map[string]any{"switching": map[string]any{"isEnabled": false}},
	}).data(t, &agentID)
	if !isObjectID(agentID) {
		t.Fatalf("agent id %q is not an ObjectId", agentID)
	}

	// 2. Read the active version.
	ag := e.must(200, "GET", "/atoms/v1/agent/"+agentID, nil).obj(t)
	v1 := str(ag["activeVersionId"])
	if !isObjectID(v1) || ag["versionId"] != v1 {
		t.Fatalf("activeVersionId %q, versionId %v", v1, ag["versionId"])
	}

	// Pitfall: an empty fork body is a 400 with the documented text.
	r = e.must(400, "POST", "/atoms/v1/agent/"+agentID+"/drafts", map[string]any{})
	if r.errText() != "Either sourceVersionId or sourceDraftId is required" {
		t.Fatalf("empty fork: %s", r.raw)
	}

	// 3. Fork.
	d := e.must(201, "POST", "/atoms/v1/agent/"+agentID+"/drafts", map[string]any{"sourceVersionId": v1}).obj(t)
	draftID := str(d["draftId"])
	if draftID == "" || draftID == d["_id"] || isObjectID(draftID) || d["status"] != "draft" || d["draftRevision"] != 0.0 {
		t.Fatalf("fork record: %v", d)
	}

	// 4. Edit. Pitfall: the answer does not echo the field.
	const greeting = "Hello, this is the lifecycle demo agent."
	r = e.must(200, "PATCH", "/atoms/v1/agent/"+agentID+"/drafts/"+draftID+"/config", map[string]any{"firstMessage": greeting})
	patched := r.obj(t)
	if _, ok := patched["firstMessage"]; ok || strings.Contains(string(r.raw), greeting) {
		t.Fatalf("PATCH echoed the field: %s", r.raw)
	}
	if patched["draftRevision"] != 1.0 || patched["blocks"] == nil {
		t.Fatalf("PATCH answer lacks draftRevision/blocks: %s", r.raw)
	}
	// ... and GET of the draft and ?draftId= confirm it.
	dd := e.must(200, "GET", "/atoms/v1/agent/"+agentID+"/drafts/"+draftID, nil).obj(t)
	hist := dd["editHistory"].([]any)
	if dd["editCount"] != 1.0 || len(hist) != 1 || hist[0].(map[string]any)["revision"] != 1.0 ||
		!slices.Equal(toStrings(hist[0].(map[string]any)["changedSections"]), []string{"call_handling"}) {
		t.Fatalf("draft detail: %v", dd)
	}
	viaDraft := e.must(200, "GET", "/atoms/v1/agent/"+agentID+"?draftId="+draftID, nil).obj(t)
	if got := viaDraft["_resolvedConfig"].(map[string]any)["firstMessage"]; got != greeting || viaDraft["_configSource"] != "draft" {
		t.Fatalf("?draftId= resolved firstMessage %v, source %v", got, viaDraft["_configSource"])
	}

	// 5. Publish. Pitfall: activate:true is ignored.
	pub := e.must(201, "POST", "/atoms/v1/agent/"+agentID+"/drafts/"+draftID+"/publish",
		map[string]any{"label": "v2 - greeting added", "activate": true}).obj(t)
	v2 := str(pub["_id"])
	check := pub["securityCheck"].(map[string]any)
	if pub["isActive"] != false || pub["versionNumber"] != 2.0 || pub["status"] != "published" ||
		check["status"] != "pending" || pub["sourceDraftId"] != draftID || pub["label"] != "v2 - greeting added" {
		t.Fatalf("published version: %v", pub)
	}
	if e.activeVersion(agentID) != v1 {
		t.Fatal("publish changed the active version")
	}
	e.must(404, "GET", "/atoms/v1/agent/"+agentID+"/drafts/"+draftID, nil)
	var drafts []any
	e.must(200, "GET", "/atoms/v1/agent/"+agentID+"/drafts", nil).data(t, &drafts)
	if len(drafts) != 0 {
		t.Fatalf("published draft still listed: %v", drafts)
	}

	// 6. Activate. Pitfall: too early is the pending error until the check passes.
	activate := "/atoms/v1/agent/" + agentID + "/versions/" + v2 + "/activate"
	r = e.must(400, "PATCH", activate, nil)
	if string(r.raw) != `{"status":false,"errors":["Security check pending for this version"]}` {
		t.Fatalf("early activation body: %s", r.raw)
	}
	e.clock.Advance(DefaultCheckDelay - time.Millisecond)
	e.must(400, "PATCH", activate, nil)
	e.clock.Advance(time.Millisecond)
	got := e.must(200, "GET", "/atoms/v1/agent/"+agentID+"/versions/"+v2, nil).obj(t)["version"].(map[string]any)
	if c := got["securityCheck"].(map[string]any); c["status"] != "passed" || c["completedAt"] == nil {
		t.Fatalf("check after the delay: %v", c)
	}
	act := e.must(200, "PATCH", activate, nil, "X-Atomsim-User: priya").obj(t)
	if act["isActive"] != true || act["activatedBy"] != "priya" || act["activatedAt"] == nil {
		t.Fatalf("activated: %v", act)
	}
	e.clock.Advance(time.Minute)
	again := e.must(200, "PATCH", activate, nil, "X-Atomsim-User: someone-else").obj(t)
	if again["activatedAt"] != act["activatedAt"] || again["activatedBy"] != "priya" {
		t.Fatalf("re-activation changed the record: %v", again)
	}
	old := e.must(200, "GET", "/atoms/v1/agent/"+agentID+"/versions/"+v1, nil).obj(t)["version"].(map[string]any)
	if old["isActive"] != false {
		t.Fatal("previous version still active")
	}

	// 7. Outbound call.
	var call map[string]string
	e.must(200, "POST", "/atoms/v1/conversation/outbound", map[string]any{"agentId": agentID, "phoneNumber": "+14155550100"}).data(t, &call)
	if !regexp.MustCompile(`^CALL-\d{13}-[0-9a-f]{6}$`).MatchString(call["conversationId"]) {
		t.Fatalf("conversation id %q", call["conversationId"])
	}

	// 8. Verify the active config.
	final := e.must(200, "GET", "/atoms/v1/agent/"+agentID, nil).obj(t)
	if final["activeVersionId"] != v2 || final["_resolvedConfig"].(map[string]any)["firstMessage"] != greeting {
		t.Fatalf("final agent: active %v, resolved %v", final["activeVersionId"], final["_resolvedConfig"])
	}

	// Pitfall: plain DELETE is Express's HTML 404; archive is the way.
	r = e.must(404, "DELETE", "/atoms/v1/agent/"+agentID, nil)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(r.raw), "<pre>Cannot DELETE /atoms/v1/agent/"+agentID+"</pre>") {
		t.Fatalf("plain DELETE: %s %s", r.header.Get("Content-Type"), r.raw)
	}
	var msg map[string]string
	e.must(200, "DELETE", "/atoms/v1/agent/"+agentID+"/archive", nil).data(t, &msg)
	if msg["message"] != "Agent archived" {
		t.Fatalf("archive: %v", msg)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, e := range v.([]any) {
		out = append(out, e.(string))
	}
	return out
}
