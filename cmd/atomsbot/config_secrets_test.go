package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// A password in SLACK_API_URL or ATOMS_BASE_URL (a proxy's basic auth) is a
// secret like REDIS_URL's: the startup line and any %v of the config must
// not print it, and the log redactor must know it.
func TestConfigURLPasswordsAreSecrets(t *testing.T) {
	tests := []struct {
		name, password string
		cfg            Config
	}{
		{"SLACK_API_URL", "slack-proxy-pw", Config{SlackAPIURL: "https://bot:slack-proxy-pw@slack-proxy.internal/api/"}},
		{"ATOMS_BASE_URL", "atoms-proxy-pw", Config{AtomsBaseURL: "https://svc:atoms-proxy-pw@atoms-proxy.internal/atoms/v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", tt.cfg)
			for name, out := range map[string]string{"%v": fmt.Sprintf("%v", tt.cfg), "%#v": fmt.Sprintf("%#v", tt.cfg), "slog": logged.String()} {
				if strings.Contains(out, tt.password) {
					t.Errorf("%s prints the password: %s", name, out)
				}
				if !strings.Contains(out, "proxy.internal") {
					t.Errorf("%s no longer names the host: %s", name, out)
				}
			}
			if !slices.Contains(tt.cfg.Secrets(), tt.password) {
				t.Errorf("Secrets() = %q lacks the URL's password", tt.cfg.Secrets())
			}
		})
	}
}
