package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/atomsbot/atomsbot/bot/command"
)

// evil is user- or agent-supplied text that must never reach Slack raw: it
// would ping the channel, mention a user and break an entity.
const evil = "<!channel> & <@U123> <https://evil.example|click>"

var (
	t0      = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	passed  = platform.Check{Status: "passed"}
	pending = platform.Check{Status: "pending"}
	failed  = platform.Check{Status: "failed", Reason: "prompt asks for card numbers " + evil}
)

func helpEntries() []HelpEntry {
	var out []HelpEntry
	for _, name := range command.Order {
		out = append(out, HelpEntry{Usage: command.UsageOf(name), Summary: command.SummaryOf(name)})
	}
	return out
}

// singlePrompt is the workflow type of agents driven by one prompt.
const singlePrompt = "single_prompt"

func agentNamed(name, id, kind string) platform.Agent {
	return platform.Agent{ID: id, Name: name, WorkflowType: kind, LiveVersionID: "6900000000000000000000a3"}
}

func oid(n int) string { return fmt.Sprintf("69000000000000000000%04x", n) }

func someVersions() []platform.Version {
	return []platform.Version{
		{ID: oid(3), Number: 3, Ref: "v3", Label: "Refund wording " + evil, Check: pending, PublishedBy: "maria.gonzalez", PublishedAt: t0.Add(-time.Hour)},
		{ID: "6900000000000000000000a3", Number: 2, Ref: "v2", Label: "Holiday hours", Live: true, Check: passed, PublishedBy: "tom.becker", PublishedAt: t0.Add(-48 * time.Hour)},
		{ID: oid(1), Number: 1, Ref: "v1", PublishedBy: "60d0fe4f5311236168a109ca", PublishedAt: t0.Add(-30 * 24 * time.Hour)},
		{ID: oid(4), Number: 4, Ref: "v4", Label: "Leaky", Check: failed},
	}
}

// someDrafts are open drafts of a platform without branches: the first
// started from the live v2, the second from a version that is not listed
// (only its id is known), the third from nothing known.
func someDrafts() []platform.Draft {
	return []platform.Draft{
		{ID: "d-refund", Name: "Refund policy update", Open: true, Revision: 2, Base: "v2", BaseID: "6900000000000000000000a3", LastEditor: "maria.gonzalez"},
		{ID: "d-evil", Name: evil, Open: true, Revision: 0, BaseID: oid(99)},
		{ID: "d-unnamed", Open: true, Revision: 7},
	}
}

// evilRef is a version ref on a branch whose name anyone may choose: it
// carries a broadcast, an ampersand and mrkdwn bold marks.
const evilRef = "fix<!here>&*bold*/v2"

// branchAgent is an agent of a platform with branches; the branch "Main" is
// live and its head, v5, serves calls.
func branchAgent() platform.Agent {
	return platform.Agent{ID: oid(30), Name: "clinic-scheduler", WorkflowType: singlePrompt, LiveVersionID: oid(35)}
}

// branchDrafts are the open drafts of branchAgent, one per branch: on the
// live branch (its last check passed, which is not worth a word), being
// published, and on a new branch with no head of its own (only the id of
// the revision it started from is known) whose last check failed.
func branchDrafts() []platform.Draft {
	return []platform.Draft{
		{ID: oid(40), Name: "Main", Open: true, Revision: 3, Base: "v5", BaseID: oid(35), LastEditor: "tom.becker", Live: true, Check: passed},
		{ID: oid(41), Name: "refund-wording", Open: true, Revision: 2, Base: "refund-wording/v2", BaseID: oid(52), LastEditor: "maria.gonzalez", Scanning: true},
		{ID: oid(42), Name: "leaky " + evil, Open: true, Revision: 4, BaseID: oid(34), Check: failed},
	}
}

func approval(state string) ApprovalView {
	v := ApprovalView{
		PromotionID: "p_1", AgentName: "support-concierge " + evil, Kind: "promote",
		VersionID: oid(3), VersionNumber: 4, Label: "Refund wording " + evil, Requester: "UALICE",
		State: state, CheckStatus: "pending", Required: 2, ExpiresAt: t0.Add(24 * time.Hour),
		RequestedAt: t0,
		Diff: Diff("diff", platform.Diff{Sections: []platform.SectionDiff{
			{Section: "call_handling", Changes: []platform.Change{{Path: "firstMessage", Old: json.RawMessage(`"Hi"`), New: json.RawMessage(`"Hello ` + strings.ReplaceAll(evil, `"`, `\"`) + `"`)}}},
		}}, DiffOptions{})[0].Blocks,
	}
	return v
}

