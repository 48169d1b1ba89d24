package bot

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/atomsbot/atomsbot/internal/redact"
)

// keyPiece is the first piece of testAPIKey of 8 bytes or more in s, as it
// is or decoded, "" when there is none.
func keyPiece(s string) string {
	const piece = 8
	for _, s := range []string{s, redact.Decode(s)} {
		for i := 0; i+piece <= len(testAPIKey); i++ {
			if p := testAPIKey[i : i+piece]; strings.Contains(s, p) {
				return p
			}
		}
	}
	return ""
}

// echoingAtoms stands in front of the simulator and, while echo is set,
// answers every call with it.
func echoingAtoms(t *testing.T, h *harness) *atomic.Pointer[func(http.ResponseWriter)] {
	var echo atomic.Pointer[func(http.ResponseWriter)]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f := echo.Load(); f != nil {
			(*f)(w)
			return
		}
		h.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	h.simURL = srv.URL
	return &echo
}

func answer(w http.ResponseWriter, status int, contentType, body string, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// TestKeyEchoNeverReachesSlackOrLogs: whatever shape Atoms echoes the API
// key in, and wherever in its answer, the user's reply and every log line
// hold neither the key nor a piece of it of 8 bytes or more.
func TestKeyEchoNeverReachesSlackOrLogs(t *testing.T) {
	shapes := []struct{ name, wire string }{
		{"raw", testAPIKey},
		{"json escaped", `\u0073` + testAPIKey[1:]},
		{"percent encoded", "%73" + testAPIKey[1:]},
		{"percent encoded whole", strings.ToUpper(strings.NewReplacer("%", "%25").Replace(url.PathEscape(testAPIKey)))},
		{"query escaped bearer", url.QueryEscape("Bearer " + testAPIKey)},
		{"prefix only", testAPIKey[:12]},
		{"suffix only", testAPIKey[len(testAPIKey)-12:]},
	}
	places := []struct {
		name   string
		answer func(w http.ResponseWriter, echo string)
	}{
		{"400 error message", func(w http.ResponseWriter, echo string) {
			answer(w, 400, "application/json", `{"status":false,"errors":["Invalid token `+echo+`"]}`)
		}},
		{"400 error object", func(w http.ResponseWriter, echo string) {
			answer(w, 400, "application/json", `{"status":false,"errors":[{"token":"`+echo+`"}]}`)
		}},
		{"401 with request id header", func(w http.ResponseWriter, echo string) {
			answer(w, 401, "application/json", `{"status":false,"errors":["Unauthorized: `+echo+`"]}`, "X-Request-Id", echo)
		}},
		{"409 error type", func(w http.ResponseWriter, echo string) {
			answer(w, 409, "application/json", `{"status":false,"errors":["conflict"],"error_type":"`+echo+`"}`)
		}},
		{"500 html page", func(w http.ResponseWriter, echo string) {
			answer(w, 500, "text/html", "<html><body><pre>Error: Authorization: Bearer "+echo+"\n    at /srv/app/auth.js:41</pre></body></html>")
		}},
		{"400 text cut inside the echo", func(w http.ResponseWriter, echo string) {
			answer(w, 400, "text/plain", strings.Repeat("x", 187)+" "+echo+" trailing")
		}},
	}
	eachBackend(t, func(t *testing.T, b backend) {
		logs := &logRecorder{}
		h := newHarness(t, b)
		echo := echoingAtoms(t, h)
		r := h.loggedReplica("echoed", logs, 0)
		for _, place := range places {
			for _, shape := range shapes {
				t.Run(place.name+"/"+shape.name, func(t *testing.T) {
					h.t = t
					f := func(w http.ResponseWriter) { place.answer(w, shape.wire) }
					echo.Store(&f)
					defer echo.Store(nil)
					before := len(h.ephemeralTo(alice))
					rec := r.command(alice, "agents")
					replies := h.ephemeralTo(alice)
					if len(replies) == before {
						t.Fatalf("no reply; ack %s", rec.Body)
					}
					for _, m := range h.state().Messages {
						if p := keyPiece(m.Text + string(m.Blocks)); p != "" {
							t.Errorf("Slack message holds %q of the key: %s", p, m.Text)
						}
					}
					if p := keyPiece(rec.Body.String()); p != "" {
						t.Errorf("ack holds %q of the key: %s", p, rec.Body)
					}
					if p := keyPiece(logs.all()); p != "" {
						t.Errorf("log holds %q of the key", p)
					}
					if got := replies[len(replies)-1]; strings.Contains(got, "/srv/app") || strings.Contains(got, "<pre>") {
						t.Errorf("the reply shows Atoms' raw body: %s", got)
					}
				})
			}
		}
		if !strings.Contains(logs.all(), "agents failed") {
			t.Errorf("the failures were not logged; the log check proves nothing:\n%s", logs.all())
		}
	})
}
