package bot

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// sentAck is one acknowledgement the transport sent.
type sentAck struct {
	envelopeID string
	payload    any
}

// ackRecorder stands in for (*socketmode.Client).AckCtx.
type ackRecorder chan sentAck

func (a ackRecorder) ack(_ context.Context, id string, payload any) error {
	a <- sentAck{envelopeID: id, payload: payload}
	return nil
}

// next waits for the next ack (handlers run in goroutines of DispatchEvent).
func (a ackRecorder) next(t *testing.T) sentAck {
	t.Helper()
	select {
	case s := <-a:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no socket mode ack")
		return sentAck{}
	}
}

func (a ackRecorder) none(t *testing.T) {
	t.Helper()
	select {
	case s := <-a:
		t.Fatalf("unexpected ack %+v", s)
	default:
	}
}

// requestLog records ObserveRequest and the connection gauge.
type requestLog struct {
	observed  chan string // each "route outcome" as the envelope finishes
	mu        sync.Mutex
	outcomes  []string // "route outcome"
	connected []bool
}

func (r *requestLog) ObserveRequest(route, outcome string, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes = append(r.outcomes, route+" "+outcome)
	r.observed <- route + " " + outcome
}

// finished waits until an envelope has been fully handled (acked, any large
// answer delivered, observed) and returns its "route outcome".
func (r *requestLog) finished(t *testing.T) string {
	t.Helper()
	select {
	case o := <-r.observed:
		return o
	case <-time.After(10 * time.Second):
		t.Fatal("envelope never finished")
		return ""
	}
}
func (r *requestLog) ObserveSignatureFailure(string) {}
func (r *requestLog) ObservePool(int, bool)          {}
func (r *requestLog) ObserveSocketConnected(up bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.connected = append(r.connected, up)
}

func (r *requestLog) last() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.outcomes) == 0 {
		return ""
	}
	return r.outcomes[len(r.outcomes)-1]
}

// socketRig is the Socket Mode transport of the harness's first replica,
// driven through slack-go's own dispatcher without a WebSocket.
type socketRig struct {
	h       *harness
	sm      *SocketMode
	sh      *socketmode.SocketmodeHandler
	acks    ackRecorder
	metrics *requestLog
	seq     int
}

func newSocketRig(h *harness) *socketRig {
	acks := make(ackRecorder, 16)
	m := &requestLog{observed: make(chan string, 16)}
	sm := NewSocketMode(h.bot.handler, SocketOptions{Ack: acks.ack, Now: h.clock.Now, Metrics: m})
	api := slack.New(testToken, slack.OptionAPIURL(h.slackURL+"/"))
	client := socketmode.New(api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
	sh := socketmode.NewSocketmodeHandler(client)
	sm.Register(sh)
	return &socketRig{h: h, sm: sm, sh: sh, acks: acks, metrics: m}
}

func (r *socketRig) envelope(typ string, payload any) *socketmode.Request {
	r.seq++
	raw, err := json.Marshal(payload)
	if err != nil {
		r.h.t.Fatal(err)
	}
	return &socketmode.Request{Type: typ, EnvelopeID: "env-" + strconv.Itoa(r.seq), Payload: raw, AcceptsResponsePayload: true}
}

func (r *socketRig) slashCommand(user, text string) slack.SlashCommand {
	return slack.SlashCommand{
		TeamID: "T1", TeamDomain: "acme", ChannelID: testChannel, ChannelName: "deploys", UserID: user,
		UserName: strings.ToLower(user[1:]), Command: "/atoms", Text: text, APIAppID: "A1",
		ResponseURL: r.h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user}),
		TriggerID:   r.h.slack.IssueTrigger(user),
	}
}

// command dispatches `/atoms text` and returns its ack once the work it
// queued has finished.
func (r *socketRig) command(user, text string) sentAck {
	sc := r.slashCommand(user, text)
	req := r.envelope(socketmode.RequestTypeSlashCommands, sc)
	r.sh.DispatchEvent(socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc, Request: req})
	a := r.acks.next(r.h.t)
	if a.envelopeID != req.EnvelopeID {
		r.h.t.Fatalf("ack for %q, want %q", a.envelopeID, req.EnvelopeID)
	}
	r.metrics.finished(r.h.t)
	r.h.bot.drain()
	return a
}

