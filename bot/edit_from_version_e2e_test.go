package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/state"
)

// editModels are the two platform models every edit path is proven on.
var editModels = []struct {
	name string
	mods []func(*harnessConfig)
}{
	{"drafts", nil},
	{"branches", []func(*harnessConfig){branchModel("v2")}},
}

// v2Greeting is the seeded agent's first message in its v2 (v3 is live).
const v2Greeting = "Hi, thanks for calling Northwind Home. This is Ava. How can I help you today?"

// newestForm is the edit form in the newest modal.
func (h *harness) newestForm() editForm {
	h.t.Helper()
	views := h.state().Views
	if len(views) == 0 {
		h.t.Fatalf("no modal opened:%s", h.dump())
	}
	return h.form(views[len(views)-1].ID)
}

// draftNamed is the config of the open draft named name: a v1 draft, or a
// branch's draft.
func (h *harness) draftNamed(agentID, name string) map[string]any {
	h.t.Helper()
	if h.cfg.sim.BranchModel {
		return h.branchDraftConfig(agentID, h.branch(agentID, name).ID)
	}
	for _, d := range h.live(agentID).Drafts {
		if d.Name == name {
			cfg, _ := h.sim.Config(agentID, d.DraftID)
			return cfg
		}
	}
	h.t.Fatalf("no draft %q:%s", name, h.dump())
	return nil
}

// closeForm sends view_closed for f, as Slack does when Cancel is clicked.
func (h *harness) closeForm(user string, f editForm) {
	h.bot.interact(map[string]any{"type": "view_closed", "user": map[string]any{"id": user},
		"view": map[string]any{"id": f.view.ID, "callback_id": EditCallbackID, "private_metadata": f.meta}})
}

// `/atoms edit <agent> --from <version>` opens the form on that version's
// values, creating nothing; saving it, even unchanged, forks the draft, which
// can then be promoted like any other.
func TestEditFromVersion(t *testing.T) {
	for _, m := range editModels {
		for _, byID := range []bool{false, true} {
			name := m.name + "/by number"
			if byID {
				name = m.name + "/by id"
			}
			t.Run(name, func(t *testing.T) {
				testEditFromVersion(t, m.mods, byID)
			})
		}
	}
}

func testEditFromVersion(t *testing.T, mods []func(*harnessConfig), byID bool) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, mods...)
		a := h.agent(demoAgent)
		ref := "v2"
		if byID {
			for _, v := range a.Versions {
				if v.Number == 2 || v.RevisionNumber == 2 && v.BranchID != "" {
					ref = v.ID
				}
			}
		}
		if byID && ref == "v2" {
			t.Fatalf("no id for v2 in %+v", a.Versions)
		}
		h.sim.ResetCalls()
		f := h.openEdit(alice, "support-concierge --from "+ref)
		if w := h.writes(); len(w) != 0 {
			t.Fatalf("opening the form wrote %v", w)
		}
		if view := h.viewText(f.view.ID); !strings.Contains(view, "a new draft “alice-2026-11-02-0900” from v2") || !strings.Contains(view, "Nothing is created on Atoms until you save") {
			t.Errorf("form header: %s", view)
		}
		if f.values["firstMessage"] != v2Greeting {
			t.Fatalf("form shows %v, not v2", f.values)
		}
		if action, errs := ackErrors(t, h.submit(alice, f, nil)); action != "" {
			t.Fatalf("save ack: %s %v", action, errs)
		}
		if cfg := h.draftNamed(a.ID, "alice-2026-11-02-0900"); cfg["firstMessage"] != v2Greeting {
			t.Errorf("draft firstMessage %v, want v2's", cfg["firstMessage"])
		}
		if n := h.state().CountText("<@UALICE> started draft “alice-2026-11-02-0900” from v2 of *support-concierge*"); n != 1 {
			t.Errorf("%d confirmations naming v2:%s", n, h.dump())
		}
		h.bot.command(alice, "promote support-concierge alice-2026-11-02-0900 back to v2")
		if _, ok := h.findApproval(); !ok {
			t.Errorf("the forked draft could not be promoted:%s", h.dump())
		}
	})
}

