package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// RedisMemory as REDIS_URL runs an embedded in-process Redis: one replica,
// nothing survives a restart. It must be asked for; an empty URL is an error.
const RedisMemory = "memory"

// placeholder starts every value of the Kubernetes Secret template that must
// be replaced before the template is applied.
const placeholder = "REPLACE-ME"

// env is the environment as envconfig reads it. Every field is a string so
// that reading never stops at the first bad value: validate converts them and
// names every missing or malformed variable at once.
type env struct {
	ListenAddr           string `envconfig:"LISTEN_ADDR" default:":3000" desc:"HTTP listen address"`
	SigningSecret        string `envconfig:"SLACK_SIGNING_SECRET" desc:"Slack signing secret; required for HTTP mode"`
	BotToken             string `envconfig:"SLACK_BOT_TOKEN" desc:"Slack bot token (xoxb-…); required"`
	AppToken             string `envconfig:"SLACK_APP_TOKEN" desc:"Slack app-level token (xapp-…); when set, Socket Mode replaces the HTTP endpoints"`
	SlackAPIURL          string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/" desc:"Slack Web API base URL"`
	APIKey               string `envconfig:"SMALLEST_API_KEY" desc:"Smallest AI API key; required"`
	AtomsBaseURL         string `envconfig:"ATOMS_BASE_URL" default:"https://api.smallest.ai/atoms/v1" desc:"Atoms API base URL"`
	AtomsRPS             string `envconfig:"ATOMS_RPS" default:"5" desc:"client-side rate limit for all Atoms calls of one process (requests/second)"`
	AtomsAPI             string `envconfig:"ATOMS_API" default:"auto" desc:"Atoms versioning model: auto (detect it), v1 (drafts + versions) or v2 (branch model)"`
	RedisURL             string `envconfig:"REDIS_URL" desc:"redis:// or rediss:// URL; required (memory: an embedded in-process Redis for a one-replica trial, lost on restart)"`
	ApprovalsRequired    string `envconfig:"APPROVALS_REQUIRED" default:"1" desc:"distinct approvals needed before activation"`
	Approvers            string `envconfig:"APPROVERS" desc:"comma-separated Slack user ids allowed to approve; empty: anyone except the requester"`
	AllowSelfApproval    string `envconfig:"ALLOW_SELF_APPROVAL" default:"false" desc:"whether the requester's own approval counts"`
	ApprovalTTL          string `envconfig:"APPROVAL_TTL" default:"24h" desc:"a promotion not approved by then expires (Go duration)"`
	PollInterval         string `envconfig:"POLL_INTERVAL" default:"1s" desc:"base interval of the security-check poller (Go duration)"`
	SecurityCheckTimeout string `envconfig:"SECURITY_CHECK_TIMEOUT" default:"10m" desc:"give up waiting for a security check (Go duration)"`
	TestCallsPerHour     string `envconfig:"TEST_CALLS_PER_HOUR" default:"5" desc:"test calls (Call me, /atoms call) one Slack user may place per hour"`
	LogLevel             string `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error (debug adds one line per Atoms API attempt)"`
	MaxConnections       string `envconfig:"MAX_CONNECTIONS" default:"256" desc:"HTTP connections served at once; more wait to be accepted (bounds memory under a connection flood)"`
	DashboardURL         string `envconfig:"ATOMS_DASHBOARD_URL" desc:"https base URL of agent pages in the Atoms dashboard, to which the approval request appends /agentId for its link; empty: no link"`
}

// defaultMaxConnections is MAX_CONNECTIONS's default.
const defaultMaxConnections = 256

// Config is the validated configuration. It holds secrets: its String and
// LogValue print them redacted.
type Config struct {
	ListenAddr           string
	SigningSecret        string
	BotToken             string
	AppToken             string
	SlackAPIURL          string
	APIKey               string
	AtomsBaseURL         string
	AtomsRPS             float64
	AtomsAPI             string // "auto", "v1" or "v2"
	RedisURL             string
	ApprovalsRequired    int
	Approvers            []string
	AllowSelfApproval    bool
	ApprovalTTL          time.Duration
	PollInterval         time.Duration
	SecurityCheckTimeout time.Duration
	TestCallsPerHour     int
	LogLevel             slog.Level
	MaxConnections       int
	DashboardURL         string
}

// SocketMode reports whether Slack is reached over Socket Mode.
func (c Config) SocketMode() bool { return c.AppToken != "" }

