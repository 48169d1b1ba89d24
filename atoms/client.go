package atoms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/atomsbot/atomsbot/internal/redact"
	"golang.org/x/time/rate"
)

// DefaultBaseURL is the production Atoms API.
const DefaultBaseURL = "https://api.smallest.ai/atoms/v1"

// Defaults applied by New to zero Options fields.
const (
	DefaultRPS         = 5
	DefaultTimeout     = 10 * time.Second
	DefaultMaxRetries  = 4
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
)

// Options configure a Client. Zero values mean the documented default.
type Options struct {
	// BaseURL is the API root, default DefaultBaseURL; a trailing slash is ignored.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer <key>". It never appears in
	// logs or errors. Required.
	APIKey string
	// HTTPClient defaults to a client with dial, TLS and header timeouts.
	// Its own Timeout, if any, applies on top of Options.Timeout.
	HTTPClient *http.Client
	// RPS is the client-side rate limit shared by every call of this Client
	// (every attempt, retries included). Default 5; math.Inf(1) disables it.
	RPS float64
	// Burst is how many calls may go out back to back. Default ceil(RPS):
	// one second's worth, which keeps the average at RPS without making a
	// command that needs three reads wait 400 ms for nothing.
	Burst int
	// Timeout bounds each attempt (request and body). Default 10s.
	Timeout time.Duration
	// MaxRetries is the number of retries of an idempotent call after the
	// first attempt. Default 4; negative disables retries.
	MaxRetries int
	// BaseBackoff and MaxBackoff shape the capped exponential backoff with
	// full jitter: attempt n waits rand[0, min(MaxBackoff, BaseBackoff·2ⁿ)).
	// A Retry-After answer is honoured instead, capped at MaxBackoff.
	// Defaults 500ms and 30s.
	BaseBackoff, MaxBackoff time.Duration
	// Sleep waits for d or until ctx ends. Tests inject one that does not
	// really wait. It is used for backoff and for rate-limit waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the rate limiter's clock; default time.Now. Tests inject the
	// clock their Sleep moves.
	Now func() time.Time
	// Logger gets one debug line per attempt (method, templated path,
	// status, duration). Optional.
	Logger *slog.Logger
	// Observer receives call outcomes for metrics. Optional.
	Observer Observer
}

// Observer receives call outcomes for metrics. endpoint is the templated route,
// e.g. "GET /agent/{id}/versions/{versionId}"; status is 0 for network errors.
// ObserveCall and ObserveRateWait (zero waits included) are called once per
// attempt, so a retried call is observed several times; ObserveRetry once per
// retry. Implementations must be safe for concurrent use.
type Observer interface {
	ObserveCall(endpoint string, status int, d time.Duration)
	ObserveRetry(endpoint string)
	ObserveRateWait(d time.Duration)
}

// Client calls the Atoms API. It is safe for concurrent use; all calls share
// one rate limiter.
type Client struct {
	base        string // scheme://host/path without trailing slash
	cred        *credential
	hc          *http.Client
	limiter     *rate.Limiter
	timeout     time.Duration
	maxRetries  int
	baseBackoff time.Duration
	maxBackoff  time.Duration
	sleep       func(context.Context, time.Duration) error
	log         *slog.Logger
	obs         Observer

	// Hooks for tests in this package; New sets the real ones.
	now    func() time.Time
	jitter func() float64 // in [0, 1)
}

// credential is behind a pointer so that printing a Client with %+v shows an
// address, not the key.
type credential struct {
	key    string
	header string
	red    *redact.Redactor
}

// New returns a Client. It fails on an empty or malformed APIKey and on a
// BaseURL that is not an absolute http(s) URL.
func New(opts Options) (*Client, error) {
	if opts.APIKey == "" {
		return nil, fmt.Errorf("%w: APIKey is empty", ErrInvalidArgument)
	}
	if strings.IndexFunc(opts.APIKey, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
		// Checked here so the HTTP layer never gets the chance to quote it.
		return nil, fmt.Errorf("%w: APIKey contains whitespace or control characters", ErrInvalidArgument)
	}
	base, err := parseBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:        base,
		cred:        &credential{key: opts.APIKey, header: "Bearer " + opts.APIKey, red: redact.New(opts.APIKey)},
		hc:          opts.HTTPClient,
		timeout:     opts.Timeout,
		maxRetries:  opts.MaxRetries,
		baseBackoff: opts.BaseBackoff,
		maxBackoff:  opts.MaxBackoff,
		sleep:       opts.Sleep,
		log:         opts.Logger,
		obs:         opts.Observer,
		now:         opts.Now,
		jitter:      rand.Float64,
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.hc == nil {
		c.hc = defaultHTTPClient()
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.baseBackoff <= 0 {
		c.baseBackoff = DefaultBaseBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxBackoff
	}
	if c.maxBackoff < c.baseBackoff {
		c.maxBackoff = c.baseBackoff
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	rps, burst := opts.RPS, opts.Burst
	if rps <= 0 || math.IsNaN(rps) {
		rps = DefaultRPS
	}
	if burst <= 0 {
		burst = 1
		if !math.IsInf(rps, 1) && rps > 1 {
			burst = int(math.Ceil(rps))
		}
	}
	limit := rate.Limit(rps)
	if math.IsInf(rps, 1) {
		limit = rate.Inf // the package's own "no limit" value, which +Inf is not
	}
	c.limiter = rate.NewLimiter(limit, burst)
	return c, nil
}

func parseBaseURL(s string) (string, error) {
	if s == "" {
		s = DefaultBaseURL
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("%w: BaseURL: %v", ErrInvalidArgument, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: BaseURL %q is not an absolute http(s) URL", ErrInvalidArgument, u.Redacted())
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%w: BaseURL %q has a query or fragment", ErrInvalidArgument, u.Redacted())
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// defaultHTTPClient bounds the phases a per-attempt context cannot see well
// (dial, TLS) and keeps connections to the one host we talk to.
func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 5 * time.Second
	t.ResponseHeaderTimeout = 30 * time.Second
	t.IdleConnTimeout = 90 * time.Second
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}

// sleepCtx waits for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type nopObserver struct{}

func (nopObserver) ObserveCall(string, int, time.Duration) {}
func (nopObserver) ObserveRetry(string)                    {}
func (nopObserver) ObserveRateWait(time.Duration)          {}

// waitRate takes a token from the shared limiter, waiting through c.sleep so
// tests control time. A wait that cannot finish before ctx's deadline is
// refused at once, as rate.Limiter.Wait does.
func (c *Client) waitRate(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := c.now()
	r := c.limiter.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("atoms: rate limiter refused the call")
	}
	d := r.DelayFrom(now)
	c.obs.ObserveRateWait(d)
	if d <= 0 {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
		r.CancelAt(now)
		return fmt.Errorf("atoms: rate limit wait of %v would pass the deadline: %w", d, context.DeadlineExceeded)
	}
	if err := c.sleep(ctx, d); err != nil {
		r.CancelAt(c.now())
		return err
	}
	return nil
}

// redact removes the API key from text that came from the network or from
// lower layers before it reaches an error or a log line: verbatim, escaped
// or encoded, and any piece of it long enough to matter.
func (c *Client) redact(s string) string { return c.cred.red.String(s) }
