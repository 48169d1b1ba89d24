package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/redis/go-redis/v9"
)

// refPattern finds the ref a message quotes: "(ref `abc123`)" in mrkdwn,
// "(ref abc123)" in a form field error (plain text).
var refPattern = regexp.MustCompile("\\(ref `?([a-z0-9]{6})`?\\)")

// internals are words of the inside that users must never see.
var internals = []string{"127.0.0.1", "dial tcp", "connection refused", "i/o timeout", "redis", "state:", "*", "10.9.8.7", "/srv/app", "ECONNREFUSED", "goroutine", "atoms: GET"}

// blackholeRedis is a Redis address that accepts connections and never
// answers, with a client that gives up after a short read timeout.
func blackholeRedis(t *testing.T) redis.UniversalClient {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	rdb := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), ReadTimeout: 50 * time.Millisecond,
		WriteTimeout: 50 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// TestFailuresAreExplainedWithARef: when Redis or Atoms fail under a
// command, a click or a form, the user is told what happened in their
// words with a ref, never an address, a dial error or a type; the log has
// the detail under the same ref.
func TestFailuresAreExplainedWithARef(t *testing.T) {
	type world struct {
		h    *harness
		r    *replica
		mini *miniredis.Miniredis // nil on the real Redis
	}
	stopRedis := func(t *testing.T, w world) { w.mini.Close() }
	// command runs /atoms text as alice and returns her reply.
	command := func(w world, text string) string {
		before := len(w.h.ephemeralTo(alice))
		w.r.command(alice, text)
		all := w.h.ephemeralTo(alice)
		if len(all) == before {
			w.h.t.Fatalf("no reply to %q:%s", text, w.h.dump())
		}
		return all[len(all)-1]
	}
	cases := []struct {
		name string
		// stopsRedis: the case stops miniredis (the shared real Redis
		// cannot be), talking to it through a client that does not retry.
		stopsRedis bool
		before     func(t *testing.T, h *harness) // before the replica exists
		act        func(t *testing.T, w world) string
		want       []string // in what the user is told
		logWant    string   // in the log line with the ref
	}{
		{
			name: "command, Redis stopped", stopsRedis: true,
			act: func(t *testing.T, w world) string {
				stopRedis(t, w)
				return command(w, "watch "+demoAgent)
			},
			want:    []string{"atomsbot cannot reach its database", "nothing was changed", "`watch`"},
			logWant: "connection refused",
		},
		{
			name: "command, Redis times out",
			before: func(t *testing.T, h *harness) {
				h.rdb = blackholeRedis(t)
			},
			act: func(t *testing.T, w world) string {
				return command(w, "watch "+demoAgent)
			},
			want:    []string{"atomsbot cannot reach its database", "nothing was changed"},
			logWant: "i/o timeout",
		},
		{
			name: "approve click, Redis stopped", stopsRedis: true,
			act: func(t *testing.T, w world) string {
				_, ts := w.h.promote(w.r, alice)
				v := buttonValue(t, w.h.approvalMessage(), render.ActionApprove)
				stopRedis(t, w)
				w.r.click(bob, ts, render.ActionApprove, v)
				return w.h.lastEphemeral(bob)
			},
			want:    []string{"atomsbot cannot reach its database", "`approve`"},
			logWant: "connection refused",
		},
		{
			name: "call click, Redis stopped", stopsRedis: true,
			act: func(t *testing.T, w world) string {
				_, ts := w.h.promote(w.r, alice)
				v := w.h.callMe(ts)
				stopRedis(t, w)
				w.r.click(bob, ts, render.ActionCall, v)
				return w.h.lastEphemeral(bob)
			},
			want:    []string{"atomsbot cannot reach its database", "`call`"},
			logWant: "connection refused",
		},
		{
			name: "edit form submitted, Redis stopped", stopsRedis: true,
			act: func(t *testing.T, w world) string {
				f := w.h.openEdit(alice, demoAgent)
				stopRedis(t, w)
				rec := w.h.submit(alice, f, map[string]string{"firstMessage": "Hello again"})
				_, errs := fieldErrors(t, rec)
				return strings.Join(sortedValues(errs), " ")
			},
			want:    []string{"atomsbot cannot reach its database", "nothing was saved"},
			logWant: "connection refused",
		},
		{
			name: "phone form submitted, Redis stopped", stopsRedis: true,
			act: func(t *testing.T, w world) string {
				w.r.command(alice, "call "+demoAgent) // no number known: the form opens
				f := w.h.lastPhoneForm()
				stopRedis(t, w)
				_, errs := fieldErrors(t, w.h.submitPhone(w.r, alice, f, "+15551234567"))
				return errs["phone"]
			},
			want:    []string{"atomsbot cannot reach its database", "nothing was saved"},
			logWant: "connection refused",
		},
		{
			name: "command, Atoms answers 5xx (simulator faults)",
			act: func(t *testing.T, w world) string {
				w.h.sim.SetFaults(atomsim.Faults{ErrorRate: 1, Seed: 3})
				return command(w, "agents")
			},
			want:    []string{"Atoms is unavailable (HTTP ", "nothing was changed", "`agents`"},
			logWant: "GET /agent",
		},
		{
			name: "command, Atoms answers 500 full of internals",
			before: func(t *testing.T, h *harness) {
				echo := echoingAtoms(t, h)
				f := func(w http.ResponseWriter) {
					answer(w, 500, "text/plain", "Error: connect ECONNREFUSED 10.9.8.7:5432\n    at Pool.connect (/srv/app/db.js:12)\ngoroutine 7 [running]: *pg.Conn")
				}
				echo.Store(&f)
			},
			act: func(t *testing.T, w world) string {
				return command(w, "versions "+demoAgent)
			},
			want:    []string{"Atoms is unavailable (HTTP 500)", "nothing was changed"},
			logWant: "10.9.8.7",
		},
		{
			name: "command, Atoms unreachable",
			before: func(t *testing.T, h *harness) {
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				h.simURL = "http://" + ln.Addr().String()
				_ = ln.Close()
			},
			act: func(t *testing.T, w world) string {
				return command(w, "agents")
			},
			want:    []string{"Atoms is unavailable (it could not be reached)", "nothing was changed"},
			logWant: "connection refused",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				h := newHarness(t, b)
				if tc.stopsRedis {
					if b.Mini == nil {
						t.Skip("the shared real Redis cannot be stopped")
					}
					h.rdb = redis.NewClient(&redis.Options{Addr: b.Mini.Addr(), MaxRetries: -1, DialerRetries: 1})
					t.Cleanup(func() { _ = h.rdb.Close() })
				}
				if tc.before != nil {
					tc.before(t, h)
				}
				logs := &logRecorder{}
				r := h.loggedReplica("failing", logs, 0)
				h.bot = r
				got := tc.act(t, world{h: h, r: r, mini: b.Mini})
				for _, w := range tc.want {
					if !strings.Contains(got, w) {
						t.Errorf("the user is told %q, which lacks %q", got, w)
					}
				}
				for _, s := range internals {
					if strings.Contains(got, s) {
						t.Errorf("the user is told %q, which shows %q", got, s)
					}
				}
				m := refPattern.FindStringSubmatch(got)
				if m == nil {
					t.Fatalf("no ref in %q", got)
				}
				var line string
				for _, l := range strings.Split(logs.all(), "\n") {
					if strings.Contains(l, "ref="+m[1]) {
						line = l
					}
				}
				if line == "" || !strings.Contains(line, tc.logWant) {
					t.Errorf("the log line of ref %s is %q; want the detail %q in it; log:\n%s", m[1], line, tc.logWant, logs.all())
				}
			})
		})
	}
}

// An error that is neither Atoms' nor the database's is a generic message
// with a ref; its text (a type, an address) only in the log.
func TestUnknownErrorIsGenericWithRef(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		logs := &logRecorder{}
		r := h.loggedReplica("unknown", logs, 0)
		err := errors.New("render: unsupported value *render.Block at 0xc000123456 from 127.0.0.1")
		got := r.handler.unexpected(context.Background(), "status", err).Text
		if !strings.Contains(got, "unexpected error inside atomsbot") || strings.Contains(got, "render.Block") || strings.Contains(got, "127.0.0.1") {
			t.Errorf("user told %q", got)
		}
		m := refPattern.FindStringSubmatch(got)
		if m == nil || !strings.Contains(logs.all(), "ref="+m[1]) || !strings.Contains(logs.all(), "0xc000123456") {
			t.Errorf("ref %v not logged with the detail:\n%s", m, logs.all())
		}
	})
}
