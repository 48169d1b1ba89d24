package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

// requestIDHeader carries the id that ties a request's log line to its work.
const requestIDHeader = "X-Request-Id"

// withRequestID makes sure every request has an id (a proxy's, when it sent a
// sane one) and echoes it, so the "slack request" log line can be matched to
// what the caller saw.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(requestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
			r.Header.Set(requestIDHeader, id)
		}
		w.Header().Set(requestIDHeader, id)
		next.ServeHTTP(w, r)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	return strings.IndexFunc(id, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')
	}) < 0
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// withoutSlackRoutes hides /slack/* in Socket Mode: Slack does not use them
// then, and without a signing secret they must not be reachable at all.
func withoutSlackRoutes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/slack/") {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