// An edit that is abandoned — cancelled, or saved with nothing changed —
// leaves nothing behind: no draft or branch on Atoms, no session in Redis.
func TestAbandonedEditLeavesNothing(t *testing.T) {
	cases := []struct {
		name, args string
		abandon    func(h *harness, f editForm)
	}{
		{"new draft, cancelled", "support-concierge", func(h *harness, f editForm) { h.closeForm(alice, f) }},
		{"new draft, saved unchanged", "support-concierge", func(h *harness, f editForm) { h.submit(alice, f, nil) }},
		{"named draft, saved unchanged", `support-concierge "Refund policy update"`, func(h *harness, f editForm) { h.submit(alice, f, nil) }},
		{"new draft, saved unchanged as a client hands text back", "support-concierge", func(h *harness, f editForm) {
			h.submit(alice, f, map[string]string{"prompt": strings.ReplaceAll(f.values["prompt"], "\n", "\r\n") + "\n", "firstMessage": " " + f.values["firstMessage"]})
		}},
		{"from a version, cancelled", "support-concierge --from v2", func(h *harness, f editForm) { h.closeForm(alice, f) }},
		{"from the live version, saved unchanged", "support-concierge --from v3", func(h *harness, f editForm) { h.submit(alice, f, nil) }},
	}
	for _, m := range editModels {
		for _, tc := range cases {
			t.Run(m.name+"/"+tc.name, func(t *testing.T) {
				eachBackend(t, func(t *testing.T, b backend) {
					h := newHarness(t, b, m.mods...)
					h.sim.ResetCalls()
					f := h.openEdit(alice, tc.args)
					tc.abandon(h, f)
					h.advance(time.Minute)
					if w := h.writes(); len(w) != 0 {
						t.Errorf("an abandoned edit wrote %v", w)
					}
					if _, err := h.bot.store.Session(context.Background(), f.meta); err == nil {
						t.Errorf("the session outlived the form")
					}
				})
			})
		}
	}
}

// A version that does not resolve is said in the form; nothing is created.
func TestEditFromUnknownVersion(t *testing.T) {
	for _, m := range editModels {
		t.Run(m.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, m.mods...)
				h.sim.ResetCalls()
				h.bot.command(alice, "edit support-concierge --from v9")
				views := h.state().Views
				if v := decodedJSON(t, views[len(views)-1].View); !strings.Contains(v, "no version v9") {
					t.Errorf("modal for an unknown version: %s", v)
				}
				if w := h.writes(); len(w) != 0 {
					t.Errorf("wrote %v", w)
				}
			})
		})
	}
}

// reopen clicks "Reopen as a draft" on the request at ts as user.
func (h *harness) reopen(user, ts string) {
	h.t.Helper()
	p := h.promotionAt(ts)
	h.bot.click(user, ts, render.ActionReopen, render.ButtonValue(p.ID, p.VersionID))
}

// After a rejection or a failed check the work is not stranded: "Reopen as
// a draft" opens the form on it (a new draft forked from the version, or on
// branches after a failed scan the draft that is still open), creating
// nothing until Save; saved, it is promoted again.
func TestReopenAsDraft(t *testing.T) {
	const refund = "Refunds: items can be returned"
	cases := []struct {
		name   string
		mods   []func(*harnessConfig)
		before func(h *harness, agentID string) error
		end    func(h *harness, ts string)
		header string // what the form says it edits
		draft  string // the draft saved and promoted again
	}{
		{"drafts, rejected", nil, nil, func(h *harness, ts string) {
			h.bot.reject(bob, ts, "")
		}, "a new draft “alice-2026-11-02-0900” from v4", "alice-2026-11-02-0900"},
		{"drafts, failed check", nil, func(h *harness, agentID string) error {
			return h.sim.FailNextCheck(agentID, "failed", "prompt asks for card numbers")
		}, func(h *harness, ts string) {
			h.approve(bob, ts)
			h.advance(7 * time.Second)
		}, "a new draft “alice-2026-11-02-0900” from v4", "alice-2026-11-02-0900"},
		{"branches, rejected once committed", editModels[1].mods, nil, func(h *harness, ts string) {
			h.advance(7 * time.Second)
			h.advance(2 * time.Second)
			h.bot.reject(bob, ts, "")
		}, "a new draft “alice-2026-11-02-0900” from Refund policy update/v1", "alice-2026-11-02-0900"},
		{"branches, rejected during the scan", editModels[1].mods, nil, func(h *harness, ts string) {
			// Cancelling the scan commits nothing: the draft stays open.
			h.bot.reject(bob, ts, "")
		}, "draft “Refund policy update” · revision", "Refund policy update"},
		{"branches, failed scan", editModels[1].mods, func(h *harness, agentID string) error {
			return h.sim.SetScanOutcome(agentID, h.branch(agentID, "Refund policy update").ID, "fail", "prompt asks for card numbers")
		}, func(h *harness, ts string) {
			h.approve(bob, ts)
			h.advance(7 * time.Second)
			h.advance(2 * time.Second)
		}, "draft “Refund policy update” · revision", "Refund policy update"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b, tc.mods...)
				a := h.agent(demoAgent)
				if tc.before != nil {
					if err := tc.before(h, a.ID); err != nil {
						t.Fatal(err)
					}
				}
				h.bot.command(alice, `promote support-concierge "Refund policy update" refund wording`)
				ts := h.newestApproval()
				tc.end(h, ts)
				if p := h.promotionAt(ts); !p.State.Terminal() {
					t.Fatalf("promotion %s, want it ended", p.State)
				}
				h.sim.ResetCalls()
				h.reopen(alice, ts)
				if w := h.writes(); len(w) != 0 {
					t.Fatalf("reopening wrote %v before Save", w)
				}
				f := h.newestForm()
				if view := h.viewText(f.view.ID); !strings.Contains(view, tc.header) {
					t.Errorf("form lacks %q: %s", tc.header, view)
				}
				if !strings.Contains(f.values["prompt"], refund) {
					t.Fatalf("form does not show the promoted work: %v", f.values)
				}
				if action, errs := ackErrors(t, h.submit(alice, f, map[string]string{"firstMessage": "Hello again"})); action != "" {
					t.Fatalf("save ack: %s %v", action, errs)
				}
				cfg := h.draftNamed(a.ID, tc.draft)
				if cfg["firstMessage"] != "Hello again" || !strings.Contains(promptConfig(cfg)["prompt"].(string), refund) {
					t.Errorf("draft %v, want the promoted work with the change", cfg)
				}
				h.bot.command(alice, `promote support-concierge "`+tc.draft+`" second try`)
				if again := h.newestApproval(); again == ts {
					t.Errorf("the reopened work could not be promoted:%s", h.dump())
				}
			})
		})
	}
}

