package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// onBothModels runs f on both versioning models of the platform.
func onBothModels(t *testing.T, f func(t *testing.T, h *harness)) {
	for _, m := range []struct {
		name string
		mods []func(*harnessConfig)
	}{{"v1", nil}, {"branches", []func(*harnessConfig){branchModel("v2")}}} {
		t.Run(m.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) { f(t, newHarness(t, b, m.mods...)) })
		})
	}
}

// TestNamesAsPeopleTypeThem: case does not matter when it picks one agent;
// a name with spaces typed without quotes gets a one-line hint; single
// quotes work like double ones; an unclosed quote and a mistyped
// subcommand get one line, not the usage text.
func TestNamesAsPeopleTypeThem(t *testing.T) {
	onBothModels(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		ac := h.atomsClient()
		hardship, err := ac.CreateAgent(ctx, atoms.CreateAgentRequest{Name: "Hardship options"})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Twin", "TWIN", "*VIP* hot_line"} {
			if _, err := ac.CreateAgent(ctx, atoms.CreateAgentRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		const hint = ":bulb: A name with spaces needs quotes — quote it: \"Hardship options\""
		const draftHint = ":bulb: A name with spaces needs quotes — quote it: \"Refund policy update\""
		usage := "/atoms promote &lt;agent&gt;" // a line of the full usage text
		h.checkReplies(t, []replyCase{
			{"case ignored when one agent matches", "status SUPPORT-concierge", []string{"*support-concierge*", "Active: *"}, []string{"No agent named"}},
			{"case ignored, several match", "status twin", []string{"2 agents are named “twin” when case is ignored:", "“Twin” `", "“TWIN” `", "use the id"}, nil},
			{"exact case wins over folded", "status Twin", []string{"*Twin* `"}, []string{"when case is ignored"}},
			{"single quotes", "status 'hardship options'", []string{"*Hardship options* `" + hardship + "`"}, nil},
			{"curly single quotes", "status ‘Hardship options’", []string{"*Hardship options* `" + hardship + "`"}, nil},
			{"unquoted name, too many words", "status Hardship options", []string{hint}, []string{"Usage:", "Too many"}},
			{"unquoted name, case ignored", "cancel hardship OPTIONS", []string{hint}, nil},
			{"unquoted name read as agent and branch", "versions Hardship options", []string{hint}, []string{"No agent named"}},
			{"unquoted name before a draft and a label", "promote Hardship options Main ship it", []string{hint}, []string{"No agent named"}},
			{"unquoted name in history", "history Hardship options", []string{hint}, nil},
			{"unquoted draft name before a label", "promote support-concierge refund policy update ship it", []string{draftHint}, []string{"no open draft"}},
			{"unquoted draft name, too many words", "diff support-concierge Refund policy update", []string{draftHint}, []string{"Usage:"}},
			{"unquoted draft name to edit", "edit support-concierge Refund policy update", []string{draftHint}, []string{"Usage:"}},
			{"a suggested command names an agent with spaces by id", "promote 'Hardship options' nope", []string{"See `/atoms drafts " + hardship + "`"}, []string{"/atoms drafts Hardship"}},
			{"words that are no draft name", "edit support-concierge Refund policy", []string{"Name a draft to edit", "Usage:"}, []string{draftHint}},
			{"too many words that are no name", "status Hardship extra", []string{"Too many arguments for `status`", "Usage: `/atoms status &lt;agent&gt;`"}, []string{hint}},
			{"unclosed double quote", `status "Hardship options`, []string{":warning: A quote is not closed: add the closing quote after the name."}, []string{usage, "Usage:"}},
			{"unclosed single quote", `status 'Hardship options`, []string{"A quote is not closed"}, []string{usage, "Usage:"}},
			{"subcommand typo", "promte support-concierge x", []string{":warning: I don't know the command", "promte", "— did you mean `promote`?"}, []string{usage}},
			{"unknown subcommand keeps the usage", "frobnicate", []string{"I don't know the command", usage}, nil},
			{"marks in a suggested name are shown as typed", "status hot_lin", []string{"No agent named “hot<!date^0^{_}|_>lin”. Did you mean “<!date^0^{_}|*>VIP<!date^0^{_}|*> hot<!date^0^{_}|_>line”?"}, nil},
			{"marks in a listed name are shown as typed", "drafts '*vip* HOT_LINE'", []string{"Open drafts of *<!date^0^{_}|*>VIP<!date^0^{_}|*> hot<!date^0^{_}|_>line* (0)"}, nil},
		})
		h.t = t
		h.bot.command(alice, "watch '*VIP* hot_line'")
		if !strings.Contains(h.dump(), "the active version of <!date^0^{_}|*>VIP<!date^0^{_}|*> hot<!date^0^{_}|_>line changes") {
			t.Errorf("the watch note does not show the name as typed:%s", h.dump())
		}
		// The edit form opens at once; the hint shows in it.
		h.bot.command(alice, "edit Hardship options")
		views := h.state().Views
		if got := decodedJSON(t, views[len(views)-1].View); !strings.Contains(got, `quote it: \"Hardship options\"`) || strings.Contains(got, "No agent named") {
			t.Errorf("/atoms edit Hardship options: the form shows %s", got)
		}
		for _, tc := range []string{"status Hardship options", `status "Hardship options`, "promte x", "history 'Hardship options"} {
			if got := h.shown(alice, tc); got == "" || strings.Contains(got, "\n") {
				t.Errorf("/atoms %s: answer is not one line: %q", tc, got)
			}
		}
		h.checkAllSent(t)
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" && !strings.HasSuffix(c.Path, "/agent") {
				t.Errorf("a name lookup led to %s %s", c.Method, c.Path)
			}
		}
	})
}