// Secrets returns every secret value of c (tokens, keys, URL
// passwords), for the log redactor.
func (c Config) Secrets() []string {
	var out []string
	for _, s := range []string{c.SigningSecret, c.BotToken, c.AppToken, c.APIKey,
		urlPassword(c.RedisURL), urlPassword(c.SlackAPIURL), urlPassword(c.AtomsBaseURL)} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// urlPassword is the password of a URL's user info (Redis's, or a proxy's
// basic auth in an API URL), "" when there is none.
func urlPassword(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// String describes c with its secrets replaced by whether they are set, so a
// stray %v never prints a token.
func (c Config) String() string {
	set := func(s string) string {
		if s == "" {
			return "unset"
		}
		return "set"
	}
	redis := "embedded"
	if c.RedisURL != RedisMemory {
		redis = redactURL(c.RedisURL)
	}
	return fmt.Sprintf("listen=%s socket_mode=%t slack_api=%s atoms=%s atoms_api=%s atoms_rps=%g redis=%s approvals=%d approvers=%d self_approval=%t ttl=%s poll=%s check_timeout=%s test_calls_per_hour=%d max_connections=%d signing_secret=%s bot_token=%s app_token=%s api_key=%s",
		c.ListenAddr, c.SocketMode(), redactURL(c.SlackAPIURL), redactURL(c.AtomsBaseURL), c.AtomsAPI, c.AtomsRPS, redis, c.ApprovalsRequired, len(c.Approvers),
		c.AllowSelfApproval, c.ApprovalTTL, c.PollInterval, c.SecurityCheckTimeout, c.TestCallsPerHour, c.MaxConnections,
		set(c.SigningSecret), set(c.BotToken), set(c.AppToken), set(c.APIKey))
}

// GoString keeps %#v as safe as %v.
func (c Config) GoString() string { return "Config{" + c.String() + "}" }

// LogValue implements slog.LogValuer with the same redaction as String.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// redactURL drops the user info of a URL (a Redis password, or a proxy's,
// lives there).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	if u.User == nil {
		return raw // unchanged: String() would re-encode it
	}
	u.User = url.User("redacted")
	return u.String()
}

// ConfigError lists every problem with the environment.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "configuration: " + strings.Join(e.Problems, "; ")
}

// loadConfig reads and validates the environment.
func loadConfig() (Config, error) {
	var raw env
	if err := envconfig.Process("", &raw); err != nil {
		return Config{}, err
	}
	raw.applyDefaults()
	return raw.validate()
}

// applyDefaults treats a variable that is set but empty like an unset one:
// a blank entry in a ConfigMap should not turn "24h" into a parse error.
func (r *env) applyDefaults() {
	v := reflect.ValueOf(r).Elem()
	for i := range v.NumField() {
		if def := v.Type().Field(i).Tag.Get("default"); def != "" && strings.TrimSpace(v.Field(i).String()) == "" {
			v.Field(i).SetString(def)
		}
	}
}

