package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// minimal is the smallest valid HTTP-mode environment.
func minimal() map[string]string {
	return map[string]string{"SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_BOT_TOKEN": testBotToken, "SMALLEST_API_KEY": testAPIKey,
		"REDIS_URL": testRedisURL}
}

// testRedisURL is the Redis of minimal().
const testRedisURL = "redis://redis:6379/0"

func without(base map[string]string, keys ...string) map[string]string {
	out := with(base)
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestConfigProblemsAreAllNamed(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want []string // variables that must be named
	}{
		{"nothing set", nil, []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SMALLEST_API_KEY", "REDIS_URL"}},
		{"only the API key", map[string]string{"SMALLEST_API_KEY": testAPIKey}, []string{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "REDIS_URL"}},
		// An embedded Redis is never chosen by leaving REDIS_URL out.
		{"no REDIS_URL", without(minimal(), "REDIS_URL"), []string{"REDIS_URL"}},
		{"empty REDIS_URL", with(minimal(), "REDIS_URL", " "), []string{"REDIS_URL"}},
		{"connection cap not a number", with(minimal(), "MAX_CONNECTIONS", "many"), []string{"MAX_CONNECTIONS"}},
		{"connection cap too small", with(minimal(), "MAX_CONNECTIONS", "0"), []string{"MAX_CONNECTIONS"}},
		{"every value malformed", map[string]string{
			"LISTEN_ADDR": "3000", "SLACK_SIGNING_SECRET": testSigningSecret, "SLACK_BOT_TOKEN": "xoxp-user-token-secret",
			"SLACK_APP_TOKEN": "xoxb-not-an-app-token", "SLACK_API_URL": "ftp://slack.com/api/", "SMALLEST_API_KEY": testAPIKey,
			"ATOMS_BASE_URL": "api.smallest.ai", "ATOMS_RPS": "fast", "REDIS_URL": "http://:hunter2-password@redis:6379",
			"APPROVALS_REQUIRED": "0", "ALLOW_SELF_APPROVAL": "maybe", "APPROVAL_TTL": "a day",
			"POLL_INTERVAL": "-1s", "SECURITY_CHECK_TIMEOUT": "0", "LOG_LEVEL": "loud", "ATOMS_API": "v3", "TEST_CALLS_PER_HOUR": "0",
			"MAX_CONNECTIONS": "-1",
		}, []string{"MAX_CONNECTIONS", "LISTEN_ADDR", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_API_URL", "ATOMS_BASE_URL", "ATOMS_RPS", "ATOMS_API", "TEST_CALLS_PER_HOUR",
			"REDIS_URL", "APPROVALS_REQUIRED", "ALLOW_SELF_APPROVAL", "APPROVAL_TTL", "POLL_INTERVAL", "SECURITY_CHECK_TIMEOUT", "LOG_LEVEL"}},
		{"more approvals than approvers", with(minimal(), "APPROVERS", "U1,U2", "APPROVALS_REQUIRED", "3"), []string{"APPROVALS_REQUIRED"}},
		{"negative rate", with(minimal(), "ATOMS_RPS", "-5"), []string{"ATOMS_RPS"}},
		{"not-a-number rate", with(minimal(), "ATOMS_RPS", "NaN"), []string{"ATOMS_RPS"}},
		{"dashboard not https", with(minimal(), "ATOMS_DASHBOARD_URL", "javascript:alert(1)"), []string{"ATOMS_DASHBOARD_URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			_, err := loadConfig()
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("loadConfig = %v, want a *ConfigError", err)
			}
			named := map[string]bool{}
			for _, p := range ce.Problems {
				named[strings.Fields(p)[0]] = true
			}
			for _, v := range tc.want {
				if !named[v] {
					t.Errorf("%s not named; problems: %q", v, ce.Problems)
				}
			}
			if len(named) != len(tc.want) {
				t.Errorf("named %d variables, want %d: %q", len(named), len(tc.want), ce.Problems)
			}
			for _, v := range tc.env {
				if strings.Contains(v, "secret") || strings.Contains(v, "password") || v == testAPIKey {
					if strings.Contains(err.Error(), v) {
						t.Errorf("the error echoes a secret value: %v", err)
					}
				}
			}

			// The binary: exit code 2, every variable named on stderr.
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), nil, &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2", code)
			}
			for _, v := range tc.want {
				if !strings.Contains(stderr.String(), v) {
					t.Errorf("stderr does not name %s:\n%s", v, stderr.String())
				}
			}
		})
	}
}