// click presses a button of the message at ts over Socket Mode.
func (r *socketRig) click(user, ts, actionID, value string) sentAck {
	payload := map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user, "name": strings.ToLower(user[1:])},
		"team":      map[string]any{"id": "T1"},
		"container": map[string]any{"type": "message", "message_ts": ts, "channel_id": testChannel},
		"channel":   map[string]any{"id": testChannel}, "trigger_id": r.h.slack.IssueTrigger(user),
		"response_url": r.h.slack.NewResponseURLFor(slackfake.ResponseTarget{Channel: testChannel, User: user, MessageTS: ts}),
		"actions": []map[string]any{{"type": "button", "action_id": actionID, "block_id": "approval_actions", "value": value,
			"action_ts": strconv.FormatInt(r.h.clock.Now().UnixNano(), 10)}},
	}
	req := r.envelope(socketmode.RequestTypeInteractive, payload)
	var ic slack.InteractionCallback
	if err := json.Unmarshal(req.Payload, &ic); err != nil {
		r.h.t.Fatal(err)
	}
	r.sh.DispatchEvent(socketmode.Event{Type: socketmode.EventTypeInteractive, Data: ic, Request: req})
	a := r.acks.next(r.h.t)
	r.metrics.finished(r.h.t)
	r.h.bot.drain()
	return a
}

// jsonValue normalises a payload or body for comparison.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	var b []byte
	switch x := v.(type) {
	case nil:
		return nil
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(x); err != nil {
			t.Fatal(err)
		}
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("not JSON: %s", b)
	}
	return out
}

func TestSocketModeAckMatchesHTTP(t *testing.T) {
	for _, text := range []string{"help", "help promote", "frobnicate", `promote support-concierge`, "status support-concierge"} {
		t.Run(text, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				rec := h.bot.command(alice, text)
				if rec.Code != 200 {
					t.Fatalf("HTTP: %d %s", rec.Code, rec.Body)
				}
				// A fresh world, so the command does the same thing again.
				h2 := newHarness(t, b)
				rig := newSocketRig(h2)
				got := rig.command(alice, text)
				if want := jsonValue(t, rec.Body.Bytes()); !reflect.DeepEqual(jsonValue(t, got.payload), want) {
					t.Errorf("socket ack payload = %v\nHTTP body = %v", jsonValue(t, got.payload), want)
				}
				if l := rig.metrics.last(); l != "commands ok" {
					t.Errorf("observed %q, want commands ok", l)
				}
			})
		})
	}
}

func TestSocketModePromoteAndApprove(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		rig := newSocketRig(h)
		a := h.agent(demoAgent)
		ack := rig.command(alice, `promote support-concierge "Refund policy update" refund wording`)
		if ack.payload != nil || !strings.Contains(strings.Join(h.ephemeralTo(alice), "\n"), "Publishing") {
			t.Errorf("promote ack = %v, then %q; want an empty ack, then Publishing…", ack.payload, h.ephemeralTo(alice))
		}
		msg := h.approvalMessage()
		click := rig.click(bob, msg.TS, render.ActionApprove, buttonValue(t, msg, render.ActionApprove))
		if click.payload != nil {
			t.Errorf("button ack carries %v, want an empty ack", click.payload)
		}
		if l := rig.metrics.last(); l != "interactions ok" {
			t.Errorf("observed %q, want interactions ok", l)
		}
		h.advance(7 * time.Second)
		h.assertLiveOnce(a.ID, 4)
	})
}

func TestSocketModeLargeAnswerGoesThroughWebAPI(t *testing.T) {
	big := strings.Repeat("diff line ", 2500) // 25 000 bytes: over the 20 KB ack limit
	cases := []struct {
		name        string
		body        any
		wantOutcome string
		wantPosted  bool
	}{
		{"small ephemeral stays in the ack", slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: "short"}, "commands ok", false},
		{"large ephemeral becomes chat.postEphemeral", slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: big}, "commands ok_web_api", true},
		{"large modal errors cannot be delivered", slack.NewErrorsViewSubmissionResponse(map[string]string{"prompt": big}), "commands too_large", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				rig := newSocketRig(h)
				rig.sm.command = func(context.Context, slack.SlashCommand) Ack { return Ack{Body: tc.body} }
				got := rig.command(alice, "help")
				large := strings.Contains(tc.wantOutcome, "web_api") || strings.Contains(tc.wantOutcome, "too_large")
				if large && got.payload != nil {
					t.Fatalf("a payload over 20 KB was put in the ack")
				}
				if !large && !reflect.DeepEqual(jsonValue(t, got.payload), jsonValue(t, tc.body)) {
					t.Fatalf("ack = %v, want the body", got.payload)
				}
				posted := false
				for _, m := range h.ephemeralTo(alice) {
					posted = posted || m == big
				}
				if posted != tc.wantPosted {
					t.Errorf("posted as ephemeral = %v, want %v", posted, tc.wantPosted)
				}
				if l := rig.metrics.last(); l != tc.wantOutcome {
					t.Errorf("observed %q, want %q", l, tc.wantOutcome)
				}
			})
		})
	}
}