func (r env) validate() (Config, error) {
	var probs []string
	named := map[string]bool{}
	bad := func(name, why string) { // the first problem of a variable is enough
		if !named[name] {
			named[name] = true
			probs = append(probs, name+" "+why)
		}
	}
	c := Config{
		ListenAddr: r.ListenAddr, SigningSecret: r.SigningSecret, BotToken: r.BotToken, AppToken: r.AppToken,
		SlackAPIURL: r.SlackAPIURL, APIKey: r.APIKey, AtomsBaseURL: r.AtomsBaseURL, RedisURL: r.RedisURL,
		AtomsAPI: strings.ToLower(strings.TrimSpace(r.AtomsAPI)),
	}
	for _, v := range []struct{ name, val string }{{"SLACK_SIGNING_SECRET", c.SigningSecret}, {"SLACK_BOT_TOKEN", c.BotToken},
		{"SLACK_APP_TOKEN", c.AppToken}, {"SMALLEST_API_KEY", c.APIKey}, {"REDIS_URL", c.RedisURL}} {
		if strings.HasPrefix(v.val, placeholder) {
			bad(v.name, "still holds the Secret template's placeholder; set the real value")
		}
	}
	switch c.AtomsAPI {
	case "auto", "v1", "v2":
	default:
		bad("ATOMS_API", "must be auto, v1 or v2")
	}
	if c.BotToken == "" {
		bad("SLACK_BOT_TOKEN", "is required")
	} else if !strings.HasPrefix(c.BotToken, "xoxb-") {
		bad("SLACK_BOT_TOKEN", "must be a bot token (xoxb-…)")
	}
	if c.AppToken != "" && !strings.HasPrefix(c.AppToken, "xapp-") {
		bad("SLACK_APP_TOKEN", "must be an app-level token (xapp-…)")
	}
	if c.SigningSecret == "" && c.AppToken == "" {
		bad("SLACK_SIGNING_SECRET", "is required (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	if c.APIKey == "" {
		bad("SMALLEST_API_KEY", "is required")
	}
	if _, port, err := net.SplitHostPort(c.ListenAddr); err != nil || port == "" {
		bad("LISTEN_ADDR", "must be host:port or :port (e.g. :3000)")
	}
	for _, u := range []struct{ name, val string }{{"SLACK_API_URL", c.SlackAPIURL}, {"ATOMS_BASE_URL", c.AtomsBaseURL}} {
		if p, err := url.Parse(u.val); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad(u.name, "must be an http(s) URL")
		}
	}
	switch c.RedisURL {
	case "":
		// An embedded Redis by accident would let each replica keep its own
		// state: two replicas could each publish and activate.
		bad("REDIS_URL", "is required (redis://… or rediss://…; `memory` runs an embedded, non-durable Redis for a one-replica trial)")
	case RedisMemory:
	default:
		// The URL may hold a password: the problem names the variable only.
		if p, err := url.Parse(c.RedisURL); err != nil || (p.Scheme != "redis" && p.Scheme != "rediss") || p.Host == "" {
			bad("REDIS_URL", "must be a redis:// or rediss:// URL (or `memory`)")
		}
	}
	var err error
	if c.AtomsRPS, err = strconv.ParseFloat(r.AtomsRPS, 64); err != nil || !(c.AtomsRPS > 0) || c.AtomsRPS > 1e6 {
		bad("ATOMS_RPS", "must be a positive number")
	}
	if c.TestCallsPerHour, err = strconv.Atoi(r.TestCallsPerHour); err != nil || c.TestCallsPerHour < 1 || c.TestCallsPerHour > 1000 {
		bad("TEST_CALLS_PER_HOUR", "must be a whole number from 1 to 1000")
	}
	if c.MaxConnections, err = strconv.Atoi(r.MaxConnections); err != nil || c.MaxConnections < 1 || c.MaxConnections > 1<<20 {
		bad("MAX_CONNECTIONS", "must be a whole number from 1 to 1048576")
	}
	if c.ApprovalsRequired, err = strconv.Atoi(r.ApprovalsRequired); err != nil || c.ApprovalsRequired < 1 {
		bad("APPROVALS_REQUIRED", "must be a whole number ≥ 1")
	}
	for _, id := range strings.Split(r.Approvers, ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.Approvers = append(c.Approvers, id)
		}
	}
	if len(c.Approvers) > 0 && c.ApprovalsRequired > len(c.Approvers) {
		bad("APPROVALS_REQUIRED", fmt.Sprintf("(%d) exceeds the number of APPROVERS (%d): no promotion could ever be approved", c.ApprovalsRequired, len(c.Approvers)))
	}
	if c.AllowSelfApproval, err = strconv.ParseBool(r.AllowSelfApproval); err != nil {
		bad("ALLOW_SELF_APPROVAL", "must be true or false")
	}
	for _, d := range []struct {
		name string
		raw  string
		dst  *time.Duration
	}{{"APPROVAL_TTL", r.ApprovalTTL, &c.ApprovalTTL}, {"POLL_INTERVAL", r.PollInterval, &c.PollInterval}, {"SECURITY_CHECK_TIMEOUT", r.SecurityCheckTimeout, &c.SecurityCheckTimeout}} {
		if *d.dst, err = time.ParseDuration(d.raw); err != nil || *d.dst <= 0 {
			bad(d.name, "must be a positive Go duration (e.g. 1s, 10m, 24h)")
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(r.LogLevel)); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.DashboardURL = strings.TrimSpace(r.DashboardURL); c.DashboardURL != "" {
		if u, err := url.Parse(c.DashboardURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			bad("ATOMS_DASHBOARD_URL", "must be an https:// URL")
		}
	}
	if len(probs) > 0 {
		return c, &ConfigError{Problems: probs}
	}
	return c, nil
}

// printUsage writes the variable table (name, default, meaning). It prints
// defaults only, never values, so no secret can leak through -h.
func printUsage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tMEANING")
	err := envconfig.Usagef("", &env{}, tw, "{{range .}}{{usage_key .}}\t{{usage_default .}}\t{{usage_description .}}\n{{end}}")
	if err != nil {
		return err
	}
	return errors.Join(tw.Flush())
}