// shown runs `/atoms text` as user and returns the text they were shown:
// the reply after the ack when there is one, else the ack's.
func (h *harness) shown(user, text string) string {
	h.t.Helper()
	before := len(h.ephemeralTo(user))
	rec := h.bot.command(user, text)
	if eph := h.ephemeralTo(user); len(eph) > before {
		return eph[len(eph)-1]
	}
	var ack struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ack); err != nil {
		h.t.Fatalf("/atoms %s: ack %q: %v", text, rec.Body, err)
	}
	return ack.Text
}

// TestHistoryAndVersionsNameTheSlackUsers: a promotion approved to live and
// a rejected rollback show in `/atoms history` (who asked, who approved or
// rejected, outcome, times, durations), and `/atoms versions` names the
// Slack users who published and activated a version through the bot.
func TestHistoryAndVersionsNameTheSlackUsers(t *testing.T) {
	onBothModels(t, func(t *testing.T, h *harness) {
		draft, rollbackTo := "Refund policy update", "v2"
		if h.cfg.sim.BranchModel {
			rollbackTo = "Main/v2"
		}
		ts := h.bmPromote(h.bot, draft)
		h.approve(bob, ts)
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		p := h.promotionAt(ts)
		if p.State != state.Live {
			t.Fatalf("promotion %s (%s), want live:%s", p.State, p.Reason, h.dump())
		}
		h.advance(time.Minute)
		h.bot.command(carol, "rollback support-concierge "+rollbackTo)
		rts := h.newestApproval()
		if rts == ts {
			t.Fatalf("no rollback request:%s", h.dump())
		}
		h.advance(3 * time.Second)
		h.bot.reject(bob, rts, "")
		h.advance(7 * time.Second)
		if r := h.promotionAt(rts); r.State != state.Rejected {
			t.Fatalf("rollback %s, want rejected:%s", r.State, h.dump())
		}
		version := render.Literal(p.VersionRef) // as it was named when it went live
		h.checkReplies(t, []replyCase{
			{"history", "history support-concierge", []string{
				"Last 2 promotions and rollbacks of *support-concierge*, newest first",
				":no_entry: Rollback to *", "— *rejected* by <@" + bob + ">", "requested by <@" + carol + ">",
				":rocket: Promotion of *" + version + "* “refund wording” — *live*", "requested by <@" + alice + ">", "approved by <@" + bob + ">",
				" after the request)", "{date_short_pretty} at {time}|"}, nil},
			{"history, the last one", "history support-concierge 1", []string{"Last promotion or rollback of *support-concierge*", "Rollback to"}, []string{"Promotion of"}},
			{"help on history", "help history", []string{"/atoms history &lt;agent&gt; [n]", "who approved or rejected"}, []string{"/atoms rollback"}},
			{"history, n out of range", "history support-concierge 0", []string{"n is a number from 1 to 50", "Usage: `/atoms history &lt;agent&gt; [n]`"}, nil},
			{"history of an agent without any", "history clinic-scheduler", []string{"No promotions or rollbacks of *clinic-scheduler* through atomsbot yet."}, nil},
			{"versions name the Slack users", "versions support-concierge", []string{"“refund wording” · :large_green_circle: *active* · check :white_check_mark: passed · by <@" + alice + "> <!date^",
				"activated by <@" + alice + "> <!date^", " · `" + p.VersionID + "`"}, nil},
			{"status names who activated", "status support-concierge", []string{"“refund wording”", "by <@" + alice + ">"}, nil},
		})
		if h.cfg.sim.BranchModel {
			return
		}
		// The dashboard makes another version live, then this one again:
		// Atoms' later activation is not the bot's, and status says so.
		ac := h.atomsClientAs("dana.dashboard")
		a := h.agent(demoAgent)
		for _, id := range []string{a.ActiveVersionID, p.VersionID} {
			h.clock.Advance(10 * time.Minute)
			if _, err := ac.ActivateVersion(context.Background(), a.ID, id); err != nil {
				t.Fatal(err)
			}
		}
		h.checkReplies(t, []replyCase{
			{"status after the dashboard activated it again", "status support-concierge", []string{"“refund wording”", " by dana.dashboard"}, []string{"by <@" + alice + ">"}},
			{"versions still tell the bot's activation", "versions support-concierge", []string{"activated by <@" + alice + ">"}, nil},
		})
	})
}