func TestConfigValid(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want func(c *Config)
	}{
		{"defaults", minimal(), func(c *Config) {}},
		{"set but empty means default", with(minimal(), "APPROVAL_TTL", "", "ATOMS_RPS", " ", "LISTEN_ADDR", ""), func(c *Config) {}},
		{"dashboard link", with(minimal(), "ATOMS_DASHBOARD_URL", " https://app.smallest.ai/atoms/agents "), func(c *Config) { c.DashboardURL = "https://app.smallest.ai/atoms/agents" }},
		{"socket mode needs no signing secret", map[string]string{"SLACK_BOT_TOKEN": testBotToken, "SLACK_APP_TOKEN": testAppToken, "SMALLEST_API_KEY": testAPIKey,
			"REDIS_URL": testRedisURL},
			func(c *Config) { c.SigningSecret, c.AppToken = "", testAppToken }},
		{"an embedded Redis when asked for", with(minimal(), "REDIS_URL", "memory"), func(c *Config) { c.RedisURL = RedisMemory }},
		{"everything set", with(minimal(), "LISTEN_ADDR", "127.0.0.1:8080", "SLACK_API_URL", "http://slack.local/api/",
			"ATOMS_BASE_URL", "http://atoms.local/atoms/v1", "ATOMS_RPS", "2.5", "REDIS_URL", "rediss://:pw@redis.internal:6380/2",
			"APPROVALS_REQUIRED", "2", "APPROVERS", " U1, U2 ,,U3 ", "ALLOW_SELF_APPROVAL", "true", "APPROVAL_TTL", "2h",
			"POLL_INTERVAL", "500ms", "SECURITY_CHECK_TIMEOUT", "15m", "LOG_LEVEL", "debug", "ATOMS_API", " V2 ", "TEST_CALLS_PER_HOUR", "12",
			"MAX_CONNECTIONS", "64"), func(c *Config) {
			c.AtomsAPI, c.TestCallsPerHour, c.MaxConnections = "v2", 12, 64
			c.ListenAddr, c.SlackAPIURL, c.AtomsBaseURL, c.AtomsRPS = "127.0.0.1:8080", "http://slack.local/api/", "http://atoms.local/atoms/v1", 2.5
			c.RedisURL, c.ApprovalsRequired, c.Approvers, c.AllowSelfApproval = "rediss://:pw@redis.internal:6380/2", 2, []string{"U1", "U2", "U3"}, true
			c.ApprovalTTL, c.PollInterval, c.SecurityCheckTimeout, c.LogLevel = 2*time.Hour, 500*time.Millisecond, 15*time.Minute, slog.LevelDebug
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, tc.env)
			got, err := loadConfig()
			if err != nil {
				t.Fatalf("loadConfig: %v", err)
			}
			want := Config{
				ListenAddr: ":3000", SigningSecret: testSigningSecret, BotToken: testBotToken, SlackAPIURL: "https://slack.com/api/",
				APIKey: testAPIKey, AtomsBaseURL: "https://api.smallest.ai/atoms/v1", AtomsAPI: "auto", AtomsRPS: 5, ApprovalsRequired: 1,
				ApprovalTTL: 24 * time.Hour, PollInterval: time.Second, SecurityCheckTimeout: 10 * time.Minute, TestCallsPerHour: 5, LogLevel: slog.LevelInfo,
				RedisURL: testRedisURL, MaxConnections: defaultMaxConnections,
			}
			tc.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("config:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := Config{SigningSecret: testSigningSecret, BotToken: testBotToken, AppToken: testAppToken, APIKey: testAPIKey,
		RedisURL: "redis://:hunter2-password@redis:6379/0"}
	secrets := append(append([]string{}, testSecrets...), "hunter2-password")
	if got := c.Secrets(); len(got) != len(secrets) {
		t.Errorf("Secrets() = %d values, want %d", len(got), len(secrets))
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", c)
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"%s":   fmt.Sprintf("%s", c), //lint:ignore S1025 the %s verb itself is what is tested
		"slog": logged.String(),
	} {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s prints a secret: %s", name, out)
			}
		}
		if !strings.Contains(out, "bot_token=set") {
			t.Errorf("%s does not say the bot token is set: %s", name, out)
		}
	}
}

func TestHelpPrintsTheTable(t *testing.T) {
	// Secrets in the environment must not leak into -h.
	setEnv(t, with(minimal(), "SLACK_APP_TOKEN", testAppToken, "REDIS_URL", "redis://:hunter2-password@r:6379"))
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
	out := stderr.String()
	for _, name := range envNames() {
		if !strings.Contains(out, name) {
			t.Errorf("-h does not list %s", name)
		}
	}
	for _, def := range []string{":3000", "https://slack.com/api/", "https://api.smallest.ai/atoms/v1", "24h", "10m"} {
		if !strings.Contains(out, def) {
			t.Errorf("-h does not show the default %s", def)
		}
	}
	for _, s := range append(testSecrets, "hunter2-password") {
		if strings.Contains(out, s) {
			t.Errorf("-h prints a secret value")
		}
	}
}

// TestReadmeConfigTable keeps README.md's table equal to what -h prints: the
// same variables in the same order, with the same defaults and meanings.
func TestReadmeConfigTable(t *testing.T) {
	b, err := os.ReadFile(repoPath("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([A-Z_]+)` \\| (.*?) \\| (.*) \\|$")
	var got []string
	for _, l := range strings.Split(string(b), "\n") {
		if m := row.FindStringSubmatch(l); m != nil {
			def := strings.Trim(m[2], "`")
			if def == "—" {
				def = ""
			}
			got = append(got, m[1]+" | "+def+" | "+m[3])
		}
	}
	var want []string
	typ := reflect.TypeFor[env]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		want = append(want, f.Tag.Get("envconfig")+" | "+f.Tag.Get("default")+" | "+f.Tag.Get("desc"))
	}
	if !slices.Equal(got, want) {
		t.Errorf("README.md's configuration table is out of date.\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
