package atomsim

import (
	"maps"
	"reflect"
	"testing"
	"time"
)

// callRoute is one way to place a test call, with the body that picks its
// target and the target that must serve it.
type callRoute struct {
	name   string
	path   string
	body   map[string]any
	target string
}

// v1Routes: a v1 agent with an active version, a second published version
// and an open draft.
func v1Routes(t *testing.T) (*env, string, []callRoute) {
	e := newEnv(t, Options{CheckDelay: -1})
	agentID, ids := publishN(t, e, 1, "api")
	d := e.fork(agentID)
	a := "/agent/" + agentID
	return e, agentID, []callRoute{
		{"v1 draft", a + "/drafts/" + d + "/test-call", nil, DraftTarget(d)},
		{"v1 version", a + "/versions/" + ids[1] + "/test-call", nil, ids[1]},
	}
}

// v2Routes: a branch-model agent with a branch that has a committed head
// and an open draft, reached through the branch route and the kept v1
// routes.
func v2Routes(t *testing.T) (*env, string, []callRoute) {
	e, agentID := newV2(t, Options{})
	main := e.mainBranch(agentID)
	b := e.newBranch(agentID, main.Branch.ID, "feature")
	head := e.commit(agentID, b, map[string]any{"firstMessage": "committed"})
	d := str(e.edit(agentID, b, map[string]any{"firstMessage": "drafted"})["draftId"])
	a := "/agent/" + agentID
	return e, agentID, []callRoute{
		{"branch head", bpath(agentID, b, "/test-call"), nil, head},
		{"branch draft", bpath(agentID, b, "/test-call"), map[string]any{"includeDraft": true}, DraftTarget(d)},
		{"branch revision", bpath(agentID, b, "/test-call"), map[string]any{"revisionId": head}, head},
		{"Main head", bpath(agentID, main.Branch.ID, "/test-call"), nil, main.head()},
		{"kept version route, a revision", a + "/versions/" + head + "/test-call", nil, head},
		{"kept draft route, a branch draft", a + "/drafts/" + d + "/test-call", nil, DraftTarget(d)},
	}
}

func with(base, extra map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, extra)
	return out
}

// TestTestCallRules: the rules every test-call route shares, on both
// models, and the exact target each call is recorded with.
func TestTestCallRules(t *testing.T) {
	const phone = "+14155550100"
	cases := []struct {
		name   string
		extra  map[string]any
		status int
		msg    string
		mode   string
		phone  string
	}{
		{"default webcall", nil, 200, "", "webcall", ""},
		{"chat ignores toPhone", map[string]any{"mode": "chat", "toPhone": phone}, 200, "", "chat", ""},
		{"telephony", map[string]any{"mode": "telephony", "toPhone": phone}, 200, "", "telephony", phone},
		{"telephony without a number", map[string]any{"mode": "telephony"}, 400, "Invalid phone number", "", ""},
		{"telephony, not E.164", map[string]any{"mode": "telephony", "toPhone": "4155550100"}, 400, "Invalid phone number", "", ""},
		{"telephony, number as a number", map[string]any{"mode": "telephony", "toPhone": 14155550100}, 400, "", "", ""},
		{"unknown mode", map[string]any{"mode": "fax"}, 400, "", "", ""},
		{"draft and revision", map[string]any{"includeDraft": true, "revisionId": "0123456789abcdef01234567"}, 400,
			"Invalid Input: includeDraft and revisionId cannot be combined", "", ""},
		{"includeDraft not a boolean", map[string]any{"includeDraft": "yes"}, 400, "", "", ""},
	}
	for _, model := range []struct {
		name  string
		setup func(*testing.T) (*env, string, []callRoute)
	}{{"v1", v1Routes}, {"branch model", v2Routes}} {
		t.Run(model.name, func(t *testing.T) {
			e, agentID, routes := model.setup(t)
			for _, rt := range routes {
				for _, tc := range cases {
					t.Run(rt.name+"/"+tc.name, func(t *testing.T) {
						before := len(e.sim.Conversations())
						r := e.do("POST", rt.path, with(rt.body, tc.extra))
						convs := e.sim.Conversations()
						if tc.status != 200 {
							wantErr(t, r, tc.status, "", tc.msg)
							if len(convs) != before {
								t.Fatalf("a refused call was recorded: %+v", convs[len(convs)-1])
							}
							return
						}
						if r.status != 200 || len(convs) != before+1 {
							t.Fatalf("status %d, %d calls recorded: %s", r.status, len(convs)-before, r.raw)
						}
						data := r.obj(t)
						c := convs[len(convs)-1]
						want := Conversation{ID: str(data["conversationId"]), AgentID: agentID, VersionID: rt.target,
							PhoneNumber: tc.phone, Mode: tc.mode, Test: true, At: c.At}
						if c.Variables != nil || c.ID != str(data["callId"]) {
							t.Fatalf("recorded %+v, answer %v", c, data)
						}
						if !reflect.DeepEqual(c, want) {
							t.Fatalf("recorded %+v\nwant %+v", c, want)
						}
						if _, token := data["token"]; token == (tc.mode == "telephony") {
							t.Fatalf("answer %v", data)
						}
					})
				}
			}
		})
	}
}