func TestSocketModeOtherEnvelopes(t *testing.T) {
	cases := []struct {
		name    string
		evt     func(r *socketRig) socketmode.Event
		outcome string
	}{
		{"events api is acked", func(r *socketRig) socketmode.Event {
			ev := slackevents.EventsAPIEvent{Type: slackevents.CallbackEvent}
			return socketmode.Event{Type: socketmode.EventTypeEventsAPI, Data: ev, Request: r.envelope(socketmode.RequestTypeEventsAPI, map[string]any{"type": "event_callback"})}
		}, "events ignored"},
		{"command without a user is malformed", func(r *socketRig) socketmode.Event {
			sc := r.slashCommand(alice, "help")
			sc.UserID = ""
			return socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc, Request: r.envelope(socketmode.RequestTypeSlashCommands, sc)}
		}, "commands malformed"},
		{"interaction without a type is malformed", func(r *socketRig) socketmode.Event {
			ic := slack.InteractionCallback{User: slack.User{ID: alice}}
			return socketmode.Event{Type: socketmode.EventTypeInteractive, Data: ic, Request: r.envelope(socketmode.RequestTypeInteractive, ic)}
		}, "interactions malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				rig := newSocketRig(h)
				evt := tc.evt(rig)
				rig.sh.DispatchEvent(evt)
				got := rig.acks.next(t)
				rig.metrics.finished(t)
				if got.envelopeID != evt.Request.EnvelopeID || got.payload != nil {
					t.Errorf("ack = %+v, want an empty ack of %s", got, evt.Request.EnvelopeID)
				}
				if l := rig.metrics.last(); l != tc.outcome {
					t.Errorf("observed %q, want %q", l, tc.outcome)
				}
				if n := len(h.state().Messages); n != 0 {
					t.Errorf("%d messages posted for an ignored envelope", n)
				}
			})
		})
	}
}

func TestSocketModeShutdownFinishesInFlightAcks(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		rig := newSocketRig(h)
		entered, release := make(chan struct{}), make(chan struct{})
		calls := 0
		rig.sm.command = func(context.Context, slack.SlashCommand) Ack {
			calls++
			close(entered)
			<-release
			return Ack{Body: slack.Msg{Text: "done"}}
		}
		sc := rig.slashCommand(alice, "help")
		req := rig.envelope(socketmode.RequestTypeSlashCommands, sc)
		rig.sh.DispatchEvent(socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc, Request: req})
		<-entered

		expired, cancel := context.WithCancel(context.Background())
		cancel()
		if err := rig.sm.Shutdown(expired); err == nil {
			t.Fatal("Shutdown returned before the in-flight envelope was acked")
		}
		// Refused once shutting down: not handled, not acked.
		late := rig.slashCommand(alice, "help")
		lateReq := rig.envelope(socketmode.RequestTypeSlashCommands, late)
		rig.sm.onCommand(&socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: late, Request: lateReq})

		close(release)
		if err := rig.sm.Shutdown(context.Background()); err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		got := rig.acks.next(t)
		rig.metrics.finished(t)
		if got.envelopeID != req.EnvelopeID || jsonValue(t, got.payload) == nil {
			t.Errorf("in-flight ack = %+v", got)
		}
		rig.acks.none(t)
		if calls != 1 {
			t.Errorf("handler ran %d times, want 1 (the late envelope must be refused)", calls)
		}
	})
}

func TestSocketModeConnectionGauge(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		rig := newSocketRig(newHarness(t, b))
		for _, e := range []socketmode.Event{
			{Type: socketmode.EventTypeConnecting},
			{Type: socketmode.EventTypeConnected},
			{Type: socketmode.EventTypeConnectionError, Data: &slack.ConnectionErrorEvent{Attempt: 1}},
			{Type: socketmode.EventTypeConnected},
		} {
			rig.sm.onLifecycle(&e)
		}
		if err := rig.sm.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := []bool{false, true, false, true, false}
		if !reflect.DeepEqual(rig.metrics.connected, want) {
			t.Errorf("connected gauge went %v, want %v", rig.metrics.connected, want)
		}
	})
}
