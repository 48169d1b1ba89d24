package bot

import (
	"strings"
	"testing"
)

// When Atoms refuses atomsbot's API key, the person who typed the command
// is told what to fix (the key, by its variable name) and gets the request
// id for a support ticket — never the key itself.
func TestRefusedAPIKeyIsExplained(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b, func(c *harnessConfig) { c.sim.APIKey = "a-different-key" })
		for _, text := range []string{"agents", "status " + demoAgent} {
			t.Run(text, func(t *testing.T) {
				h.t = t
				got := h.replyText(text)
				for _, w := range []string{"401", "SMALLEST_API_KEY", "request "} {
					if !strings.Contains(got, w) {
						t.Errorf("/atoms %s: reply lacks %q: %s", text, w, got)
					}
				}
				if strings.Contains(got, testAPIKey) {
					t.Errorf("/atoms %s: reply shows the API key", text)
				}
			})
		}
	})
}
