package atoms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// envelope is {"status":bool,"data":…} or {"status":false,"errors":[…],
// "error_type"?}. The looser members (message, error) cover the 429 bodies
// shown in the docs. Everything but data stays raw so an odd error body
// cannot make the whole decode fail.
type envelope struct {
	Status    json.RawMessage `json:"status"`
	Data      any             `json:"data"`
	Errors    json.RawMessage `json:"errors"`
	ErrorType json.RawMessage `json:"error_type"`
	Message   json.RawMessage `json:"message"`
	Error     json.RawMessage `json:"error"`
}

// skipData discards the data member without building a value for it.
type skipData struct{}

func (*skipData) UnmarshalJSON([]byte) error { return nil }

// decode turns one answer into nil (decoding data into out) or an error.
// Only a 2xx with "status":true succeeds.
func (c *Client) decode(cl *call, resp *http.Response, raw []byte, out any) error {
	ok2xx := resp.StatusCode >= 200 && resp.StatusCode < 300
	env := envelope{Data: &skipData{}}
	var conflict *conflictBody
	switch {
	case ok2xx && out != nil:
		// One pass: data is decoded straight into out.
		env.Data = out
	case resp.StatusCode == http.StatusConflict:
		// A draft conflict may carry its details in data.conflict.
		conflict = &conflictBody{}
		env.Data = conflict
	}
	err := json.Unmarshal(raw, &env)
	if err == nil && ok2xx && string(env.Status) == "true" {
		return nil
	}
	apiErr := &APIError{
		Method:     cl.method,
		Path:       cl.route,
		Status:     resp.StatusCode,
		RequestID:  c.requestID(resp.Header),
		Deprecated: deprecated(resp.Header.Get("Deprecation")),
	}
	if err != nil {
		if !json.Valid(raw) {
			// The HTML 404 of an unknown route, a proxy's 502 page, …
			apiErr.Body = c.excerpt(raw)
			return apiErr
		}
		if ok2xx && !statusFalse(raw) {
			// A success whose data does not have the documented shape.
			return fmt.Errorf("atoms: %s: decoding response: %w", cl.endpoint(), err)
		}
		// An error answer whose data did not fit out: read the error
		// members alone.
		conflict = nil
		env = envelope{Data: &skipData{}}
		if json.Unmarshal(raw, &env) != nil {
			apiErr.Body = c.excerpt(raw)
			return apiErr
		}
	}
	apiErr.Messages = c.messages(env)
	apiErr.Type = c.redact(jsonString(env.ErrorType))
	apiErr.conflict = conflict.draftConflict()
	if len(apiErr.Messages) == 0 && ok2xx && len(env.Status) == 0 {
		apiErr.Messages = []string{"answer has no status envelope"}
	}
	return apiErr
}

// statusFalse reports whether a JSON object body says "status": false.
func statusFalse(raw []byte) bool {
	var s struct {
		Status json.RawMessage `json:"status"`
	}
	return json.Unmarshal(raw, &s) == nil && string(s.Status) == "false"
}

// messages collects the human-readable texts of an error envelope: errors as
// strings (or objects with a message), else message, else error.
func (c *Client) messages(env envelope) []string {
	var out []string
	var list []json.RawMessage
	switch {
	case json.Unmarshal(env.Errors, &list) == nil:
		for _, m := range list {
			if s := messageText(m); s != "" {
				out = append(out, c.redact(s))
			}
		}
	case len(env.Errors) > 0:
		if s := messageText(env.Errors); s != "" {
			out = append(out, c.redact(s))
		}
	}
	if len(out) == 0 {
		for _, m := range []json.RawMessage{env.Message, env.Error} {
			if s := messageText(m); s != "" {
				out = append(out, c.redact(s))
				break
			}
		}
	}
	return out
}

// messageText renders one error item: a string as is, an object by its
// message member, anything else as compact JSON.
func messageText(m json.RawMessage) string {
	m = bytes.TrimSpace(m)
	if len(m) == 0 || string(m) == "null" {
		return ""
	}
	if s := jsonString(m); s != "" || (len(m) > 0 && m[0] == '"') {
		return s
	}
	var obj struct {
		Message json.RawMessage `json:"message"`
	}
	if m[0] == '{' && json.Unmarshal(m, &obj) == nil {
		if s := jsonString(obj.Message); s != "" {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, m) != nil {
		return ""
	}
	return buf.String()
}

// jsonString returns the string value of m, or "" when m is not a string.
func jsonString(m json.RawMessage) string {
	var s string
	if len(m) == 0 || m[0] != '"' || json.Unmarshal(m, &s) != nil {
		return ""
	}
	return s
}

// deprecated reads the Deprecation header: "true" or a date both mean yes.
func deprecated(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && !strings.EqualFold(v, "false")
}

// maxExcerpt is the length of the Body excerpt of a non-JSON answer.
const maxExcerpt = 200

// maxExcerptScan is how much of a body the excerpt reads. A key that
// straddles it leaves a piece that the redaction still recognises.
const maxExcerptScan = 16 << 10

// excerpt makes a short, single-line text of a non-JSON body for errors and
// logs: decoded and redacted first (tags dropped, so "<pre>Cannot GET
// /x</pre>" reads "Cannot GET /x", whitespace collapsed), cut at maxExcerpt
// bytes on a rune boundary last, so no cut hides part of a key from the
// redaction.
func (c *Client) excerpt(raw []byte) string {
	if len(raw) > maxExcerptScan {
		raw = raw[:maxExcerptScan]
	}
	// Redacted before the tags go (a tag may split a key) and after.
	s := c.redact(collapse(c.redact(string(raw))))
	if len(s) > maxExcerpt {
		cut := maxExcerpt
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// collapse drops tags and control characters and collapses whitespace.
func collapse(s string) string {
	var b strings.Builder
	inTag, space := false, false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			space = true
		case inTag:
		case r == utf8.RuneError || r < ' ' || r == ' ' || r == 0x7f:
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maxRequestID bounds the x-request-id kept for support tickets.
const maxRequestID = 100

// requestID is the answer's x-request-id when it looks like one: it is
// shown to users, so anything else (an echo, a key, markup) is dropped.
func (c *Client) requestID(h http.Header) string {
	id := strings.TrimSpace(h.Get("X-Request-Id"))
	if id == "" || len(id) > maxRequestID || c.cred.red.Contains(id) {
		return ""
	}
	for i := 0; i < len(id); i++ {
		switch ch := id[i]; {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9', ch == '-', ch == '_', ch == '.', ch == ':':
		default:
			return ""
		}
	}
	return id
}
