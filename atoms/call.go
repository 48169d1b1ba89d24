package atoms

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBytes bounds what one answer may make us buffer.
const maxResponseBytes = 16 << 20

// call describes one API operation: how to send it and whether it is safe to
// send again.
type call struct {
	method string
	route  string // templated path for logs, metrics and errors: /agent/{id}
	path   string // the escaped path actually requested
	query  url.Values
	body   any // JSON-encoded when non-nil
	header http.Header

	// idempotent calls are retried on 429/408/5xx/network errors.
	idempotent bool
	// doneOnRetry reports whether an error answered to a retry shows that an
	// earlier, unanswered attempt already did the work (e.g. 409 "already
	// archived" after a timed-out archive).
	doneOnRetry func(*APIError) bool

	// status is the HTTP status of the answer do accepted, for the calls
	// whose meaning depends on it (publish: 200 committed, 202 scanning).
	status int
}

// newCall fills route and path from a template such as
// "/agent/{id}/drafts/{draftId}", one argument per placeholder. An empty
// argument is refused: GET /agent/ with an empty id would list agents instead.
func newCall(method, tmpl string, args ...string) (*call, error) {
	var b strings.Builder
	rest := tmpl
	for i := 0; ; i++ {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := open + strings.IndexByte(rest[open:], '}')
		if i >= len(args) {
			panic("atoms: newCall: too few arguments for " + tmpl)
		}
		if args[i] == "" {
			return nil, fmt.Errorf("%w: %s %s: empty %s", ErrInvalidArgument, method, tmpl, rest[open+1:end])
		}
		b.WriteString(rest[:open])
		b.WriteString(url.PathEscape(args[i]))
		rest = rest[end+1:]
	}
	return &call{method: method, route: tmpl, path: b.String()}, nil
}

func (cl *call) endpoint() string { return cl.method + " " + cl.route }

// outcome is the result of one attempt.
type outcome struct {
	err           error
	status        int
	retryAfter    time.Duration
	hasRetryAfter bool
}

// fetch runs cl and decodes its data into a new T.
func fetch[T any](ctx context.Context, c *Client, cl *call) (*T, error) {
	var v T
	if err := c.do(ctx, cl, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// do runs cl, retrying when it is idempotent, and decodes the envelope's data
// into out (which may be nil).
func (c *Client) do(ctx context.Context, cl *call, out any) error {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return fmt.Errorf("atoms: %s: encoding request: %w", cl.endpoint(), err)
		}
	}
	for attempt := 0; ; attempt++ {
		o := c.attempt(ctx, cl, attempt, body, out)
		if o.err == nil {
			cl.status = o.status
			return nil
		}
		var ae *APIError
		if attempt > 0 && cl.doneOnRetry != nil && errors.As(o.err, &ae) && cl.doneOnRetry(ae) {
			return nil
		}
		if !cl.idempotent || attempt >= c.maxRetries || ctx.Err() != nil || !retryable(o.err) {
			return o.err
		}
		d := c.backoff(attempt, o)
		c.obs.ObserveRetry(cl.endpoint())
		if c.log.Enabled(ctx, slog.LevelDebug) {
			c.log.LogAttrs(ctx, slog.LevelDebug, "atoms retry",
				slog.String("method", cl.method), slog.String("endpoint", cl.route),
				slog.Int("attempt", attempt+1), slog.Duration("delay", d))
		}
		if err := c.sleep(ctx, d); err != nil {
			return fmt.Errorf("%w (gave up retrying after: %w)", err, o.err)
		}
	}
}

// attempt sends cl once: rate limit, per-attempt timeout, decode.
func (c *Client) attempt(ctx context.Context, cl *call, n int, body []byte, out any) outcome {
	if err := c.waitRate(ctx); err != nil {
		return outcome{err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	u := c.base + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, cl.method, u, rd)
	if err != nil {
		return outcome{err: fmt.Errorf("atoms: %s: building request: %s", cl.endpoint(), c.redact(err.Error()))}
	}
	req.Header.Set("Authorization", c.cred.header)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "atomsbot")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range cl.header {
		req.Header[k] = vs
	}

	start := c.now()
	resp, err := c.hc.Do(req)
	if err != nil {
		o := outcome{err: c.networkError(ctx, cl, err)}
		c.finish(ctx, cl, n, start, o, "")
		return o
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	resp.Body.Close()
	o := outcome{status: resp.StatusCode}
	switch {
	case err != nil:
		// The answer broke off: as far as metrics go, there was none.
		o.status = 0
		o.err = c.networkError(ctx, cl, err)
	case len(raw) > maxResponseBytes:
		o.err = fmt.Errorf("atoms: %s: response body over %d bytes", cl.endpoint(), maxResponseBytes)
	default:
		o.err = c.decode(cl, resp, raw, out)
	}
	if o.err != nil {
		o.retryAfter, o.hasRetryAfter = parseRetryAfter(resp.Header, c.now())
	}
	c.finish(ctx, cl, n, start, o, c.requestID(resp.Header))
	return o
}

// finish reports one attempt to the observer and the debug log.
func (c *Client) finish(ctx context.Context, cl *call, n int, start time.Time, o outcome, reqID string) {
	d := c.now().Sub(start)
	c.obs.ObserveCall(cl.endpoint(), o.status, d)
	if !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", cl.method), slog.String("endpoint", cl.route),
		slog.Int("status", o.status), slog.Duration("duration", d), slog.Int("attempt", n+1),
	}
	if reqID != "" {
		attrs = append(attrs, slog.String("request_id", reqID))
	}
	if o.err != nil {
		// Every error built here is already free of the key; redact again
		// in case a lower layer's text slipped through.
		attrs = append(attrs, slog.String("error", c.redact(o.err.Error())))
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, "atoms call", attrs...)
}

// networkError describes a failed exchange without the request URL (the
// url.Error text) and without the key.
func (c *Client) networkError(ctx context.Context, cl *call, err error) error {
	cause := err
	var ue *url.Error
	if errors.As(err, &ue) {
		cause = ue.Err
	}
	text := cause.Error()
	if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		text = fmt.Sprintf("no answer within the %v attempt timeout", c.timeout)
	}
	return &NetworkError{
		Method: cl.method, Path: cl.route, Err: err,
		msg: fmt.Sprintf("atoms: %s %s: %s", cl.method, cl.route, c.redact(text)),
	}
}
