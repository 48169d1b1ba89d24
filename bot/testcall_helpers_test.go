package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/atomsbot/atomsbot/bot/slackweb"
	"github.com/atomsbot/atomsbot/bot/workflow"
	"github.com/atomsbot/atomsbot/state"
)

// The people and numbers of the test-call tests. A number is personal data:
// tests look for it, in full and without its "+", everywhere it must not be.
const (
	dave = "UDAVE" // on no approver list where a test has one

	bobPhone    = "+15551234567"
	bobMasked   = "+1 ••• ••• 4567"
	ukPhone     = "+447911123456"
	ukMasked    = "+44 ••• ••• 3456"
	alicePhone  = "+919876543210"
	aliceMasked = "+91 ••• ••• 3210"
)

// callModel is one versioning model the test-call stories run on.
type callModel struct {
	name   string
	branch bool
}

var callModels = []callModel{{"v1", false}, {"branch model", true}}

// harness starts a world on the model, with more harness options.
func (m callModel) harness(t *testing.T, b backend, mods ...func(*harnessConfig)) *harness {
	t.Helper()
	if m.branch {
		mods = append([]func(*harnessConfig){branchModel("v2")}, mods...)
	}
	return newHarness(t, b, mods...)
}

// eachCallModel runs f on both models, against every backend.
func eachCallModel(t *testing.T, f func(t *testing.T, b backend, m callModel)) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, m := range callModels {
			t.Run(m.name, func(t *testing.T) { f(t, b, m) })
		}
	})
}

// withApprovers lists the approvers (anyone else is an outsider).
func withApprovers(users ...string) func(*harnessConfig) {
	return func(c *harnessConfig) { c.policy.Approvers = users }
}

// loggedReplica is h.replica whose every logger (front door, handler,
// engine, Atoms client) writes to logs at debug level, and whose engine
// allows perHour test calls per user (0: the default).
func (h *harness) loggedReplica(owner string, logs *logRecorder, perHour int) *replica {
	t := h.t
	log := logs.logger()
	store := state.New(h.rdb, h.prefix, h.clock.Now)
	ac, err := atoms.New(atoms.Options{BaseURL: h.simURL, APIKey: testAPIKey, RPS: 100000, Sleep: noSleep, MaxRetries: 8, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	sc := slackweb.New(slackweb.Options{Token: testToken, APIURL: h.slackURL + "/", Sleep: noSleep})
	plat := h.platformOf(ac, h.clock.Now)
	eng := workflow.New(plat, store, sc, workflow.Config{
		Policy: h.cfg.policy, PollInterval: time.Second, CheckTimeout: 10 * time.Minute,
		Now: h.clock.Now, Owner: owner, RPS: 100000, Logger: log, TestCallsPerHour: perHour,
	})
	pool := NewPool(h.cfg.poolSize, 64, time.Minute)
	t.Cleanup(func() { _ = pool.Shutdown(context.Background()) })
	handler := NewHandler(plat, store, sc, eng, pool, Config{Now: h.clock.Now, Logger: log})
	srv := NewServer(handler, ServerOptions{Verifier: NewVerifier(testSecret, h.clock.Now), Now: h.clock.Now, Ready: store.Ping, Logger: log})
	return &replica{h: h, store: store, engine: eng, pool: pool, handler: handler, server: srv}
}

// clickTrigger presses a button of the message at ts like click, and
// returns the trigger id the click carried.
func (r *replica) clickTrigger(user, ts, actionID, value string) (string, *httptest.ResponseRecorder) {
	trigger := r.h.slack.IssueTrigger(user)
	rec := r.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team":      map[string]any{"id": "T1"},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": testChannel},
		"channel":   map[string]any{"id": testChannel}, "trigger_id": trigger,
		"response_url": r.h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user, MessageTS: ts}),
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "call_actions", "value": value,
			"action_ts": strconv.FormatInt(r.h.clock.Now().Unix(), 10) + "." + strconv.FormatInt(actionSeq.Add(1), 10)}},
	})
	return trigger, rec
}

// phoneForm is the phone modal as the fake Slack holds it.
type phoneForm struct {
	view       slackfake.View
	meta       string
	callback   string
	value      string // what the phone field shows
	inputIDs   []string
	text       string // the whole view, decoded, for word checks
	submitText string
}