// A request still in flight has nothing to reopen: the form says so and
// nothing is created.
func TestReopenInFlightRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, ts := h.promote(h.bot, alice)
		h.sim.ResetCalls()
		h.reopen(alice, ts)
		views := h.state().Views
		if v := decodedJSON(t, views[len(views)-1].View); !strings.Contains(v, "is still in flight, so there is nothing to reopen") {
			t.Errorf("modal: %s", v)
		}
		if w := h.writes(); len(w) != 0 {
			t.Errorf("wrote %v", w)
		}
		if p := h.promotionAt(ts); p.State != state.Published {
			t.Errorf("promotion %s", p.State)
		}
	})
}

// A button naming a request atomsbot no longer keeps opens nothing and says
// how to start from the version instead.
func TestReopenUnknownRequest(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		_, ts := h.promote(h.bot, alice)
		views := len(h.state().Views)
		h.sim.ResetCalls()
		h.bot.click(alice, ts, render.ActionReopen, render.ButtonValue("pr_gone", "6900000000000000000000a3"))
		if got := h.lastEphemeral(alice); !strings.Contains(got, "no longer keeps that request") || !strings.Contains(got, "--from") {
			t.Errorf("answer %q", got)
		}
		if n := len(h.state().Views); n != views {
			t.Errorf("a modal opened for an unknown request")
		}
		if w := h.writes(); len(w) != 0 {
			t.Errorf("wrote %v", w)
		}
	})
}

// On branches, a rejected draft of the live branch was published on a
// branch of atomsbot's own, archived at the rejection: reopening still forks
// its revision, every field of it (here a voice speed the form does not
// show), onto a new branch of the user's.
func TestReopenRevisionOfArchivedBranch(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, branchModel("v2"))
		a := h.agent(demoAgent)
		h.bot.command(alice, "promote support-concierge Main voice speed")
		ts := h.newestApproval()
		h.advance(7 * time.Second)
		h.advance(2 * time.Second)
		h.bot.reject(bob, ts, "")
		if p := h.promotionAt(ts); p.State != state.Rejected || p.VersionID == "" {
			t.Fatalf("promotion %s, version %q: want rejected once committed", p.State, p.VersionID)
		}
		if own := h.ownBranch(a.ID); own.Status != "archived" {
			t.Fatalf("the bot's branch %+v, want archived", own)
		}
		h.reopen(alice, ts)
		f := h.newestForm()
		if action, errs := ackErrors(t, h.submit(alice, f, nil)); action != "" {
			t.Fatalf("save ack: %s %v", action, errs)
		}
		cfg := h.draftNamed(a.ID, "alice-2026-11-02-0900")
		synth, _ := cfg["synthesizer"].(map[string]any)
		if synth["speed"] != 1.05 || voiceOf(cfg) == "" {
			t.Errorf("draft synthesizer %v, want the revision's speed 1.05 with its voice", synth)
		}
	})
}
