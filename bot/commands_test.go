package bot

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/bot/command"
	"github.com/atomsbot/atomsbot/bot/slackfake"
)

// reply runs `/atoms text` as alice and returns what she was shown: the
// ack's body when the ack answered, else the newest message shown to her
// only (text and decoded blocks).
func (h *harness) reply(text string) string {
	h.t.Helper()
	before := len(h.ephemeralTo(alice))
	rec := h.bot.command(alice, text)
	if rec.Code != 200 {
		h.t.Fatalf("%q: status %d: %s", text, rec.Code, rec.Body)
	}
	ack := rec.Body.String()
	if len(h.ephemeralTo(alice)) == before {
		if ack == "" {
			h.t.Fatalf("%q: no answer at all:%s", text, h.dump())
		}
		return decodedJSON(h.t, []byte(ack))
	}
	t, blocks := h.replyTo(alice)
	return t + "\n" + blocks
}

type replyCase struct {
	name, text string
	want       []string
	not        []string
}

func (h *harness) checkReplies(t *testing.T, cases []replyCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.t = t
			got := h.reply(tc.text)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("/atoms %s: answer lacks %q:\n%s", tc.text, w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("/atoms %s: answer says %q:\n%s", tc.text, n, got)
				}
			}
		})
	}
}

func TestCommandsHappyPaths(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		a := h.agent(demoAgent)
		draft := a.Drafts[0]
		v1, v3 := a.Versions[0], a.Versions[2]
		var usages []string
		for _, name := range command.Order {
			usages = append(usages, strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(command.UsageOf(name)))
		}
		h.checkReplies(t, []replyCase{
			{"empty text is help", "", usages, nil},
			{"help", "help", usages, nil},
			{"help on one command", "help promote", []string{"/atoms promote &lt;agent&gt; &lt;draft&gt; [label…]"}, []string{"/atoms rollback"}},
			{"help on an unknown topic is all of it", "help frobnicate", usages, nil},
			{"agents", "agents", []string{"4 agents", "support-concierge", "clinic-scheduler", "payment-reminders", "solar-lead-qualifier", "workflow graph", a.ID}, nil},
			{"agents search", "agents solar", []string{"1 agent matching “solar”", "solar-lead-qualifier"}, []string{"support-concierge"}},
			{"agents search, no match", "agents zebra", []string{"0 agents matching “zebra”"}, nil},
			{"status", "status support-concierge", []string{"*support-concierge*", "Active: *v3*", "Open drafts: 1 (Refund policy update)", "No promotion in flight."}, nil},
			{"status by id", "status " + a.ID, []string{"*support-concierge*", "Active: *v3*"}, nil},
			{"versions", "versions support-concierge", []string{"Versions of *support-concierge* (3)", "*v3*", "*v2*", "*v1*", "*active*", v1.ID}, nil},
			{"drafts", "drafts support-concierge", []string{"Open drafts of *support-concierge* (1)", "*Refund policy update*", draft.DraftID, "from v3"}, nil},
			{"diff of the only draft", "diff support-concierge", []string{"draft “Refund policy update” vs the active version", "change"}, []string{"No changes"}},
			{"diff of a draft by name", `diff support-concierge "Refund policy update"`, []string{"draft “Refund policy update” vs the active version"}, nil},
			{"diff of a draft by id", "diff support-concierge " + draft.DraftID, []string{"draft “Refund policy update” vs the active version"}, nil},
			{"diff of two versions", "diff support-concierge v1 v3", []string{"support-concierge: v1 → v3", "change"}, nil},
			{"diff of two versions by id", "diff support-concierge " + v1.ID + " " + v3.ID, []string{"support-concierge: v1 → v3"}, nil},
			{"diff of a version with itself", "diff support-concierge v3 v3", []string{"No changes"}, nil},
		})
		h.t = t
		h.checkAllSent(t)
		// Nothing above changed anything in Atoms.
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" {
				t.Errorf("a read-only command called %s %s", c.Method, c.Path)
			}
		}
	})
}