// TestBranchTestCallTargets: the branch route's own rules beyond
// TestBranchTestCall's: only the head target needs a committed revision,
// and every route passes a config freeze.
func TestBranchTestCallTargets(t *testing.T) {
	e, agentID, routes := v2Routes(t)
	main := e.mainBranch(agentID)
	headless := e.newBranch(agentID, main.Branch.ID, "headless")
	d := str(e.edit(agentID, headless, map[string]any{"firstMessage": "x"})["draftId"])
	wantErr(t, e.do("POST", bpath(agentID, headless, "/test-call"), nil), 409, errTypeNoCommitted, "")
	e.must(200, "POST", bpath(agentID, headless, "/test-call"), map[string]any{"includeDraft": true})
	if c := e.sim.Conversations(); c[len(c)-1].VersionID != DraftTarget(d) {
		t.Fatalf("headless draft served by %s", c[len(c)-1].VersionID)
	}
	// A revision of another branch is refused even where the branch has one.
	wantErr(t, e.do("POST", routes[0].path, map[string]any{"revisionId": main.head()}), 400, "", "Revision does not belong to this branch")
	e.must(404, "POST", "/agent/"+agentID+"/drafts/00000000-0000-4000-8000-000000000000/test-call", nil)

	e.sim.SetFrozen(true)
	for _, rt := range routes {
		e.must(200, "POST", rt.path, with(rt.body, nil))
	}
}

// TestArchivedAgentPlacesNoCall: outbound and every test-call route refuse
// an archived agent, on both models; unarchived, it calls again.
func TestArchivedAgentPlacesNoCall(t *testing.T) {
	const msg = "Agent is archived and cannot initiate calls"
	for _, model := range []struct {
		name  string
		setup func(*testing.T) (*env, string, []callRoute)
	}{{"v1", v1Routes}, {"branch model", v2Routes}} {
		t.Run(model.name, func(t *testing.T) {
			e, agentID, routes := model.setup(t)
			outbound := map[string]any{"agentId": agentID, "phoneNumber": "+14155550100"}
			e.must(200, "DELETE", "/agent/"+agentID+"/archive", nil)
			wantErr(t, e.do("POST", "/conversation/outbound", outbound), 400, "", msg)
			for _, rt := range routes {
				wantErr(t, e.do("POST", rt.path, with(rt.body, nil)), 400, "", msg)
			}
			if c := e.sim.Conversations(); len(c) != 0 {
				t.Fatalf("calls placed for an archived agent: %+v", c)
			}
			e.must(200, "DELETE", "/agent/"+agentID+"/archive?on=false", nil)
			e.must(200, "POST", "/conversation/outbound", outbound)
			for _, rt := range routes {
				e.must(200, "POST", rt.path, with(rt.body, nil))
			}
		})
	}
}