func TestViewGoldens(t *testing.T) {
	manyAgents := make([]platform.Agent, 45)
	for i := range manyAgents {
		manyAgents[i] = agentNamed(fmt.Sprintf("agent-%02d", i), oid(100+i), singlePrompt)
	}
	manyVersions := make([]platform.Version, 40)
	for i := range manyVersions {
		manyVersions[i] = platform.Version{ID: oid(200 + i), Number: 120 - i, Ref: fmt.Sprintf("v%d", 120-i), Label: strings.Repeat("long label ", 18), Check: passed,
			PublishedBy: "someone with a long name", PublishedAt: t0.Add(-time.Duration(i) * time.Hour)}
	}
	status := StatusView{
		Agent:  agentNamed("support-concierge "+evil, oid(7), singlePrompt),
		Active: &platform.Version{Number: 2, Ref: "v2", Label: "Holiday hours " + evil, ActivatedAt: t0.Add(-time.Hour), ActivatedBy: "tom.becker"},
		Drafts: someDrafts(),
		InFlight: &InFlight{VersionNumber: 3, Label: "Refund " + evil, State: "published", Requester: "UALICE",
			Link: "https://slack.com/archives/CDEPLOYS/p1793610000000100"},
		Watchers:  []string{"CDEPLOYS", "COPS", "not-a-channel <!here>"},
		Generated: t0,
	}
	live := approval("live")
	live.CheckStatus, live.Approvals, live.LiveAt = "passed", []string{"UBOB", "UCAROL"}, t0.Add(3*time.Minute+7*time.Second)
	passedOpen := approval("published")
	passedOpen.CheckStatus, passedOpen.Approvals = "passed", []string{"UBOB"}
	rejected := approval("rejected")
	rejected.EndedBy, rejected.Reason = "UBOB", "not during the sale "+evil
	failedView := approval("failed")
	failedView.CheckStatus, failedView.CheckReason, failedView.Reason = "failed", failed.Reason, "security check failed: "+failed.Reason
	rollback := approval("published")
	rollback.Kind, rollback.Approvers, rollback.AllowSelf, rollback.Diff = "rollback", []string{"UBOB", "UCAROL"}, true, nil
	bigDiff := approval("requested")
	bigDiff.Diff = nil
	for i := range 60 {
		bigDiff.Diff = append(bigDiff.Diff, section(fmt.Sprintf("diff block %d", i)))
	}
	bigDiff.DiffNote = "The full diff is in the thread."
	watchDiff := Diff("support-concierge: v2 → v3", platform.Diff{Sections: []platform.SectionDiff{
		{Section: "workflow_prompt", Changes: []platform.Change{{Path: "prompt", Old: json.RawMessage(`"line 1\nline 2"`), New: json.RawMessage(`"line 1\nline 2 ` + strings.ReplaceAll(evil, `"`, `\"`) + `"`)}}},
	}}, DiffOptions{})

	branchStatus := StatusView{
		Agent: branchAgent(),
		Active: &platform.Version{ID: oid(35), Number: 5, Ref: "v5", Branch: "Main", Label: "Holiday hours", Live: true, Check: passed,
			ActivatedBy: "tom.becker", ActivatedAt: t0.Add(-2 * time.Hour)},
		Drafts:    branchDrafts(),
		InFlight:  &InFlight{VersionNumber: 3, VersionRef: "refund-wording/v3", Label: "Refund wording", State: "published", Requester: "UALICE"},
		Generated: t0,
	}
	branchVersions := []platform.Version{
		{ID: oid(53), Number: 3, Ref: "refund-wording/v3", Branch: "refund-wording", Label: "Refund wording", Check: pending, PublishedBy: "maria.gonzalez", PublishedAt: t0.Add(-time.Hour)},
		{ID: oid(52), Number: 2, Ref: "refund-wording/v2", Branch: "refund-wording", Check: passed, PublishedBy: "maria.gonzalez", PublishedAt: t0.Add(-24 * time.Hour)},
		{ID: oid(51), Number: 1, Ref: "refund-wording/v1", Branch: "refund-wording", Check: passed, PublishedBy: "60d0fe4f5311236168a109ca", PublishedAt: t0.Add(-48 * time.Hour)},
	}
	// v6 republished v4 (Atoms names it by its label), v5 an older revision
	// known only by its id; v6 is live.
	restoredAgent := branchAgent()
	restoredAgent.LiveVersionID = oid(36)
	restoredVersions := []platform.Version{
		{ID: oid(36), Number: 6, Ref: "v6", Branch: "Main", Live: true, Check: passed, RestoredFrom: "Holiday hours " + evil, PublishedBy: "tom.becker", PublishedAt: t0},
		{ID: oid(35), Number: 5, Ref: "v5", Branch: "Main", Check: passed, RestoredFrom: oid(31), PublishedBy: "tom.becker", PublishedAt: t0.Add(-time.Hour)},
		{ID: oid(34), Number: 4, Ref: "v4", Branch: "Main", Label: "Holiday hours " + evil, Check: passed, PublishedBy: "maria.gonzalez", PublishedAt: t0.Add(-72 * time.Hour)},
	}
	refApproval := approval("published")
	refApproval.VersionNumber, refApproval.VersionRef = 2, evilRef
	const shownRef = "fix&lt;!here&gt;&amp;*bold*/v2"

	tests := []struct {
		name string
		msg  Message
		want []string // substrings the message must show
	}{
		{"help", Help("", helpEntries()), []string{"/atoms promote &lt;agent&gt; &lt;draft&gt; [label…]", "&lt;version&gt;: a version id, vN, or branch/vN for a branch other than the live one.",
			"/atoms versions &lt;agent&gt; [&lt;branch&gt;]"}},
		{"help_unknown", Help(":warning: I don't know the command \"frob\".", helpEntries()), []string{"frob", "/atoms watch &lt;agent&gt;"}},
		{"agents", Agents([]platform.Agent{agentNamed("support-concierge", oid(1), singlePrompt),
			agentNamed("solar-lead-qualifier", oid(2), platform.WorkflowGraph), agentNamed(evil, oid(3), "")}, ""),
			[]string{"3 agents", "workflow graph", "&lt;!channel&gt; &amp; &lt;@U123&gt;"}},
		{"agents_search_empty", Agents(nil, evil), []string{"0 agents matching “&lt;!channel&gt;"}},
		{"agents_many", Agents(manyAgents, "agent"), []string{"45 agents", "… and 5 more"}},
		{"status", Status(status), []string{"Active: *v2*", "Open drafts: 3", "Promotion in flight: v3", "<@UALICE>", "<#CDEPLOYS>", "not-a-channel &lt;!here&gt;", "see the request"}},
		{"status_idle", Status(StatusView{Agent: agentNamed("clinic-scheduler", oid(8), singlePrompt)}), []string{"Active: _none_", "Open drafts: 0", "No promotion in flight."}},
		{"status_branches", Status(branchStatus), []string{"Active: *v5* “Holiday hours” on branch *Main* since <!date^", "by tom.becker",
			"Open drafts: 3 (Main, refund-wording, leaky &lt;!channel&gt;", "Promotion in flight: refund-wording/v3 “Refund wording”, published"}},
		{"drafts_branches", Drafts(branchAgent(), branchDrafts()), []string{
			"*Main* `" + oid(40) + "` · revision 3 · from v5 · last edited by tom.becker · on the live branch\n",
			"*refund-wording* `" + oid(41) + "` · revision 2 · from refund-wording/v2 · last edited by maria.gonzalez · :hourglass_flowing_sand: being published (security check running)",
			"revision 4 · from `" + oid(34) + "` · last security check :x: failed: prompt asks for card numbers &lt;!channel&gt;"}},
		{"versions_branch", Versions(branchAgent(), branchVersions, 3, "refund-wording", nil), []string{"Versions of *clinic-scheduler* on branch *refund-wording* (3)",
			"*refund-wording/v3* “Refund wording” · check :hourglass_flowing_sand: pending · by maria.gonzalez", "*refund-wording/v1* · check :white_check_mark: passed · by 60d0fe4f5311236168a109ca"}},
		{"versions_restored", Versions(restoredAgent, restoredVersions, 6, "Main", nil), []string{"Versions of *clinic-scheduler* on branch *Main* (6)",
			"*v6* · :large_green_circle: *active* · check :white_check_mark: passed · restores Holiday hours &lt;!channel&gt; &amp; &lt;@U123&gt;",
			"*v5* · check :white_check_mark: passed · restores " + oid(31) + " · by", "… 3 older versions not shown."}},
		{"approval_ref", Approval(refApproval), []string{"Promotion: support-concierge &lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt; → " + shownRef,
			"Approval needed: support-concierge &lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt; " + shownRef + " “Refund wording"}},
		{"live_ref", Live(LiveView{AgentName: "support-concierge", VersionNumber: 2, VersionRef: evilRef, Label: "Refund", Kind: "promote",
			Requester: "UALICE", Approvers: []string{"UBOB"}, RequestedAt: t0, LiveAt: t0.Add(95 * time.Second)}),
			[]string{":rocket: *support-concierge " + shownRef + " “Refund” is live*", "support-concierge " + shownRef + " “Refund” is live"}},
		{"watch_ref", ExternalLive(ExternalLiveView{AgentName: "support-concierge", VersionNumber: 2, VersionRef: evilRef, ActivatedAt: t0}, true, nil),
			[]string{"*support-concierge " + shownRef + " is live* — activated outside atomsbot", "support-concierge " + shownRef + " is live (activated outside atomsbot)"}},
		{"versions", Versions(agentNamed("support-concierge", oid(7), singlePrompt), someVersions(), 4, "", nil),
			[]string{"*v2* “Holiday hours” · :large_green_circle: *active*", "check :white_check_mark: passed", "check :x: failed", "check :hourglass_flowing_sand: pending", "check :hourglass_flowing_sand: waiting"}},
		{"versions_many", Versions(agentNamed("big", oid(9), singlePrompt), manyVersions, 120, "", nil), []string{"Versions of *big* (120)", "… 89 older versions not shown."}},
		{"versions_none", Versions(agentNamed("new-agent", oid(9), singlePrompt), nil, 0, "", nil), []string{"none published"}},
		{"drafts", Drafts(agentNamed("support-concierge", oid(7), singlePrompt), someDrafts()),
			[]string{"*Refund policy update* `d-refund` · revision 2 · from v2 · last edited by maria.gonzalez", "(unnamed)", "from `" + oid(99) + "`"}},
		{"drafts_empty", Drafts(agentNamed("support-concierge", oid(7), singlePrompt), nil), []string{"Start one with `/atoms edit support-concierge`"}},
		{"approval_open", Approval(approval("requested")), []string{"Approval needed", "Approve", "Reject", "Publishing the draft…"}},
		{"approval_passed", Approval(passedOpen), []string{"Approval needed", ":white_check_mark: passed", "1 of 2", "Waiting for 1 more approval."}},
		{"approval_live", Approval(live), []string{"is live", ":rocket: Live since", "3m07s from request to live"}},
		{"approval_rejected", Approval(rejected), []string{"rejected", ":no_entry: Rejected by <@UBOB>"}},
		{"approval_failed", Approval(failedView), []string{"failed", ":x: Failed — security check failed"}},
		{"approval_rollback", Approval(rollback), []string{"Rollback:", "a rollback to an earlier version", "<@UBOB>, <@UCAROL>"}},
		{"approval_big_diff", Approval(bigDiff), []string{"more blocks not shown", "Approve"}},
		{"live", Live(LiveView{AgentName: "support-concierge " + evil, VersionNumber: 4, Label: "Refund " + evil, Kind: "promote",
			Requester: "UALICE", Approvers: []string{"UBOB"}, RequestedAt: t0, LiveAt: t0.Add(95 * time.Second),
			Link: "https://slack.com/archives/CDEPLOYS/p1793610000000100"}), []string{"is live", "approved by <@UBOB>", "1m35s from request to live"}},
		{"live_rollback", Live(LiveView{AgentName: "support-concierge", VersionNumber: 2, Kind: "rollback", Requester: "UALICE",
			Link: "javascript:alert(1)"}), []string{"is live* (rollback)"}},
		{"watch", ExternalLive(ExternalLiveView{AgentName: "support-concierge " + evil, VersionNumber: 3, Label: evil,
			ActivatedBy: "dashboard user " + evil, ActivatedAt: t0}, true, watchDiff), []string{"is live", "activated outside atomsbot", "dashboard user &lt;!channel&gt;"}},
		{"watch_other_channel", ExternalLive(ExternalLiveView{AgentName: "support-concierge", VersionNumber: 3, ActivatedAt: t0}, false, nil),
			[]string{"went live"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg
			if err := CheckMessage(m); err != nil {
				t.Errorf("breaks Slack limits: %v", err)
			}
			checkRoundTrip(t, []Message{m})
			raw := viewJSON(t, m)
			assertEscaped(t, string(raw))
			shown := m.Text + "\n" + string(raw)
			wantShown(t, shown, raw, tt.want, nil)
			compareGolden(t, filepath.Join("testdata", "views", tt.name+".golden.json"), raw)
		})
	}
}

