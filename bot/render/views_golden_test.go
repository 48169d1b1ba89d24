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

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/command"
)

// evil is user- or agent-supplied text that must never reach Slack raw: it
// would ping the channel, mention a user and break an entity.
const evil = "<!channel> & <@U123> <https://evil.example|click>"

var (
	t0      = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	passed  = &atoms.SecurityCheck{Status: "passed"}
	pending = &atoms.SecurityCheck{Status: "pending"}
	failed  = &atoms.SecurityCheck{Status: "failed", Reason: "prompt asks for card numbers " + evil}
)

func helpEntries() []HelpEntry {
	var out []HelpEntry
	for _, name := range command.Order {
		out = append(out, HelpEntry{Usage: command.UsageOf(name), Summary: command.SummaryOf(name)})
	}
	return out
}

func agentNamed(name, id, kind string) atoms.Agent {
	return atoms.Agent{ID: id, Name: name, WorkflowType: kind, ActiveVersionID: "6900000000000000000000a3"}
}

func oid(n int) string { return fmt.Sprintf("69000000000000000000%04x", n) }

func someVersions() []atoms.Version {
	return []atoms.Version{
		{ID: oid(3), VersionNumber: 3, Label: "Refund wording " + evil, SecurityCheck: pending, PublishedByName: "maria.gonzalez", PublishedAt: t0.Add(-time.Hour)},
		{ID: "6900000000000000000000a3", VersionNumber: 2, Label: "Holiday hours", IsActive: true, SecurityCheck: passed, PublishedByName: "tom.becker", PublishedAt: t0.Add(-48 * time.Hour)},
		{ID: oid(1), VersionNumber: 1, SecurityCheck: nil, PublishedBy: "60d0fe4f5311236168a109ca", PublishedAt: t0.Add(-30 * 24 * time.Hour)},
		{ID: oid(4), VersionNumber: 4, Label: "Leaky", SecurityCheck: failed},
	}
}

func someDrafts() []atoms.Version {
	return []atoms.Version{
		{ID: oid(20), DraftID: "d-refund", DraftName: "Refund policy update", DraftRevision: 2, SourceVersionID: "6900000000000000000000a3", LastEditorName: "maria.gonzalez"},
		{ID: oid(21), DraftID: "d-evil", DraftName: evil, DraftRevision: 0, SourceVersionID: oid(99)},
		{ID: oid(22), DraftID: "d-unnamed", DraftRevision: 7},
	}
}

func approval(state string) ApprovalView {
	v := ApprovalView{
		PromotionID: "p_1", AgentName: "support-concierge " + evil, Kind: "promote",
		VersionID: oid(3), VersionNumber: 4, Label: "Refund wording " + evil, Requester: "UALICE",
		State: state, CheckStatus: "pending", Required: 2, ExpiresAt: t0.Add(24 * time.Hour),
		RequestedAt: t0,
		Diff: Diff("diff", atoms.Diff{Sections: []atoms.SectionDiff{
			{Section: "call_handling", Changes: []atoms.Change{{Path: "firstMessage", Old: json.RawMessage(`"Hi"`), New: json.RawMessage(`"Hello ` + strings.ReplaceAll(evil, `"`, `\"`) + `"`)}}},
		}}, DiffOptions{})[0].Blocks,
	}
	return v
}