// phoneForms are the phone modals opened so far, oldest first.
func (h *harness) phoneForms() []phoneForm {
	h.t.Helper()
	var out []phoneForm
	for _, m := range h.modalViews(CallPhoneCallbackID) {
		out = append(out, phoneForm{view: m.view, meta: m.meta, callback: CallPhoneCallbackID, value: m.initial["phone"],
			inputIDs: m.inputIDs, text: m.text, submitText: m.submit})
	}
	return out
}

// lastPhoneForm is the newest phone modal; fatal when none was opened.
func (h *harness) lastPhoneForm() phoneForm {
	h.t.Helper()
	fs := h.phoneForms()
	if len(fs) == 0 {
		h.t.Fatalf("no phone modal was opened; views %d:%s", len(h.state().Views), h.dump())
	}
	return fs[len(fs)-1]
}

// submitPhone types phone into the form and submits it as user.
func (h *harness) submitPhone(r *replica, user string, f phoneForm, phone string) *httptest.ResponseRecorder {
	h.t.Helper()
	cur, _ := h.state().FindView(f.view.ID)
	view := map[string]any{"id": f.view.ID, "type": "modal", "callback_id": CallPhoneCallbackID, "private_metadata": f.meta,
		"hash": cur.Hash, "state": map[string]any{"values": map[string]any{
			"phone": map[string]any{inputAction: map[string]any{"type": "plain_text_input", "value": phone}},
		}}}
	rec := r.interact(map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team": map[string]any{"id": "T1"}, "trigger_id": h.slack.IssueTrigger(user), "view": view,
	})
	if rec.Code != 200 {
		h.t.Fatalf("phone submission: %d %s", rec.Code, rec.Body)
	}
	return rec
}

// fieldErrors decodes a view_submission ack: its response_action and the
// errors under the fields.
func fieldErrors(t *testing.T, rec *httptest.ResponseRecorder) (string, map[string]string) {
	t.Helper()
	if rec.Body.Len() == 0 {
		return "", nil
	}
	var body struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("ack %q: %v", rec.Body, err)
	}
	return body.ResponseAction, body.Errors
}

// conversations are the calls the simulator placed.
func (h *harness) conversations() []atomsim.Conversation { return h.sim.Conversations() }

// lastConversation is the newest placed call; fatal when there is none.
func (h *harness) lastConversation() atomsim.Conversation {
	h.t.Helper()
	cs := h.conversations()
	if len(cs) == 0 {
		h.t.Fatalf("no call was placed:%s", h.dump())
	}
	return cs[len(cs)-1]
}

// callMe is the value of the Call me button of the approval request at ts.
func (h *harness) callMe(ts string) string {
	h.t.Helper()
	return buttonValue(h.t, h.approvalMessageAt(ts), render.ActionCall)
}

// newEphemerals are the texts (with decoded blocks) shown only to user
// after the first skip of them.
func (h *harness) newEphemerals(user string, skip int) []string {
	var out []string
	n := 0
	for _, m := range h.state().Messages {
		if m.User == user && (m.Ephemeral || m.ResponseType == "ephemeral") {
			if n >= skip {
				out = append(out, m.Text+"\n"+decodedJSON(h.t, m.Blocks))
			}
			n++
		}
	}
	return out
}

// answer runs `/atoms text` as user and returns the one answer shown to
// user only (the ack's body when it answered).
func (h *harness) answer(r *replica, user, text string) string {
	h.t.Helper()
	before := len(h.ephemeralTo(user))
	rec := r.command(user, text)
	if rec.Code != 200 {
		h.t.Fatalf("%q: status %d: %s", text, rec.Code, rec.Body)
	}
	got := h.newEphemerals(user, before)
	switch {
	case len(got) == 1:
		return got[0]
	case len(got) == 0 && rec.Body.Len() > 0:
		return decodedJSON(h.t, rec.Body.Bytes())
	case len(got) == 0:
		return ""
	}
	h.t.Fatalf("%q: %d answers: %q", text, len(got), got)
	return ""
}

