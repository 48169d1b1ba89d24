package atoms

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/internal/redact"
)

// keyPiece is the first piece of testKey of 8 bytes or more found in s,
// as it is or decoded, "" when there is none.
func keyPiece(s string) string {
	const piece = 8
	for _, s := range []string{s, redact.Decode(s)} {
		for i := 0; i+piece <= len(testKey); i++ {
			if p := testKey[i : i+piece]; strings.Contains(s, p) {
				return p
			}
		}
	}
	return ""
}

// echoShapes are the ways an upstream answer may echo the key, as they
// appear on the wire (inside a JSON string where the place is one).
var echoShapes = []struct{ name, wire string }{
	{"raw", testKey},
	{"json escaped", `\u0073` + testKey[1:]},
	{"json escaped twice", `\\u0073` + testKey[1:]},
	{"percent encoded", "%73" + testKey[1:]},
	{"percent encoded whole", percentAll(testKey)},
	{"query escaped bearer", url.QueryEscape("Bearer " + testKey)},
	{"prefix only", testKey[:12]},
	{"suffix only", testKey[len(testKey)-12:]},
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}

// echoPlaces put an echo somewhere in an answer (or in a transport error).
var echoPlaces = []struct {
	name   string
	answer func(w http.ResponseWriter, echo string)
	rt     func(echo string) (*http.Response, error)
}{
	{name: "json error message", answer: func(w http.ResponseWriter, echo string) {
		reply(w, 400, `{"status":false,"errors":["Invalid token `+echo+`"]}`)
	}},
	{name: "json error object", answer: func(w http.ResponseWriter, echo string) {
		reply(w, 400, `{"status":false,"errors":[{"token":"`+echo+`"}]}`)
	}},
	{name: "error_type and request id headers", answer: func(w http.ResponseWriter, echo string) {
		reply(w, 400, `{"status":false,"errors":["refused"],"error_type":"`+echo+`"}`, "X-Request-Id", echo)
	}},
	{name: "html page of a 502", answer: func(w http.ResponseWriter, echo string) {
		reply(w, 502, "<html><body><pre>upstream said: Authorization "+echo+"</pre></body></html>", "Content-Type", "text/html")
	}},
	{name: "text body cut inside the echo", answer: func(w http.ResponseWriter, echo string) {
		// The excerpt is maxExcerpt bytes: the echo straddles its end.
		reply(w, 400, strings.Repeat("x", maxExcerpt-13)+" "+echo+" trailing text", "Content-Type", "text/plain")
	}},
	{name: "markup cut inside the echo", answer: func(w http.ResponseWriter, echo string) {
		// Tags take the first 787 bytes: a cut of the raw body at 800
		// before reading it would end inside the echo.
		reply(w, 400, strings.Repeat("<i>", 262)+"a"+echo+" trailing text", "Content-Type", "text/html")
	}},
	{name: "transport error", rt: func(echo string) (*http.Response, error) {
		return nil, fmt.Errorf("proxy refused request with header %s", echo)
	}},
	{name: "body read error", rt: func(echo string) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: failingBody{errors.New("reset after " + echo)}}, nil
	}},
}

// TestKeyEchoShapesNeverLeak: whatever shape an echo of the key takes and
// wherever it sits, neither the error nor any log line holds the key or a
// piece of it of 8 bytes or more.
func TestKeyEchoShapesNeverLeak(t *testing.T) {
	for _, place := range echoPlaces {
		for _, shape := range echoShapes {
			t.Run(place.name+"/"+shape.name, func(t *testing.T) {
				var logs bytes.Buffer
				base := "https://api.example.test/atoms/v1"
				var hc *http.Client
				if place.rt != nil {
					hc = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) { return place.rt(shape.wire) })}
				} else {
					base = newFakeAPI(t, func(w http.ResponseWriter, _ *http.Request, _ int) { place.answer(w, shape.wire) }).URL()
				}
				c, _ := newTestClient(t, base, func(o *Options) {
					o.HTTPClient = hc
					o.MaxRetries = 1
					o.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				})
				err := getAgent(context.Background(), c)
				if err == nil {
					t.Fatal("want an error")
				}
				var ae *APIError
				errors.As(err, &ae)
				for what, s := range map[string]string{"error": err.Error(), "%+v": fmt.Sprintf("%+v", err), "%#v": fmt.Sprintf("%#v", ae), "log": logs.String()} {
					if p := keyPiece(s); p != "" {
						t.Errorf("%s holds %q of the key: %s", what, p, s)
					}
				}
				if logs.Len() == 0 {
					t.Error("nothing was logged; the log check proves nothing")
				}
			})
		}
	}
}

// TestRequestIDKeptOnlyWhenItLooksLikeOne: the x-request-id is shown to
// users for support tickets, so only an id-shaped value is kept.
func TestRequestIDKeptOnlyWhenItLooksLikeOne(t *testing.T) {
	c, _ := newTestClient(t, "https://api.example.test/atoms/v1", nil)
	cases := []struct {
		in   string
		keep bool
	}{
		{"req_8f2a-01.x:1", true},
		{"  7c41e2b9  ", true},
		{"", false},
		{"<!channel> hi", false},
		{"a b", false},
		{strings.Repeat("a", maxRequestID+1), false},
		{testKey, false},
		{"%73" + testKey[1:], false},
		{"id-" + testKey[:9], false},
	}
	for _, tc := range cases {
		got := c.requestID(http.Header{"X-Request-Id": {tc.in}})
		if (got != "") != tc.keep || (tc.keep && got != strings.TrimSpace(tc.in)) {
			t.Errorf("requestID(%q) = %q, keep %v", tc.in, got, tc.keep)
		}
	}
}