// TestOutboundServedByLiveConfig: an outbound call runs the active version
// (v1) or the live branch's head (branch model) as it is now, whatever the
// body's versionId attributes it to, and even while reads still lag.
func TestOutboundServedByLiveConfig(t *testing.T) {
	served := func(e *env, agentID string, extra map[string]any) string {
		t.Helper()
		e.must(200, "POST", "/conversation/outbound", with(map[string]any{"agentId": agentID, "phoneNumber": "+14155550100"}, extra))
		c := e.sim.Conversations()
		return c[len(c)-1].VersionID
	}
	t.Run("v1", func(t *testing.T) {
		e := newEnv(t, Options{CheckDelay: -1})
		agentID, ids := publishN(t, e, 1, "api")
		if got := served(e, agentID, map[string]any{"versionId": ids[1]}); got != ids[0] {
			t.Fatalf("served by %s, want the active %s", got, ids[0])
		}
		e.must(200, "PATCH", "/agent/"+agentID+"/versions/"+ids[1]+"/activate", nil)
		if got := served(e, agentID, nil); got != ids[1] {
			t.Fatalf("served by %s, want the active %s", got, ids[1])
		}
	})
	t.Run("branch model", func(t *testing.T) {
		e, agentID := newV2(t, Options{})
		main := e.mainBranch(agentID)
		old := main.head()
		b := e.newBranch(agentID, main.Branch.ID, "next")
		head := e.commit(agentID, b, map[string]any{"firstMessage": "next"})
		e.sim.SetReadLag(time.Minute)
		e.must(200, "POST", bpath(agentID, b, "/live"), nil)
		if got := served(e, agentID, map[string]any{"versionId": old}); got != head {
			t.Fatalf("served by %s, want the live head %s", got, head)
		}
		if e.activeOf(agentID) != old {
			t.Fatal("reads do not lag: the test proves nothing about lag")
		}
		e.clock.Advance(time.Minute)
		e.sim.SetReadLag(0)
		head2 := e.commit(agentID, b, map[string]any{"firstMessage": "again"})
		if got := served(e, agentID, nil); got != head2 || head2 == head {
			t.Fatalf("served by %s, want the new live head %s", got, head2)
		}
	})
}

// TestOnCall: the hook sees each placed call as recorded, without the lock
// held and before the answer; refused calls are not reported; a call whose
// answer a fault replaced is.
func TestOnCall(t *testing.T) {
	var seen []Conversation
	var e *env
	e = newEnv(t, Options{CheckDelay: -1, OnCall: func(c Conversation) {
		// Calling the simulator here would deadlock were the lock held.
		all := e.sim.Conversations()
		if len(all) == 0 || all[len(all)-1].ID != c.ID {
			t.Errorf("hook called before the call was recorded: %+v", c)
		}
		if c.Variables != nil {
			c.Variables["mutated"] = true // a copy: the record must not change
		}
		seen = append(seen, c)
	}})
	agentID, ids := publishN(t, e, 1, "api")
	e.must(200, "POST", "/conversation/outbound", map[string]any{"agentId": agentID, "phoneNumber": "+14155550100",
		"variables": map[string]any{"name": "Asha"}}, "X-Test-Call: true")
	if len(seen) != 1 || seen[0].VersionID != ids[0] || !seen[0].Test || seen[0].Variables["name"] != "Asha" {
		t.Fatalf("after outbound: %+v", seen)
	}
	if _, ok := e.sim.Conversations()[0].Variables["mutated"]; ok {
		t.Fatal("the hook's copy shares the record's variables")
	}
	e.must(400, "POST", "/agent/"+agentID+"/versions/"+ids[1]+"/test-call", map[string]any{"mode": "telephony"})
	if len(seen) != 1 {
		t.Fatalf("a refused call was reported: %+v", seen[1:])
	}

	e.sim.SetFaults(Faults{AfterEffectRate: 1})
	e.must(500, "POST", "/agent/"+agentID+"/versions/"+ids[1]+"/test-call", map[string]any{"mode": "telephony", "toPhone": "+14155550101"})
	if len(seen) != 2 || seen[1].VersionID != ids[1] || seen[1].PhoneNumber != "+14155550101" {
		t.Fatalf("the call behind a lost answer: %+v", seen)
	}
	e.sim.SetFaults(Faults{})

	var other []string
	e.sim.SetOnCall(func(c Conversation) { other = append(other, c.ID) })
	e.must(200, "POST", "/agent/"+agentID+"/versions/"+ids[1]+"/test-call", nil)
	e.sim.SetOnCall(nil)
	e.must(200, "POST", "/agent/"+agentID+"/versions/"+ids[1]+"/test-call", nil)
	if len(seen) != 2 || len(other) != 1 || len(e.sim.Conversations()) != 4 {
		t.Fatalf("hooks after SetOnCall: %d, %v; %d recorded", len(seen), other, len(e.sim.Conversations()))
	}
}

// TestConversationsBound: the call record keeps the newest within MaxCalls.
func TestConversationsBound(t *testing.T) {
	e := newEnv(t, Options{CheckDelay: -1, MaxCalls: 8})
	agentID, _ := publishN(t, e, 0, "api")
	var last string
	for range 20 {
		var data map[string]any
		e.must(200, "POST", "/conversation/outbound", map[string]any{"agentId": agentID, "phoneNumber": "+14155550100"}).data(t, &data)
		last = str(data["conversationId"])
	}
	c := e.sim.Conversations()
	if len(c) > 8 || len(c) < 6 || c[len(c)-1].ID != last {
		t.Fatalf("%d kept, last %+v", len(c), c[len(c)-1])
	}
}
