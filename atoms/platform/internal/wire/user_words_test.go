package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/platform"
)

// TestUserWordsHoldNoInternals: what users are told of a failed call
// (platform.Explain) is the status and a known message, never an upstream
// body, a dial error, an address or a Go type; the detail stays in the
// error's chain, for the log.
func TestUserWordsHoldNoInternals(t *testing.T) {
	internals := []string{"10.0.3.7", "6379", "dial tcp", "panic", "goroutine", "*atoms.", "json:", "<html", "stack", "/srv/app"}
	api := func(status int, body string, msgs ...string) error {
		return &atoms.APIError{Method: "GET", Path: "/agent/{id}", Status: status, Body: body, Messages: msgs}
	}
	dial := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 3, 7), Port: 6379}, Err: errors.New("connect: connection refused")}
	cases := []struct {
		name string
		err  error
		want []string // in the user's words
	}{
		{"500 with a stack trace body", api(500, "panic: runtime error at /srv/app/main.go:12 goroutine 1 [running] 10.0.3.7:6379"), []string{"Atoms is unavailable", "HTTP 500"}},
		{"502 proxy page", api(502, "<html><body>bad gateway from 10.0.3.7</body></html>"), []string{"Atoms is unavailable", "HTTP 502"}},
		{"500 envelope with internals", api(500, "", "dial tcp 10.0.3.7:6379: connection refused"), []string{"HTTP 500"}},
		{"html 404 of an unknown route", api(404, "Cannot GET /srv/app/agent"), []string{"HTTP 404"}},
		{"401 echoing a header", api(401, "", "Unauthorized: Bearer stack-of-secrets"), []string{"HTTP 401"}},
		{"network", &atoms.NetworkError{Method: "GET", Path: "/agent/{id}", Err: dial}, []string{"Atoms is unavailable", "could not be reached"}},
		{"timeout", &atoms.NetworkError{Method: "GET", Path: "/agent/{id}", Err: context.DeadlineExceeded}, []string{"no answer in time"}},
		{"undecodable success", fmt.Errorf("atoms: GET /agent/{id}: decoding response: %w", errors.New("json: cannot unmarshal string into Go struct field *atoms.Agent")), []string{"could not be read"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, f := range []func(error) error{Read, Write} {
				got := platform.Explain(f(tc.err))
				if i == 1 {
					// A write without a clear answer may have acted.
					got = strings.Replace(got, "Atoms did not answer clearly", "Atoms is unavailable", 1)
				}
				for _, s := range internals {
					if strings.Contains(got, s) {
						t.Errorf("user words %q hold %q", got, s)
					}
				}
				for _, w := range tc.want {
					if !strings.Contains(got, w) {
						t.Errorf("user words %q lack %q", got, w)
					}
				}
				if !errors.Is(f(tc.err), tc.err) {
					t.Error("the detail is gone from the chain")
				}
			}
		})
	}
	// A 4xx refusal keeps Atoms' own words, on one line.
	if got := platform.Explain(Read(api(400, "", "Agent is archived\nand cannot initiate calls"))); got != "Agent is archived and cannot initiate calls" {
		t.Errorf("4xx refusal = %q", got)
	}
	if got := platform.Explain(errors.New("state: dial tcp 10.0.3.7:6379: refused")); got != platform.Unexplained {
		t.Errorf("a non-platform error explained as %q", got)
	}
}