// TestDiffShowsTheChange checks the diff against what the simulator holds:
// a prompt changed through the API appears as a line diff.
func TestDiffShowsTheChange(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ac := h.atomsClient()
		a := h.agent("clinic-scheduler")
		d, err := ac.CreateDraft(context.Background(), a.ID, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: "greeting"})
		if err != nil {
			t.Fatal(err)
		}
		msg := "Hello from the diff test"
		if _, err := ac.UpdateDraftConfig(context.Background(), a.ID, d.DraftID, atoms.ConfigPatch{FirstMessage: &msg}); err != nil {
			t.Fatal(err)
		}
		got := h.reply("diff clinic-scheduler greeting")
		for _, w := range []string{"firstMessage", "Hello from the diff test", "1 change in 1 section"} {
			if !strings.Contains(got, w) {
				t.Errorf("diff lacks %q:\n%s", w, got)
			}
		}
		// Two open drafts now: naming none is ambiguous.
		got = h.reply("diff clinic-scheduler")
		if !strings.Contains(got, "has 2 open drafts") || !strings.Contains(got, "“greeting”") {
			t.Errorf("ambiguous draft answer: %s", got)
		}
	})
}

func TestWatchAndUnwatchConfirmations(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		inChannel := func() string {
			var out []string
			for _, m := range h.state().ChannelMessages(testChannel) {
				out = append(out, m.Text)
			}
			return strings.Join(out, "\n")
		}
		h.bot.command(alice, "watch support-concierge")
		if got := inChannel(); !strings.Contains(got, "will be told when the active version of support-concierge changes") || !strings.Contains(got, "<@UALICE>") {
			t.Fatalf("watch confirmation in the channel: %q", got)
		}
		ws, err := h.bot.store.Watchers(context.Background(), h.agent(demoAgent).ID)
		if err != nil || len(ws) != 1 || ws[0].Channel != testChannel {
			t.Fatalf("watchers = %+v, %v", ws, err)
		}
		if got := h.reply("watch support-concierge"); !strings.Contains(got, "already watches support-concierge") {
			t.Errorf("second watch: %s", got)
		}
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Watched in <#"+testChannel+">") {
			t.Errorf("status does not show the watch: %s", got)
		}
		h.bot.command(alice, "unwatch support-concierge")
		if got := inChannel(); !strings.Contains(got, "no longer follows changes of support-concierge") {
			t.Fatalf("unwatch confirmation: %q", got)
		}
		if got := h.reply("unwatch support-concierge"); !strings.Contains(got, "was not watching support-concierge") {
			t.Errorf("second unwatch: %s", got)
		}
		if ws, _ := h.bot.store.Watchers(context.Background(), h.agent(demoAgent).ID); len(ws) != 0 {
			t.Errorf("still watched: %+v", ws)
		}
	})
}

func TestCommandsBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		long := strings.Repeat("x", 201)
		h.checkReplies(t, []replyCase{
			{"unknown subcommand gets the usage", "frobnicate support-concierge", []string{"I don't know the command", "frobnicate", "/atoms promote &lt;agent&gt;", "/atoms watch &lt;agent&gt;"}, nil},
			{"status without agent", "status", []string{"`status` needs an agent.", "Usage: `/atoms status &lt;agent&gt;`"}, nil},
			{"diff without agent", "diff", []string{"`diff` needs an agent.", "/atoms diff &lt;agent&gt;"}, nil},
			{"edit without agent", "edit", []string{"`edit` needs an agent."}, nil},
			{"promote without anything", "promote", []string{"`promote` needs an agent and a draft."}, nil},
			{"promote without draft", "promote support-concierge", []string{"`promote` needs a draft to publish"}, nil},
			{"rollback without version", "rollback support-concierge", []string{"`rollback` needs the version to go back to"}, nil},
			{"cancel without agent", "cancel", []string{"`cancel` needs an agent."}, nil},
			{"watch without agent", "watch", []string{"`watch` needs an agent."}, nil},
			{"too many arguments", "status support-concierge extra", []string{"Too many arguments for `status`", "needs quotes"}, nil},
			{"diff with four arguments", "diff support-concierge v1 v2 v3", []string{"Too many arguments for `diff`"}, nil},
			{"unclosed quote", `status "support-concierge`, []string{"A quote is not closed"}, []string{"/atoms promote &lt;agent&gt;"}},
			{"empty quoted name", `status ""`, []string{"An empty name"}, nil},
			{"agent name over the limit", "status " + long, []string{"That name is too long (at most 200 characters)."}, nil},
			{"label over the limit", "promote support-concierge d " + strings.Repeat("label ", 40), []string{"The label is too long (239 characters; at most 200)."}, nil},
			{"command over the limit", "agents " + strings.Repeat("y", command.MaxTextLen), []string{"That command is too long"}, nil},
			{"typo gets a suggestion", "status suport-concierge", []string{"No agent named “suport-concierge”.", "Did you mean “support-concierge”?", "/atoms agents"}, nil},
			{"case is ignored when one agent matches", "status Support-Concierge", []string{"*support-concierge*", "Active: *v3*"}, []string{"No agent named"}},
			{"partial name gets a suggestion", "versions clinic", []string{"No agent named “clinic”.", "“clinic-scheduler”"}, nil},
			{"nothing close", "status zzzzzzzzzzzz", []string{"No agent named “zzzzzzzzzzzz”."}, []string{"Did you mean"}},
			{"unknown agent id", "status 0123456789abcdef01234567", []string{"No agent named “0123456789abcdef01234567”."}, nil},
			{"unknown draft", "diff support-concierge nope", []string{"support-concierge has no open draft “nope”.", "/atoms drafts support-concierge"}, nil},
			{"draft with a typo", `diff support-concierge "Refund policy updat"`, []string{"Did you mean “Refund policy update”?"}, nil},
			{"a version where a draft belongs", "diff support-concierge v2", []string{"has no open draft “v2”", "To compare two versions, name both"}, nil},
			{"unknown version number", "diff support-concierge v1 v9", []string{"support-concierge has no version v9 (the newest is v3)."}, nil},
			{"not a version", "diff support-concierge v1 latest", []string{"“latest” is not a version of support-concierge: use vN or a version id"}, nil},
			{"unknown version id", "diff support-concierge v1 0123456789abcdef01234567", []string{"is not a version of support-concierge"}, nil},
			{"promote an unknown draft", "promote support-concierge nope ship it", []string{"has no open draft “nope”"}, nil},
			{"promote an unknown agent", "promote supportconcierge x", []string{"No agent named “supportconcierge”.", "Did you mean “support-concierge”?"}, nil},
			{"rollback to an unknown version", "rollback support-concierge v7", []string{"has no version v7"}, nil},
			{"rollback to a non-version", "rollback support-concierge yesterday", []string{"“yesterday” is not a version"}, nil},
			{"cancel with nothing in flight", "cancel support-concierge", []string{"support-concierge has no promotion in flight."}, nil},
		})
		h.t = t
		h.checkAllSent(t)
		// None of it changed anything in Atoms or started a promotion.
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" {
				t.Errorf("bad input led to %s %s", c.Method, c.Path)
			}
		}
	})
}