// TestViewTextSaysWhatPeopleScanFor pins the words of the contract in the
// plain-text fallback, which is what notifications and CountText see.
func TestViewTextSaysWhatPeopleScanFor(t *testing.T) {
	live := approval("live")
	tests := []struct {
		name, text, want string
		not              string
	}{
		{"live approval", Approval(live).Text, "is live", ""},
		{"open approval", Approval(approval("published")).Text, "Approval needed", "is live"},
		{"rejected", Approval(approval("rejected")).Text, "rejected", "is live"},
		{"failed", Approval(approval("failed")).Text, "failed", "is live"},
		{"live", Live(LiveView{AgentName: "a", VersionNumber: 2}).Text, "a v2 is live", ""},
		{"watch primary", ExternalLive(ExternalLiveView{AgentName: "a", VersionNumber: 2}, true, nil).Text, "is live", ""},
		{"watch others", ExternalLive(ExternalLiveView{AgentName: "a", VersionNumber: 2}, false, nil).Text, "went live", "is live"},
		{"live by ref", Live(LiveView{AgentName: "a", VersionNumber: 2, VersionRef: "b/v2"}).Text, "a b/v2 is live", "a v2"},
		{"watch by ref", ExternalLive(ExternalLiveView{AgentName: "a", VersionNumber: 2, VersionRef: "b/v2"}, true, nil).Text, "a b/v2 is live", "a v2"},
		{"approval by ref", Approval(ApprovalView{AgentName: "a", VersionNumber: 2, VersionRef: "b/v2", State: "live"}).Text, "a b/v2 is live", "a v2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(tt.text, tt.want) {
				t.Errorf("text %q lacks %q", tt.text, tt.want)
			}
			if tt.not != "" && strings.Contains(tt.text, tt.not) {
				t.Errorf("text %q says %q", tt.text, tt.not)
			}
		})
	}
}

