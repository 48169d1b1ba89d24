package bot

import (
	"strings"
	"testing"

	"github.com/slack-go/slack/socketmode"
)

// TestTransportsLogAtTheSameLevel: the same event is logged at the same
// level whether it came over HTTP or Socket Mode: a routine ack at DEBUG, a
// payload atomsbot cannot use at INFO.
func TestTransportsLogAtTheSameLevel(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, tc := range []struct {
			name, level string
			user        string // "" makes the command malformed
		}{
			{"ack", "DEBUG", alice},
			{"malformed payload", "INFO", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t, b)
				httpLogs, _ := h.observe()
				body := h.commandBody(alice, "help")
				if tc.user == "" {
					body = strings.Replace(body, "user_id=", "user=", 1)
				}
				h.bot.post("/slack/commands", body)

				rig := newSocketRig(h)
				socketLogs := &logRecorder{}
				rig.sm.o.Logger = socketLogs.logger()
				sc := rig.slashCommand(alice, "help")
				sc.UserID = tc.user
				req := rig.envelope(socketmode.RequestTypeSlashCommands, sc)
				rig.sh.DispatchEvent(socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc, Request: req})
				rig.acks.next(t)
				rig.metrics.finished(t)

				for transport, logs := range map[string]*logRecorder{"http": httpLogs, "socket": socketLogs} {
					line := requestLine(logs)
					if !strings.Contains(line, "level="+tc.level+" ") || !strings.Contains(line, "transport="+transport) {
						t.Errorf("%s: %q, want level %s\n%s", transport, line, tc.level, logs.all())
					}
				}
			})
		}
	})
}

// requestLine is the "slack request" line of a log.
func requestLine(l *logRecorder) string {
	for _, line := range strings.Split(l.all(), "\n") {
		if strings.Contains(line, `msg="slack request"`) {
			return line
		}
	}
	return ""
}
