package render

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms/platform"
	"github.com/slack-go/slack"
)

// marked is user text full of mrkdwn formatting marks.
const marked = "*VIP* ~old~ `legacy` after_hours"

// token is any <…> Slack token.
var token = regexp.MustCompile(`<[^<>]*>`)

// assertMarksBalanced fails when a line of mrkdwn, with its tokens taken
// out, holds an odd number of a formatting mark: user text would then open
// or close the bot's own bold or italics.
func assertMarksBalanced(t *testing.T, mrkdwn string) {
	t.Helper()
	for _, line := range strings.Split(mrkdwn, "\n") {
		bare := emojiCode.ReplaceAllString(token.ReplaceAllString(line, ""), "")
		bare = regexp.MustCompile("`[^`]*`").ReplaceAllString(bare, "") // inline code shows marks as typed
		for _, mark := range []string{"*", "_", "~"} {
			if n := strings.Count(bare, mark); n%2 != 0 {
				t.Errorf("%d %q outside tokens in line %q", n, mark, line)
			}
		}
	}
}

// shownAs is mrkdwn as a reader sees (and copies) it: each mark token
// replaced by its fallback.
func shownAs(mrkdwn string) string {
	return regexp.MustCompile(`<!date\^0\^\{_\}\|([^>]*)>`).ReplaceAllString(mrkdwn, "$1")
}

func TestLiteralShowsMarksAsTyped(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain name", "plain name"},
		{"*VIP*", "<!date^0^{_}|*>VIP<!date^0^{_}|*>"},
		{"a_b ~c~ `d`", "a<!date^0^{_}|_>b <!date^0^{_}|~>c<!date^0^{_}|~> <!date^0^{_}|`>d<!date^0^{_}|`>"},
		{"<!channel> & *x*", "&lt;!channel&gt; &amp; <!date^0^{_}|*>x<!date^0^{_}|*>"},
		{":white_check_mark: ok_go", ":white_check_mark: ok<!date^0^{_}|_>go"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Literal(tt.in)
			if got != tt.want {
				t.Errorf("Literal(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if shown := shownAs(got); shown != Escape(tt.in) {
				t.Errorf("shown as %q, want the text as typed %q", shown, Escape(tt.in))
			}
		})
	}
}

func TestTruncateKeepsTokensWhole(t *testing.T) {
	s := "ab" + Literal("*") + "cd"
	for n := 1; n < len(s); n++ {
		got := Truncate(s, n, "…")
		body := strings.TrimSuffix(got, "…")
		if strings.Count(body, "<") != strings.Count(body, ">") {
			t.Errorf("Truncate(%q, %d) = %q cuts a token", s, n, got)
		}
	}
}

