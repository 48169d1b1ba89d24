package atomsim

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"time"
)

// apiError is an error answer in the API's envelope.
type apiError struct {
	status    int
	messages  []string
	errorType string
	header    http.Header
	data      any // the rich draft conflict's data.conflict; nil elsewhere
}

// Error lets the direct-control methods pass an API error along.
func (e *apiError) Error() string { return strings.Join(e.messages, "; ") }

func newErr(status int, msg string) *apiError {
	return &apiError{status: status, messages: []string{msg}}
}

func (e *apiError) withHeader(k, v string) *apiError {
	if e.header == nil {
		e.header = http.Header{}
	}
	e.header.Set(k, v)
	return e
}

// errorBody is the failure envelope. error_type is only present on the
// conflict-style errors that carry one.
type errorBody struct {
	Status    bool     `json:"status"`
	ErrorType string   `json:"error_type,omitempty"`
	Errors    []string `json:"errors"`
	Data      any      `json:"data,omitempty"`
}

type okBody struct {
	Status bool `json:"status"`
	Data   any  `json:"data"`
}

// response is what a route handler produces; ServeHTTP writes it. Buffering
// the whole answer lets the fault injector replace it after the fact.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonBytes(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Express does not HTML-escape; prompts with "<" must come back verbatim.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte(`{"status":false,"errors":["Internal server error"]}`)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func jsonResponse(status int, v any) *response {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	return &response{status: status, header: h, body: jsonBytes(v)}
}

func okResponse(status int, data any) *response {
	return jsonResponse(status, okBody{Status: true, Data: data})
}

func errResponse(e *apiError) *response {
	r := jsonResponse(e.status, errorBody{Status: false, ErrorType: e.errorType, Errors: e.messages, Data: e.data})
	for k, vs := range e.header {
		r.header[k] = vs
	}
	return r
}

// htmlNotFound is Express's finalhandler page for an unmatched route. The
// path is shown under /atoms/v1 whatever the mount point, as the real API
// shows it, and without the query string.
func htmlNotFound(method, relPath string) *response {
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	body := "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot " +
		html.EscapeString(method) + " " + html.EscapeString(apiPrefix+relPath) + "</pre>\n</body>\n</html>\n"
	return &response{status: http.StatusNotFound, header: h, body: []byte(body)}
}

// jsTime renders like a JavaScript Date in JSON: UTC with milliseconds, and
// null when unset (the spec's "date-time|null").
type jsTime time.Time

func (t jsTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + tt.UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// strOrNil is a nullable string: nil for "".
func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
