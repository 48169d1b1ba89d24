// Package metrics is atomsbot's Prometheus instrumentation. One *Metrics
// implements the observer interfaces of the Atoms client, the Slack adapter,
// the front door and the promotion engine.
package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/atomsbot/atomsbot/state"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"
)

// Metrics holds every collector. Create it with New.
type Metrics struct {
	reg *prometheus.Registry

	slackRequests     *prometheus.CounterVec
	ackLatency        *prometheus.HistogramVec
	signatureFailures *prometheus.CounterVec
	poolDepth         prometheus.Gauge
	poolRejections    prometheus.Counter
	atomsCalls        *prometheus.CounterVec
	atomsLatency      *prometheus.HistogramVec
	atomsRetries      *prometheus.CounterVec
	rateWait          prometheus.Histogram
	promotions        *prometheus.CounterVec
	checkWait         prometheus.Histogram
	pollerLag         prometheus.Histogram
	slackAPICalls     *prometheus.CounterVec
	slackRateLimited  *prometheus.CounterVec
	socketConnected   prometheus.Gauge
	atomsModel        *prometheus.GaugeVec
}

// New registers atomsbot's collectors (and the Go/process ones) on a fresh registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{reg: reg}
	m.slackRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_slack_requests_total",
		Help: "Slack requests by route and outcome (ok, unauthorized, too_large, malformed, …)."}, []string{"route", "outcome"})
	m.ackLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "atomsbot_slack_ack_seconds",
		Help: "Time to acknowledge a Slack request.", Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 3}}, []string{"route"})
	m.signatureFailures = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_slack_signature_failures_total",
		Help: "Slack requests refused by signature verification, by reason."}, []string{"reason"})
	m.poolDepth = prometheus.NewGauge(prometheus.GaugeOpts{Name: "atomsbot_worker_queue_depth",
		Help: "Jobs waiting for a worker after their ack."})
	m.poolRejections = prometheus.NewCounter(prometheus.CounterOpts{Name: "atomsbot_worker_rejections_total",
		Help: "Requests answered 'busy' because the worker pool was full."})
	m.atomsCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_atoms_calls_total",
		Help: "Atoms API calls by endpoint and HTTP status (0: network error)."}, []string{"endpoint", "status"})
	m.atomsLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "atomsbot_atoms_call_seconds",
		Help: "Atoms API call duration per attempt.", Buckets: prometheus.DefBuckets}, []string{"endpoint"})
	m.atomsRetries = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_atoms_retries_total",
		Help: "Retried Atoms API calls by endpoint."}, []string{"endpoint"})
	m.rateWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "atomsbot_atoms_rate_limiter_wait_seconds",
		Help: "Time Atoms calls waited for the client-side rate limiter.", Buckets: []float64{0, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}})
	m.promotions = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_promotions_total",
		Help: "Promotion transitions by the state entered."}, []string{"state"})
	m.checkWait = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "atomsbot_security_check_wait_seconds",
		Help: "Time from publish to a passed security check.", Buckets: []float64{1, 2, 4, 6, 8, 10, 15, 30, 60, 120, 300, 600}})
	m.pollerLag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "atomsbot_poller_lag_seconds",
		Help: "How late due items were picked up by the poller.", Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60}})
	m.slackAPICalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_slack_api_calls_total",
		Help: "Slack Web API calls by method and outcome (ok, error, rate_limited)."}, []string{"method", "outcome"})
	m.slackRateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "atomsbot_slack_api_rate_limited_total",
		Help: "Slack Web API 429 answers by method."}, []string{"method"})
	m.socketConnected = prometheus.NewGauge(prometheus.GaugeOpts{Name: "atomsbot_slack_socket_connected",
		Help: "1 while the Socket Mode WebSocket is connected (always 0 in HTTP mode)."})
	m.atomsModel = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "atomsbot_atoms_versioning_model",
		Help: "1 for the Atoms versioning model in use (v1: drafts + versions, v2: branches); none until the first agent was looked at."}, []string{"model"})
	for _, c := range []prometheus.Collector{m.atomsModel, m.socketConnected, m.slackRequests, m.ackLatency, m.signatureFailures, m.poolDepth, m.poolRejections,
		m.atomsCalls, m.atomsLatency, m.atomsRetries, m.rateWait, m.promotions, m.checkWait, m.pollerLag,
		m.slackAPICalls, m.slackRateLimited,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	// Series that alerts watch are created at zero, so a rule like
	// rate(x[5m]) > 0 has a series to evaluate before the first failure.
	for _, reason := range []string{"missing", "stale", "mismatch"} {
		m.signatureFailures.WithLabelValues(reason)
	}
	for _, s := range []state.PromotionState{state.Requested, state.Published, state.Activating, state.Live,
		state.Rejected, state.Cancelled, state.Expired, state.Failed} {
		m.promotions.WithLabelValues(string(s))
	}
	return m
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry exposes the registry (tests gather from it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// ObserveRequest implements bot.Metrics.
func (m *Metrics) ObserveRequest(route, outcome string, d time.Duration) {
	m.slackRequests.WithLabelValues(route, outcome).Inc()
	m.ackLatency.WithLabelValues(route).Observe(d.Seconds())
}

// ObserveSignatureFailure implements bot.Metrics.
func (m *Metrics) ObserveSignatureFailure(reason string) {
	m.signatureFailures.WithLabelValues(reason).Inc()
}

// ObservePool implements bot.Metrics.
func (m *Metrics) ObservePool(depth int, rejected bool) {
	m.poolDepth.Set(float64(depth))
	if rejected {
		m.poolRejections.Inc()
	}
}

// ObserveCall implements atoms.Observer.
func (m *Metrics) ObserveCall(endpoint string, status int, d time.Duration) {
	m.atomsCalls.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	m.atomsLatency.WithLabelValues(endpoint).Observe(d.Seconds())
	m.atomsRetries.WithLabelValues(endpoint) // exposed at zero once the endpoint is used
}

// ObserveRetry implements atoms.Observer.
func (m *Metrics) ObserveRetry(endpoint string) { m.atomsRetries.WithLabelValues(endpoint).Inc() }

// ObserveRateWait implements atoms.Observer.
func (m *Metrics) ObserveRateWait(d time.Duration) { m.rateWait.Observe(d.Seconds()) }

// ObserveTransition implements workflow.Metrics.
func (m *Metrics) ObserveTransition(to state.PromotionState) {
	m.promotions.WithLabelValues(string(to)).Inc()
}

// ObserveCheckWait implements workflow.Metrics.
func (m *Metrics) ObserveCheckWait(d time.Duration) { m.checkWait.Observe(d.Seconds()) }

// ObservePollLag implements workflow.Metrics.
func (m *Metrics) ObservePollLag(d time.Duration) { m.pollerLag.Observe(max(d, 0).Seconds()) }

// ObserveSlackCall implements slackweb.Observer.
func (m *Metrics) ObserveSlackCall(method string, err error) {
	outcome := "ok"
	limited := m.slackRateLimited.WithLabelValues(method) // exposed at zero once the method is used
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	switch {
	case err == nil:
	case errors.As(err, &rl), errors.As(err, &sc) && sc.Code == http.StatusTooManyRequests:
		outcome = "rate_limited"
		limited.Inc()
	default:
		outcome = "error"
	}
	m.slackAPICalls.WithLabelValues(method, outcome).Inc()
}

// ObserveSocketConnected implements bot.SocketMetrics.
func (m *Metrics) ObserveSocketConnected(up bool) {
	if up {
		m.socketConnected.Set(1)
		return
	}
	m.socketConnected.Set(0)
}

// SetAtomsModel records the Atoms versioning model in use ("v1" or "v2").
func (m *Metrics) SetAtomsModel(model string) {
	m.atomsModel.Reset()
	m.atomsModel.WithLabelValues(model).Set(1)
}