// TestListsStayWithinLimits feeds the list renderers inputs far beyond what
// a message holds and checks every limit holds and the cut is announced.
func TestListsStayWithinLimits(t *testing.T) {
	long := strings.Repeat("ü&<", 400) // 1200 runes, 3600 after escaping
	var agents []platform.Agent
	var versions []platform.Version
	var drafts []platform.Draft
	for i := range 200 {
		agents = append(agents, agentNamed(long, oid(i), platform.WorkflowGraph))
		versions = append(versions, platform.Version{ID: oid(i), Number: 200 - i, Ref: fmt.Sprintf("v%d", 200-i), Label: long, PublishedBy: long, Check: failed})
		drafts = append(drafts, platform.Draft{ID: long, Name: long, Open: true, LastEditor: long})
	}
	a := agentNamed(long, oid(1), singlePrompt)
	for name, m := range map[string]Message{
		"agents":   Agents(agents, long),
		"versions": Versions(a, versions, 500, "", nil),
		"drafts":   Drafts(a, drafts),
		"status":   Status(StatusView{Agent: a, Active: &versions[0], Drafts: drafts, Watchers: []string{long}}),
	} {
		t.Run(name, func(t *testing.T) {
			if err := CheckMessage(m); err != nil {
				t.Errorf("breaks Slack limits: %v", err)
			}
			raw := viewJSON(t, m)
			assertEscaped(t, string(raw))
			if name != "status" && !strings.Contains(string(raw), " more") && !strings.Contains(string(raw), "not shown") {
				t.Errorf("the cut is not announced")
			}
		})
	}
}