// clickAnswer clicks and returns what user alone was shown by it ("" for
// nothing).
func (h *harness) clickAnswer(r *replica, user, ts, actionID, value string) string {
	h.t.Helper()
	before := len(h.ephemeralTo(user))
	rec := r.click(user, ts, actionID, value)
	if rec.Code != 200 || rec.Body.Len() != 0 {
		h.t.Fatalf("click ack: %d %q", rec.Code, rec.Body)
	}
	return strings.Join(h.newEphemerals(user, before), "\n---\n")
}

// phoneOf is user's remembered number ("" for none).
func (h *harness) phoneOf(user string) string {
	h.t.Helper()
	p, err := h.bot.store.Phone(h.t.Context(), user)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// liveNow is what serves the agent's calls now: the active version (v1) or
// the live branch and its head.
func (h *harness) liveNow(agentID string) string {
	a := h.live(agentID)
	if a.LiveBranchID != "" {
		for _, b := range a.Branches {
			if b.ID == a.LiveBranchID {
				return fmt.Sprintf("branch %s at %s", b.ID, b.HeadRevisionID)
			}
		}
	}
	return "version " + a.ActiveVersionID
}

// callWrites counts the requests to Atoms that place a call.
func (h *harness) callWrites() int {
	n := 0
	for _, c := range h.sim.Calls() {
		if c.Method == "POST" && (strings.HasSuffix(c.Path, "/test-call") || c.Path == "/conversation/outbound") {
			n++
		}
	}
	return n
}

// wantNoNumber fails when s shows any of the numbers in full (with or
// without its "+").
func wantNoNumber(t *testing.T, where, s string, phones ...string) {
	t.Helper()
	for _, p := range phones {
		for _, form := range []string{p, strings.TrimPrefix(p, "+")} {
			if strings.Contains(s, form) {
				t.Errorf("%s shows the number %s in full: %.300q", where, form, s[max(0, strings.Index(s, form)-120):])
			}
		}
	}
}

// redisValues dumps every key of the test's prefix with its value(s), as
// "key = value" lines.
func (h *harness) redisValues() []string {
	ctx := context.Background()
	var out []string
	iter := h.rdb.Scan(ctx, 0, "{"+h.prefix+"}:*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		var v any
		var err error
		switch typ := h.rdb.Type(ctx, k).Val(); typ {
		case "string":
			v, err = h.rdb.Get(ctx, k).Result()
		case "hash":
			v, err = h.rdb.HGetAll(ctx, k).Result()
		case "zset":
			v, err = h.rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "list":
			v, err = h.rdb.LRange(ctx, k, 0, -1).Result()
		case "set":
			v, err = h.rdb.SMembers(ctx, k).Result()
		case "stream":
			v, err = h.rdb.XRange(ctx, k, "-", "+").Result()
		default:
			v = "(" + typ + ")"
		}
		if err != nil {
			h.t.Fatalf("read %s: %v", k, err)
		}
		out = append(out, fmt.Sprintf("%s = %v", k, v))
	}
	if err := iter.Err(); err != nil {
		h.t.Fatal(err)
	}
	return out
}

// formValues is a url.Values or JSON body of a Slack call, as one string.
func slackCallText(c slackfake.Call) string {
	var b strings.Builder
	for k, vs := range c.Form {
		for _, v := range vs {
			b.WriteString(k + "=" + v + "\n")
		}
	}
	if len(c.JSON) > 0 {
		b.Write(c.JSON)
		// Decoded too: JSON may escape what a reader would see.
		var v any
		if json.Unmarshal(c.JSON, &v) == nil {
			d, _ := json.Marshal(v)
			b.Write(d)
		}
	}
	s := b.String()
	if u, err := url.QueryUnescape(s); err == nil {
		s += "\n" + u
	}
	return s
}

// triggerOf is the trigger_id a views.open call used.
func triggerOf(t *testing.T, c slackfake.Call) string {
	t.Helper()
	if id := c.Form.Get("trigger_id"); id != "" {
		return id
	}
	var body struct {
		TriggerID string `json:"trigger_id"`
	}
	if len(c.JSON) > 0 {
		if err := json.Unmarshal(c.JSON, &body); err != nil {
			t.Fatal(err)
		}
	}
	return body.TriggerID
}
