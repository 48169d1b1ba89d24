package atoms

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryable reports whether an idempotent call should be sent again after
// err: 429, 408 and 5xx answers and network errors. Everything else — 4xx,
// the migration 409, decode failures, a context that ended — is final.
func retryable(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Temporary() && !errors.Is(ae, ErrMigrationRequired)
	}
	return false
}

// Ambiguous reports whether a failed non-idempotent call (fork, publish,
// create, outbound call, config edit) may or may not have taken effect: a
// network error or timeout, a 5xx or a 429. The caller must find out —
// e.g. list versions to see whether the publish created one — before trying
// again. A clear 4xx, a refusal before sending and a success are not ambiguous.
func Ambiguous(err error) bool {
	var ne *NetworkError
	if errors.As(err, &ne) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= 500
	}
	return false
}

// backoff is the wait before retry number attempt+1: the server's
// Retry-After when it gave one, else capped exponential backoff with full
// jitter. Both are capped at MaxBackoff.
func (c *Client) backoff(attempt int, o outcome) time.Duration {
	if o.hasRetryAfter {
		return min(max(o.retryAfter, 0), c.maxBackoff)
	}
	ceiling := c.baseBackoff
	for i := 0; i < attempt && ceiling < c.maxBackoff && ceiling < math.MaxInt64/2; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.maxBackoff)
	return time.Duration(c.jitter() * float64(ceiling))
}

// parseRetryAfter reads Retry-After (delay seconds or an HTTP date) or the
// retry-after-ms some gateways send.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond)), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
		if secs > float64(24*time.Hour/time.Second) {
			secs = float64(24 * time.Hour / time.Second) // keep the conversion finite; the caller caps it anyway
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
