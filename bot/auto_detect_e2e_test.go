package bot

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// v1Writes are the calls of the drafts-and-versions model that change
// something.
func (h *harness) v1Writes() []string {
	var out []string
	for _, c := range h.sim.Calls() {
		if c.Method != "GET" && (strings.Contains(c.Path, "/drafts") || strings.Contains(c.Path, "/versions")) {
			out = append(out, c.Method+" "+c.Path)
		}
	}
	return out
}

// With ATOMS_API=auto on an organisation that runs the branch model, the
// story is the branch model's: read commands, a promotion of the live
// branch's draft through the bot's own branch, live once; no v1 write is
// ever tried.
func TestAutoDetectBranchModel(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("auto"))
		a := h.agent(demoAgent)
		main := h.liveBranch(a.ID)
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Active: *v3*") || !strings.Contains(got, "on branch *Main*") {
			t.Errorf("status: %s", got)
		}
		if got := h.reply("drafts support-concierge"); !strings.Contains(got, "*Refund policy update*") || !strings.Contains(got, "on the live branch") {
			t.Errorf("drafts: %s", got)
		}
		ts := h.bmPromote(h.bot, "Main")
		h.approve(bob, ts)
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		h.assertPromotedOnce(a.ID, "Main", main)
		if w := h.v1Writes(); len(w) != 0 {
			t.Errorf("v1 writes on the branch model: %v", w)
		}
		for _, c := range h.sim.Calls() {
			if c.Status == 409 {
				t.Errorf("%s %s answered 409: the model was not detected up front", c.Method, c.Path)
			}
		}
	})
}

// With ATOMS_API=auto on an organisation still on v1, the story is v1's:
// the draft is published as v4, approved, activated, announced once; a
// rollback goes the same way.
func TestAutoDetectV1(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.api = "auto" })
		a, ts := h.promote(h.bot, alice)
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Active: *v3*") || !strings.Contains(got, "in flight") {
			t.Errorf("status during the promotion: %s", got)
		}
		h.approve(bob, ts)
		h.advance(7 * time.Second)
		h.assertLiveOnce(a.ID, 4)
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Active: *v4*") {
			t.Errorf("status after the promotion: %s", got)
		}
		h.bot.command(alice, "rollback support-concierge v3")
		var rb string
		for _, m := range h.state().ChannelMessages(testChannel) {
			if m.ThreadTS == "" && m.TS != ts && strings.Contains(m.PostedText(), "Approval needed") {
				rb = m.TS
			}
		}
		if rb == "" {
			t.Fatalf("no rollback request:%s", h.dump())
		}
		h.approve(bob, rb)
		h.advance(time.Second)
		if got := h.live(a.ID).ActiveVersionID; got != a.Versions[2].ID {
			t.Fatalf("active %s after the rollback, want v3", got)
		}
		if n := h.state().CountText("is live"); n != 2 {
			t.Errorf("%d 'is live' posts, want 2:%s", n, h.dump())
		}
		for _, c := range h.sim.Calls() {
			if strings.Contains(c.Path, "/branches") && c.Method != "GET" {
				t.Errorf("a branch-model write on v1: %s %s", c.Method, c.Path)
			}
		}
	})
}

// Atoms moves the organisation to the branch model while a v1 promotion is
// published and approved: the promotion ends as failed and says why (it is
// never left hanging), and the next commands work on the branch model, up to
// a new promotion going live.
func TestAutoDetectSwitchDuringV1Promotion(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.api = "auto" })
		a, ts := h.promote(h.bot, alice)
		h.approve(bob, ts) // approved while the check runs
		if p := h.promotionAt(ts); p.State != state.Published || p.Platform != "v1" {
			t.Fatalf("promotion %s on %q, want published on v1", p.State, p.Platform)
		}
		h.sim.SetBranchModel(true)
		h.advance(7 * time.Second)
		h.advance(time.Minute)
		p := h.promotionAt(ts)
		if p.State != state.Failed {
			t.Fatalf("promotion %s (%s) after the switch, want failed", p.State, p.Reason)
		}
		for _, w := range []string{"failed", "versioning model", "nothing went live"} {
			if !threadSays(h, ts, w) {
				t.Errorf("the thread does not say %q:%s", w, h.dump())
			}
		}
		if final, _ := h.state().Find(testChannel, ts); strings.Contains(string(final.Blocks), render.ActionApprove) {
			t.Errorf("buttons still offered on a failed promotion")
		}
		if holder, _ := h.bot.store.LockHolder(t.Context(), state.AgentLock(a.ID)); holder != "" {
			t.Errorf("the failed promotion still holds the agent")
		}
		main := h.liveBranch(a.ID)
		if main.HeadRevisionID != a.ActiveVersionID {
			t.Fatalf("live head %s after the switch, want the v1 active version %s", main.HeadRevisionID, a.ActiveVersionID)
		}
		if n := h.state().CountText("is live"); n != 0 {
			t.Fatalf("%d 'is live' posts", n)
		}

		// The next commands run on the branch model: an edit first (the form
		// may be read through v1's kept endpoints; its save lands on a branch).
		before, _ := h.sim.Config(a.ID, main.HeadRevisionID)
		f := h.openEdit(carol, "support-concierge")
		prompt := f.values["prompt"] + "\nAlways confirm the caller's name."
		if action, errs := ackErrors(t, h.submit(carol, f, map[string]string{"firstMessage": "Hello after the switch", "prompt": prompt})); action != "" {
			t.Fatalf("save after the switch: %s %v", action, errs)
		}
		created := h.branch(a.ID, "carol-2026-11-02-0901")
		d := h.branchDraftConfig(a.ID, created.ID)
		if promptConfig(d)["prompt"] != prompt || !reflect.DeepEqual(promptConfig(d)["tools"], promptConfig(before)["tools"]) {
			t.Errorf("the draft saved after the switch: prompt %.60q…, tools %v; want the new prompt with the live tools", promptConfig(d)["prompt"], promptConfig(d)["tools"])
		}
		if n := len(h.ephemeralTo(carol)); n != 0 {
			t.Errorf("the save after the switch told carol: %q", h.ephemeralTo(carol))
		}
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Active: *v3*") || !strings.Contains(got, "on branch *Main*") || !strings.Contains(got, "No promotion in flight") {
			t.Errorf("status after the switch: %s", got)
		}
		if got := h.reply("versions support-concierge"); !strings.Contains(got, "on branch *Main*") || !strings.Contains(got, "*v4*") {
			t.Errorf("versions after the switch: %s", got)
		}
		h.bot.command(carol, "promote support-concierge carol-2026-11-02-0901 after the switch")
		var next string
		for _, m := range h.state().ChannelMessages(testChannel) {
			if m.ThreadTS == "" && m.TS != ts && strings.Contains(m.PostedText(), "Approval needed") {
				next = m.TS
			}
		}
		if next == "" {
			t.Fatalf("no approval request for the new promotion:%s", h.dump())
		}
		h.approve(bob, next)
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		if live := h.liveBranch(a.ID); live.ID != created.ID {
			t.Fatalf("live %s, want the new branch:%s", live.Name, h.dump())
		}
		if n := h.state().CountText("is live"); n != 1 {
			t.Errorf("%d 'is live' posts, want 1:%s", n, h.dump())
		}
		if n := h.publishesOn(main.ID); n != 0 {
			t.Errorf("published on the live branch")
		}
	})
}
