package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

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
	RedisURL             string `envconfig:"REDIS_URL" desc:"redis:// or rediss:// URL; empty: an embedded in-process Redis (not durable)"`
	ApprovalsRequired    string `envconfig:"APPROVALS_REQUIRED" default:"1" desc:"distinct approvals needed before activation"`
	Approvers            string `envconfig:"APPROVERS" desc:"comma-separated Slack user ids allowed to approve; empty: anyone except the requester"`
	AllowSelfApproval    string `envconfig:"ALLOW_SELF_APPROVAL" default:"false" desc:"whether the requester's own approval counts"`
	ApprovalTTL          string `envconfig:"APPROVAL_TTL" default:"24h" desc:"a promotion not approved by then expires (Go duration)"`
	PollInterval         string `envconfig:"POLL_INTERVAL" default:"1s" desc:"base interval of the security-check poller (Go duration)"`
	SecurityCheckTimeout string `envconfig:"SECURITY_CHECK_TIMEOUT" default:"10m" desc:"give up waiting for a security check (Go duration)"`
}

// Config is the validated configuration.
type Config struct {
	ListenAddr           string
	SigningSecret        string
	BotToken             string
	AppToken             string
	SlackAPIURL          string
	APIKey               string
	AtomsBaseURL         string
	AtomsRPS             float64
	RedisURL             string
	ApprovalsRequired    int
	Approvers            []string
	AllowSelfApproval    bool
	ApprovalTTL          time.Duration
	PollInterval         time.Duration
	SecurityCheckTimeout time.Duration
}

// SocketMode reports whether Slack is reached over Socket Mode.
func (c Config) SocketMode() bool { return c.AppToken != "" }

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
	return raw.validate()
}

func (r env) validate() (Config, error) {
	var probs []string
	bad := func(name, why string) { probs = append(probs, name+" "+why) }
	c := Config{
		ListenAddr: r.ListenAddr, SigningSecret: r.SigningSecret, BotToken: r.BotToken, AppToken: r.AppToken,
		SlackAPIURL: r.SlackAPIURL, APIKey: r.APIKey, AtomsBaseURL: r.AtomsBaseURL, RedisURL: r.RedisURL,
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
	if c.ListenAddr == "" {
		bad("LISTEN_ADDR", "must not be empty")
	}
	for name, u := range map[string]string{"SLACK_API_URL": c.SlackAPIURL, "ATOMS_BASE_URL": c.AtomsBaseURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			bad(name, "must be an http(s) URL")
		}
	}
	if c.RedisURL != "" {
		if p, err := url.Parse(c.RedisURL); err != nil || (p.Scheme != "redis" && p.Scheme != "rediss") {
			bad("REDIS_URL", "must be a redis:// or rediss:// URL")
		}
	}
	var err error
	if c.AtomsRPS, err = strconv.ParseFloat(r.AtomsRPS, 64); err != nil || c.AtomsRPS <= 0 {
		bad("ATOMS_RPS", "must be a positive number")
	}
	if c.ApprovalsRequired, err = strconv.Atoi(r.ApprovalsRequired); err != nil || c.ApprovalsRequired < 1 {
		bad("APPROVALS_REQUIRED", "must be a whole number ≥ 1")
	}
	for _, id := range strings.Split(r.Approvers, ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.Approvers = append(c.Approvers, id)
		}
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
	if len(probs) > 0 {
		return c, &ConfigError{Problems: probs}
	}
	if c.ApprovalsRequired > len(c.Approvers) && len(c.Approvers) > 0 {
		return c, &ConfigError{Problems: []string{fmt.Sprintf("APPROVALS_REQUIRED (%d) exceeds the number of APPROVERS (%d): no promotion could ever be approved", c.ApprovalsRequired, len(c.Approvers))}}
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
