package slackfake

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"
)

var viewIDShape = regexp.MustCompile(`^V[0-9A-Z]+$`)

func TestOpenAndUpdateView(t *testing.T) {
	e := newEnv(t)
	req := modal("Edit draft", promptInput("prompt"))
	req.CallbackID = "edit"
	req.PrivateMetadata = `{"agent":"a1"}`
	opened, err := e.api.OpenViewContext(ctx(t), "123.456.abc", req)
	if err != nil {
		t.Fatal(err)
	}
	if !viewIDShape.MatchString(opened.ID) || opened.Hash == "" || opened.RootViewID != opened.ID ||
		opened.CallbackID != "edit" || opened.PrivateMetadata != `{"agent":"a1"}` || opened.Title.Text != "Edit draft" {
		t.Fatalf("opened view = %+v", opened.View)
	}
	sent, _ := json.Marshal(req)
	if v := e.fake.Views(); len(v) != 1 || v[0].ID != opened.ID || !sameJSON(t, v[0].View, sent) {
		t.Fatalf("recorded views = %+v", v)
	}

	updated := modal("Saving…", section("working"))
	tests := []struct {
		name   string
		viewID string
		hash   string
		code   string
	}{
		{name: "current hash", viewID: opened.ID, hash: opened.Hash},
		{name: "stale hash", viewID: opened.ID, hash: opened.Hash, code: "hash_conflict"},
		{name: "no hash skips the check", viewID: opened.ID},
		{name: "unknown view", viewID: "V99999999", code: "not_found"},
	}
	updates := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := e.fake.Snapshot().FindView(opened.ID)
			got, err := e.api.UpdateViewContext(ctx(t), updated, "", tc.hash, tc.viewID)
			after, _ := e.fake.Snapshot().FindView(opened.ID)
			if tc.code != "" {
				slackErr(t, err, tc.code)
				if after.Hash != before.Hash || after.Updates != before.Updates {
					t.Error("a refused update changed the view")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			updates++
			if got.ID != opened.ID || got.Hash == before.Hash || got.Hash != after.Hash || after.Updates != updates || got.Title.Text != "Saving…" {
				t.Errorf("update answered %+v, recorded %+v", got.View, after)
			}
		})
	}
}

func TestUpdateViewByExternalID(t *testing.T) {
	e := newEnv(t)
	req := modal("Edit", section("x"))
	req.ExternalID = "edit-a1"
	opened, err := e.api.OpenViewContext(ctx(t), "t1", req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.api.OpenViewContext(ctx(t), "t2", req)
	slackErr(t, err, "duplicate_external_id")

	got, err := e.api.UpdateViewContext(ctx(t), modal("Done", section("y")), "edit-a1", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != opened.ID || got.ExternalID != "edit-a1" {
		t.Errorf("updated %+v", got.View)
	}
	_, err = e.api.UpdateViewContext(ctx(t), modal("Done", section("y")), "nope", "", "")
	slackErr(t, err, "not_found")
}

func TestTriggers(t *testing.T) {
	e := newEnv(t)
	// Before any trigger is issued, any non-empty trigger_id is accepted.
	if _, err := e.api.OpenViewContext(ctx(t), "made-up", modal("Edit", section("x"))); err != nil {
		t.Fatalf("lenient mode: %v", err)
	}

	used := e.fake.IssueTrigger("U1")
	if _, err := e.api.OpenViewContext(ctx(t), used, modal("Edit", section("x"))); err != nil {
		t.Fatal(err)
	}
	// An invalid view must not use the trigger up.
	spare := e.fake.IssueTrigger("U2")
	_, err := e.api.OpenViewContext(ctx(t), spare, modal("This title is far too long for Slack", section("x")))
	slackErr(t, err, "invalid_arguments")

	tests := []struct {
		name    string
		trigger func() string
		advance time.Duration
		code    string
		user    string
	}{
		{name: "rejected view left the trigger usable", trigger: func() string { return spare }, user: "U2"},
		{name: "unknown once strict", trigger: func() string { return "made-up-2" }, code: "invalid_trigger_id"},
		{name: "used", trigger: func() string { return used }, code: "exchanged_trigger_id"},
		{name: "valid at 2.999 s", trigger: func() string { return e.fake.IssueTrigger("U3") }, advance: 2999 * time.Millisecond, user: "U3"},
		{name: "expired at 3 s", trigger: func() string { return e.fake.IssueTrigger("U3") }, advance: 3 * time.Second, code: "expired_trigger_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			trig := tc.trigger()
			e.clock.Advance(tc.advance)
			got, err := e.api.OpenViewContext(ctx(t), trig, modal("Edit", section("x")))
			if tc.code != "" {
				se := slackErr(t, err, tc.code)
				if tc.code == "expired_trigger_id" && !hasMessage(se.ResponseMetadata.Messages, "`trigger_id` expired") {
					t.Errorf("messages %q", se.ResponseMetadata.Messages)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := e.fake.Snapshot().FindView(got.ID); v.UserID != tc.user {
				t.Errorf("view user = %q, want %q", v.UserID, tc.user)
			}
		})
	}
}

func TestPushView(t *testing.T) {
	e := newEnv(t)
	root, err := e.api.OpenViewContext(ctx(t), e.fake.IssueTrigger("U1"), modal("Edit", section("root")))
	if err != nil {
		t.Fatal(err)
	}
	prev := root.ID
	for i := range 2 {
		pushed, err := e.api.PushViewContext(ctx(t), e.fake.IssueTrigger("U1"), modal("Confirm", section("more")))
		if err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		if pushed.RootViewID != root.ID || pushed.PreviousViewID != prev {
			t.Errorf("push %d: root=%q previous=%q", i, pushed.RootViewID, pushed.PreviousViewID)
		}
		prev = pushed.ID
	}
	_, err = e.api.PushViewContext(ctx(t), e.fake.IssueTrigger("U1"), modal("Too deep", section("x")))
	slackErr(t, err, "push_limit_reached")

	// Another user's stack is separate, and closing resets the stack.
	if _, err := e.api.PushViewContext(ctx(t), e.fake.IssueTrigger("U2"), modal("Other", section("x"))); err != nil {
		t.Errorf("other user: %v", err)
	}
	e.fake.CloseViews("U1")
	if _, err := e.api.PushViewContext(ctx(t), e.fake.IssueTrigger("U1"), modal("Again", section("x"))); err != nil {
		t.Errorf("after CloseViews: %v", err)
	}
}