// assertEscaped fails when raw holds user text that Slack would parse: a
// broadcast, a mention of the injected user, a link of the injected URL, or
// a bare "&" that is not one of the three entities.
func assertEscaped(t *testing.T, raw string) {
	t.Helper()
	for _, bad := range []string{"<!channel>", "<!here>", "<@U123>", "<https://evil"} {
		if strings.Contains(raw, bad) {
			t.Errorf("unescaped %q reaches Slack:\n%s", bad, raw)
		}
	}
	for i := strings.IndexByte(raw, '&'); i >= 0; {
		rest := raw[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("bare & at %d: %q", i, rest[:min(len(rest), 20)])
			return
		}
		j := strings.IndexByte(raw[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}

func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

// viewJSON is one message as golden JSON: decoded and re-encoded without
// HTML escaping (slack-go escapes some nested objects as \u003c, which would
// hide a raw "<" from the checks), indented, keys sorted.
func viewJSON(t *testing.T, m Message) []byte {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wantShown checks that shown, what a message shows, has every want and no
// not; raw is the message, for the failure.
func wantShown(t *testing.T, shown string, raw []byte, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(shown, w) {
			t.Errorf("message does not show %q:\n%s", w, raw)
		}
	}
	for _, n := range not {
		if strings.Contains(shown, n) {
			t.Errorf("message shows %q:\n%s", n, raw)
		}
	}
}