func TestViewGoldens(t *testing.T) {
	manyAgents := make([]atoms.Agent, 45)
	for i := range manyAgents {
		manyAgents[i] = agentNamed(fmt.Sprintf("agent-%02d", i), oid(100+i), atoms.SinglePrompt)
	}
	manyVersions := make([]atoms.Version, 40)
	for i := range manyVersions {
		manyVersions[i] = atoms.Version{ID: oid(200 + i), VersionNumber: 120 - i, Label: strings.Repeat("long label ", 18), SecurityCheck: passed,
			PublishedByName: "someone with a long name", PublishedAt: t0.Add(-time.Duration(i) * time.Hour)}
	}
	status := StatusView{
		Agent:  agentNamed("support-concierge "+evil, oid(7), atoms.SinglePrompt),
		Active: &atoms.Version{VersionNumber: 2, Label: "Holiday hours " + evil, ActivatedAt: t0.Add(-time.Hour), ActivatedByName: "tom.becker"},
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
	watchDiff := Diff("support-concierge: v2 → v3", atoms.Diff{Sections: []atoms.SectionDiff{
		{Section: "workflow_prompt", Changes: []atoms.Change{{Path: "prompt", Old: json.RawMessage(`"line 1\nline 2"`), New: json.RawMessage(`"line 1\nline 2 ` + strings.ReplaceAll(evil, `"`, `\"`) + `"`)}}},
	}}, DiffOptions{})

	tests := []struct {
		name string
		msg  Message
		want []string // substrings the message must show
	}{
		{"help", Help("", helpEntries()), []string{"/atoms promote &lt;agent&gt; &lt;draft&gt; [label…]", "&lt;version&gt;: a version id or vN"}},
		{"help_unknown", Help(":warning: I don't know the command \"frob\".", helpEntries()), []string{"frob", "/atoms watch &lt;agent&gt;"}},
		{"agents", Agents([]atoms.Agent{agentNamed("support-concierge", oid(1), atoms.SinglePrompt),
			agentNamed("solar-lead-qualifier", oid(2), atoms.WorkflowGraph), agentNamed(evil, oid(3), "")}, ""),
			[]string{"3 agent(s)", "workflow graph", "&lt;!channel&gt; &amp; &lt;@U123&gt;"}},
		{"agents_search_empty", Agents(nil, evil), []string{"0 agent(s) matching “&lt;!channel&gt;"}},
		{"agents_many", Agents(manyAgents, "agent"), []string{"45 agent(s)", "… and 5 more"}},
		{"status", Status(status), []string{"Active: *v2*", "Open drafts: 3", "Promotion in flight: v3", "<@UALICE>", "<#CDEPLOYS>", "not-a-channel &lt;!here&gt;", "see the request"}},
		{"status_idle", Status(StatusView{Agent: agentNamed("clinic-scheduler", oid(8), atoms.SinglePrompt)}), []string{"Active: _none_", "Open drafts: 0", "No promotion in flight."}},
		{"versions", Versions(agentNamed("support-concierge", oid(7), atoms.SinglePrompt), someVersions(), 4),
			[]string{"*v2* “Holiday hours” · :large_green_circle: *active*", "check :white_check_mark: passed", "check :x: failed", "check :hourglass_flowing_sand: pending", "check :hourglass_flowing_sand: waiting"}},
		{"versions_many", Versions(agentNamed("big", oid(9), atoms.SinglePrompt), manyVersions, 120), []string{"Versions of *big* (120)", "… 89 older version(s) not shown."}},
		{"versions_none", Versions(agentNamed("new-agent", oid(9), atoms.SinglePrompt), nil, 0), []string{"none published"}},
		{"drafts", Drafts(agentNamed("support-concierge", oid(7), atoms.SinglePrompt), someDrafts(), map[string]int{"6900000000000000000000a3": 2}),
			[]string{"*Refund policy update* `d-refund` · revision 2 · from v2 · last edited by maria.gonzalez", "(unnamed)", "from `" + oid(99) + "`"}},
		{"drafts_empty", Drafts(agentNamed("support-concierge", oid(7), atoms.SinglePrompt), nil, nil), []string{"Start one with `/atoms edit support-concierge`"}},
		{"approval_open", Approval(approval("requested")), []string{"Approval needed", "Approve", "Reject", "Publishing the draft…"}},
		{"approval_passed", Approval(passedOpen), []string{"Approval needed", ":white_check_mark: passed", "1 of 2", "Waiting for 1 more approval(s)."}},
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
			for _, w := range tt.want {
				if !strings.Contains(shown, w) {
					t.Errorf("message does not show %q:\n%s", w, raw)
				}
			}
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
	var agents []atoms.Agent
	var versions, drafts []atoms.Version
	for i := range 200 {
		agents = append(agents, agentNamed(long, oid(i), atoms.WorkflowGraph))
		versions = append(versions, atoms.Version{ID: oid(i), VersionNumber: 200 - i, Label: long, PublishedByName: long, SecurityCheck: failed})
		drafts = append(drafts, atoms.Version{ID: oid(i), DraftID: long, DraftName: long, LastEditorName: long})
	}
	a := agentNamed(long, oid(1), atoms.SinglePrompt)
	for name, m := range map[string]Message{
		"agents":   Agents(agents, long),
		"versions": Versions(a, versions, 500),
		"drafts":   Drafts(a, drafts, nil),
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