func TestAmbiguousNames(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ac := h.atomsClient()
		ctx := context.Background()
		twin, err := ac.CreateAgent(ctx, atoms.CreateAgentRequest{Name: "clinic-scheduler"})
		if err != nil {
			t.Fatal(err)
		}
		got := h.reply("status clinic-scheduler")
		orig := h.agent("clinic-scheduler").ID
		for _, w := range []string{"Several agents are named “clinic-scheduler”; use the id", orig, twin} {
			if !strings.Contains(got, w) {
				t.Errorf("ambiguous agent answer lacks %q: %s", w, got)
			}
		}
		if got := h.reply("status " + twin); !strings.Contains(got, "*clinic-scheduler* `"+twin+"`") {
			t.Errorf("the id does not resolve the twin: %s", got)
		}
		// Two drafts of one agent with the same name.
		a := h.agent(demoAgent)
		for range 2 {
			if _, err := ac.CreateDraft(ctx, a.ID, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: "same"}); err != nil {
				t.Fatal(err)
			}
		}
		if got := h.reply("diff support-concierge same"); !strings.Contains(got, "Several drafts of support-concierge are named “same”; use the draft id") {
			t.Errorf("ambiguous draft answer: %s", got)
		}
	})
}

// TestWrongVersioningModelInPlainWords: atomsbot runs the drafts model
// (ATOMS_API=v1) against an organisation on the branch model. Users are
// told what that means and what to do, in plain words and not the server's
// text; status still works; the edit form opens without creating anything,
// and saving it is refused in the form.
func TestWrongVersioningModelInPlainWords(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		h.sim.SetBranchModel(true)
		const plain = "failed: this Atoms organisation runs the branch-based versioning model, which is not the versioning model atomsbot is configured for. Nothing was changed. An admin should set ATOMS_API to `auto`."
		noise := []string{"versioning_v2_migration_required", "MCP", "/agents/:id/branches"}
		for _, text := range []string{"drafts support-concierge", "versions support-concierge", "diff support-concierge",
			"diff support-concierge v1 v2", "promote support-concierge x ship", "rollback support-concierge v1"} {
			got := h.reply(text)
			if want := ":construction: `" + strings.Fields(text)[0] + "` " + plain; !strings.Contains(got, want) {
				t.Errorf("/atoms %s: answer = %s, want %q", text, got, want)
			}
			for _, n := range noise {
				if strings.Contains(got, n) {
					t.Errorf("/atoms %s: answer leaks the server's text %q", text, n)
				}
			}
		}
		// Status still works: it shows what the API can still tell.
		if got := h.reply("status support-concierge"); !strings.Contains(got, "Active: *v3*") {
			t.Errorf("status under the branch model: %s", got)
		}
		// The edit form opens (reading works) and creates nothing…
		f := h.openEdit(alice, "support-concierge")
		if len(f.blockIDs) == 0 || f.values["firstMessage"] == "" {
			t.Fatalf("edit form under the branch model: %s", f.view.View)
		}
		if n := h.sim.CountCalls("POST", "/agent/*/drafts"); n != 0 {
			t.Errorf("opening the form tried to create %d drafts", n)
		}
		// …and saving it is refused in the form, in the same plain words.
		rec := h.submit(alice, f, map[string]string{"firstMessage": "Hello from the wrong model"})
		var body struct {
			ResponseAction string            `json:"response_action"`
			Errors         map[string]string `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.ResponseAction != "errors" || len(body.Errors) != 1 {
			t.Fatalf("save under the branch model: ack %d %s, want one error in the form", rec.Code, rec.Body)
		}
		for k, msg := range body.Errors {
			if !slices.Contains(f.blockIDs, k) {
				t.Errorf("error under %q, not an input of the form %v", k, f.blockIDs)
			}
			for _, w := range []string{"Nothing was saved", "this Atoms organisation runs the branch-based versioning model", "ATOMS_API to auto"} {
				if !strings.Contains(msg, w) {
					t.Errorf("error in the form lacks %q: %q", w, msg)
				}
			}
			for _, n := range noise {
				if strings.Contains(msg, n) {
					t.Errorf("error in the form leaks the server's text %q: %q", n, msg)
				}
			}
		}
		if len(h.patches()) != 0 || h.state().CountText("started draft") != 0 {
			t.Errorf("the refused save was applied or announced:%s", h.dump())
		}
		// Nothing anywhere changed Atoms.
		for _, c := range h.sim.Calls() {
			if c.Method != "GET" && c.Status < 300 {
				t.Errorf("%s %s succeeded (%d) under the wrong model", c.Method, c.Path, c.Status)
			}
		}
		if ds := h.live(h.agent(demoAgent).ID).Drafts; len(ds) > len(h.agent(demoAgent).Drafts) {
			t.Errorf("drafts after the refused save: %+v", ds)
		}
		h.checkAllSent(t)
	})
}

// TestPromoteAndRollbackAcks: promote and rollback say what happens next
// once nothing refuses them (a refusal known at once must not follow a
// promise), after an empty ack.
func TestPromoteAndRollbackAcks(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		rec := h.bot.command(alice, `rollback support-concierge v2`)
		if said := h.ephemeralTo(alice); rec.Body.Len() != 0 || len(said) == 0 || !strings.Contains(said[0], "Preparing the rollback of support-concierge to v2") {
			t.Errorf("rollback ack = %s, then %q", rec.Body, said)
		}
		// The rollback above is in flight: a second one and a promotion are
		// refused, with no promise first.
		for _, cmd := range []string{`rollback support-concierge v1`, `promote support-concierge "Refund policy update"`} {
			before := len(h.ephemeralTo(bob))
			rec = h.bot.command(bob, cmd)
			said := h.ephemeralTo(bob)[before:]
			if rec.Body.Len() != 0 || len(said) != 1 || !strings.Contains(said[0], "in flight") {
				t.Errorf("%s while a rollback is in flight: ack %s, then %q", cmd, rec.Body, said)
			}
		}
		h = newHarness(t, b)
		rec = h.bot.command(alice, `rollback support-concierge v9`)
		if said := h.ephemeralTo(alice); rec.Body.Len() != 0 || len(said) != 1 || strings.Contains(said[0], "Preparing") {
			t.Errorf("rollback to a version that does not exist: ack %s, then %q", rec.Body, said)
		}
		rec = h.bot.command(alice, `promote support-concierge "Refund policy update" <!channel> refund`)
		if said := h.ephemeralTo(alice)[1:]; rec.Body.Len() != 0 || len(said) == 0 || !strings.Contains(said[0], "Publishing Refund policy update of support-concierge") {
			t.Errorf("promote ack = %s, then %q", rec.Body, said)
		}
		if strings.Contains(h.dump(), "<!channel>") {
			t.Errorf("a reply echoes raw user text:%s", h.dump())
		}
	})
}

// TestLongDiffPagesAndFile: a diff too long for the replies Slack allows on
// one response_url comes as pages, and the whole of it as a file.
func TestLongDiffPagesAndFile(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		ac := h.atomsClient()
		a := h.agent("payment-reminders")
		d, err := ac.CreateDraft(ctx, a.ID, atoms.CreateDraftRequest{SourceVersionID: a.ActiveVersionID, DraftName: "rewrite"})
		if err != nil {
			t.Fatal(err)
		}
		cur, err := ac.GetAgent(ctx, a.ID, atoms.GetAgentOptions{DraftID: d.DraftID})
		if err != nil {
			t.Fatal(err)
		}
		var prompt strings.Builder
		for i := range 800 {
			prompt.WriteString("Rule " + strings.Repeat("x", i%7) + ": remind the member politely, line " + string(rune('A'+i%26)) + " <!channel>\n")
		}
		if _, err := ac.UpdateDraftConfig(ctx, a.ID, d.DraftID, atoms.ConfigPatch{SinglePromptConfig: &atoms.SinglePromptConfig{
			Prompt: prompt.String(), Tools: cur.ResolvedConfig.Tools}}); err != nil {
			t.Fatal(err)
		}
		h.bot.command(alice, "diff payment-reminders rewrite")
		st := h.state()
		var pages []string
		for _, m := range st.Messages {
			if m.ViaResponseURL && m.User == alice {
				pages = append(pages, m.Text)
			}
		}
		if len(pages) != maxReplyPages {
			t.Fatalf("%d pages through response_url, want %d:%s", len(pages), maxReplyPages, h.dump())
		}
		if len(st.Files) != 1 {
			t.Fatalf("%d files; the full diff is not reachable", len(st.Files))
		}
		f := st.Files[0]
		content := string(f.Content)
		// The file is plain text (not mrkdwn): every added line, raw.
		if !strings.HasSuffix(f.Name, "-diff.txt") || strings.Count(content, "    +Rule") != 800 || !strings.Contains(content, "line Z <!channel>") {
			t.Errorf("file %q holds %d bytes and %d added lines, not the whole diff", f.Name, len(content), strings.Count(content, "    +Rule"))
		}
		if f.Channel != testChannel && !slices.Contains(f.Channels, testChannel) {
			t.Errorf("file shared in %q %v", f.Channel, f.Channels)
		}
		h.checkAllSent(t)
	})
}

// TestReplyFallsBackToWebAPI: when the response_url refuses (expired, used
// up), the answer still reaches the user, as an ephemeral message.
func TestReplyFallsBackToWebAPI(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		body := strings.Replace(h.commandBody(alice, "status support-concierge"), "response_url=", "response_url="+url.QueryEscape(h.slackURL+"/response/R-gone")+"&x=", 1)
		if rec := h.bot.post("/slack/commands", body); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		var got []slackfake.Message
		for _, m := range h.state().Messages {
			if m.Method == slackfake.MethodPostEphemeral && m.User == alice {
				got = append(got, m)
			}
		}
		if len(got) != 1 || !strings.Contains(got[0].Text, "*support-concierge*") {
			t.Fatalf("fallback replies: %s", h.dump())
		}
	})
}

// TestRefusalsKnownAtOnceComeWithoutAPromise: a rollback to the version
// that is already active, and a promotion of a draft whose publish (started
// on Atoms) is being scanned, are refused in one message, with no
// "Preparing…" or "Publishing…" before it.
func TestRefusalsKnownAtOnceComeWithoutAPromise(t *testing.T) {
	onBothModels(t, func(t *testing.T, h *harness) {
		a := h.agent(demoAgent)
		tests := []struct {
			name, cmd, want, promise string
			branchesOnly             bool
			setup                    func(t *testing.T)
		}{
			{name: "rollback to the active version", cmd: "rollback support-concierge v3", want: "already the active version", promise: "Preparing"},
			{name: "promote a draft being published", cmd: `promote support-concierge "Refund policy update"`, want: "being published already", promise: "Publishing",
				branchesOnly: true, setup: func(t *testing.T) {
					branches, _ := h.sim.Branches(a.ID)
					for _, b := range branches {
						if b.Name == "Refund policy update" {
							if _, err := h.atomsClient().PublishBranchDraft(t.Context(), a.ID, b.ID, "from the API"); err != nil {
								t.Fatal(err)
							}
							return
						}
					}
					t.Fatalf("no branch Refund policy update: %+v", branches)
				}},
		}
		for _, tt := range tests {
			if tt.branchesOnly && !h.cfg.sim.BranchModel {
				continue
			}
			t.Run(tt.name, func(t *testing.T) {
				if tt.setup != nil {
					tt.setup(t)
				}
				before := len(h.ephemeralTo(alice))
				rec := h.bot.command(alice, tt.cmd)
				said := h.ephemeralTo(alice)[before:]
				if rec.Body.Len() != 0 || len(said) != 1 || !strings.Contains(said[0], tt.want) || strings.Contains(said[0], tt.promise) {
					t.Errorf("/atoms %s: ack %s, then %q; want one refusal saying %q", tt.cmd, rec.Body, said, tt.want)
				}
			})
		}
	})
}