func TestNamesWithMarksAndHistoryGoldens(t *testing.T) {
	vip := agentNamed(marked, oid(7), singlePrompt)
	versions := []platform.Version{
		{ID: oid(5), Number: 5, Ref: "v5", Label: "Refund _wording_ *v2*", Live: true, Check: passed, PublishedBy: "api", PublishedAt: t0.Add(-time.Hour)},
		{ID: oid(4), Number: 4, Ref: "v4", Label: "Holiday hours", Check: passed, PublishedBy: "api", PublishedAt: t0.Add(-48 * time.Hour)},
		{ID: oid(3), Number: 3, Ref: "v3", Check: passed, PublishedBy: "dashboard_user", PublishedAt: t0.Add(-72 * time.Hour)},
	}
	byBot := map[string]ByBot{
		oid(5): {PublishedBy: "UALICE", ActivatedBy: "UALICE", ActivatedAt: t0.Add(-30 * time.Minute)},
		oid(4): {PublishedBy: "UCAROL", ActivatedBy: "UDAVE", ActivatedAt: t0.Add(-2 * time.Hour)},
	}
	history := []HistoryItem{
		{Version: "v6", VersionID: oid(6), Label: "Greeting *fix*", Requester: "UALICE", RequestedAt: t0, PublishedAt: t0.Add(time.Minute)},
		{Version: "v5", VersionID: oid(5), Label: "Refund " + evil, Requester: "UALICE", Approvers: []string{"UBOB", "UCAROL"}, Outcome: "live",
			RequestedAt: t0.Add(-time.Hour), PublishedAt: t0.Add(-59 * time.Minute), EndedAt: t0.Add(-time.Hour + 3*time.Minute + 7*time.Second)},
		{Rollback: true, VersionID: oid(2), Requester: "UDAVE", Outcome: "rejected", EndedBy: "UBOB", Reason: "not during the _sale_ " + evil,
			RequestedAt: t0.Add(-3 * time.Hour), EndedAt: t0.Add(-3*time.Hour + 12*time.Minute)},
		{Rollback: true, Version: "Main/v3", VersionID: oid(3), Requester: "UERIN", Approvers: []string{"UBOB"}, Outcome: "live",
			RequestedAt: t0.Add(-26 * time.Hour), EndedAt: t0.Add(-24 * time.Hour)},
		{Version: "v4", Requester: "UALICE", Outcome: "expired", Reason: "not approved within 24h0m0s", RequestedAt: t0.Add(-50 * time.Hour), EndedAt: t0.Add(-26 * time.Hour)},
		{Requester: "UALICE", Outcome: "failed", Reason: "security check failed", RequestedAt: t0.Add(-60 * time.Hour), EndedAt: t0.Add(-60*time.Hour + time.Minute)},
		{Version: "v2", Requester: "UALICE", Outcome: "cancelled", EndedBy: "UALICE", RequestedAt: t0.Add(-70 * time.Hour), EndedAt: t0.Add(-70*time.Hour + 5*time.Second)},
	}
	status := StatusView{Agent: vip, Active: &versions[0], Drafts: []platform.Draft{{ID: "d1", Name: "my_draft", Open: true}}, Generated: t0,
		ActiveByBot: byBot[oid(5)]}
	status.Active.ActivatedAt, status.Active.ActivatedBy = t0.Add(-30*time.Minute), "api"

	tests := []struct {
		name string
		msg  Message
		want []string
		not  []string
	}{
		{"agents_marks", Agents([]platform.Agent{vip, agentNamed("support_bot_2", oid(8), singlePrompt)}, "_"),
			[]string{"2 agents matching “<!date^0^{_}|_>”", "• *<!date^0^{_}|*>VIP<!date^0^{_}|*> <!date^0^{_}|~>old<!date^0^{_}|~> <!date^0^{_}|`>legacy<!date^0^{_}|`> after<!date^0^{_}|_>hours*"}, nil},
		{"drafts_marks", Drafts(vip, []platform.Draft{{ID: "d1", Name: "my_*draft*", Open: true, Base: "fix_*x*/v2", LastEditor: "jo_doe"}}),
			[]string{"*my<!date^0^{_}|_><!date^0^{_}|*>draft<!date^0^{_}|*>* `d1`", "from fix<!date^0^{_}|_>", "last edited by jo<!date^0^{_}|_>doe"}, nil},
		{"versions_by_bot", Versions(vip, versions, 3, "", byBot), []string{
			"*v5* “Refund <!date^0^{_}|_>wording<!date^0^{_}|_> <!date^0^{_}|*>v2<!date^0^{_}|*>” · :large_green_circle: *active* · check :white_check_mark: passed · by <@UALICE> <!date^",
			"· activated by <@UALICE> <!date^1793608200^{date_short_pretty} at {time}|2026-11-02 08:30 UTC>",
			"*v4* “Holiday hours” · check :white_check_mark: passed · by <@UCAROL> <!date^", "activated by <@UDAVE>",
			"*v3* · check :white_check_mark: passed · by dashboard<!date^0^{_}|_>user"}, []string{"by api"}},
		{"status_by_bot", Status(status), []string{"since <!date^1793608200^{date_short_pretty} at {time}|2026-11-02 08:30 UTC> by <@UALICE>", "Open drafts: 1 (my<!date^0^{_}|_>draft)"},
			[]string{"by api"}},
		{"history", History(vip, history), []string{
			"Last 7 promotions and rollbacks of *<!date^0^{_}|*>VIP",
			":hourglass_flowing_sand: Promotion of *v6* “Greeting <!date^0^{_}|*>fix<!date^0^{_}|*>” — *in flight*\n      requested by <@UALICE> <!date^1793610000^{date_short_pretty} at {time}|2026-11-02 09:00 UTC>\n",
			":rocket: Promotion of *v5* “Refund &lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.example|click&gt;” — *live*\n      requested by <@UALICE> <!date^1793606400^{date_short_pretty} at {time}|2026-11-02 08:00 UTC> · approved by <@UBOB>, <@UCAROL> · live <!date^1793606587^{date_short_pretty} at {time}|2026-11-02 08:03 UTC> (3m07s after the request)",
			":no_entry: Rollback to *`690000000000000000000002`* — *rejected* by <@UBOB>: not during the <!date^0^{_}|_>sale<!date^0^{_}|_> &lt;!channel&gt;",
			"(12m00s after the request)",
			":rocket: Rollback to *Main/v3* — *live*", ":hourglass: Promotion of *v4* — *expired*: not approved within 24h0m0s",
			":x: Promotion of *a new version* — *failed*: security check failed",
			":heavy_multiplication_x: Promotion of *v2* — *cancelled* by <@UALICE>", "(5s after the request)"}, nil},
		{"history_one", History(vip, history[:1]), []string{"Last promotion or rollback of *"}, nil},
		{"history_empty", History(vip, nil), []string{"No promotions or rollbacks of *<!date^0^{_}|*>VIP<!date^0^{_}|*>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.msg
			if err := CheckMessage(m); err != nil {
				t.Errorf("breaks Slack limits: %v", err)
			}
			raw := viewJSON(t, m)
			assertEscaped(t, string(raw))
			for _, b := range sectionTexts(t, m) {
				assertMarksBalanced(t, b)
			}
			shown := m.Text + "\n" + strings.Join(sectionTexts(t, m), "\n")
			wantShown(t, shown, raw, tt.want, tt.not)
			compareGolden(t, filepath.Join("testdata", "views", tt.name+".golden.json"), raw)
		})
	}
}

// sectionTexts is the mrkdwn of m's section and context blocks.
func sectionTexts(t *testing.T, m Message) []string {
	t.Helper()
	var out []string
	for _, b := range m.Blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil {
				out = append(out, b.Text.Text)
			}
		case *slack.ContextBlock:
			for _, e := range b.ContextElements.Elements {
				if tx, ok := e.(*slack.TextBlockObject); ok {
					out = append(out, tx.Text)
				}
			}
		}
	}
	return out
}
