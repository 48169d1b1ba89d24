package bot

import (
	"context"
	"strconv"
	"testing"

	"github.com/atomsbot/atomsbot/bot/render"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// BenchmarkSocketPayload is the per-envelope cost of the 20 KB check.
func BenchmarkSocketPayload(b *testing.B) {
	ack := ephemeralAck(render.Note(":hourglass_flowing_sand: Publishing Refund policy update of support-concierge…"))
	b.ReportAllocs()
	for b.Loop() {
		if _, large, err := socketPayload("env-1", ack); err != nil || large {
			b.Fatal(large, err)
		}
	}
}

// BenchmarkSocketModeCommand is one `/atoms help` envelope through the
// transport: handler, size check, ack, metrics and the log line.
func BenchmarkSocketModeCommand(b *testing.B) {
	sm := NewSocketMode(&Handler{}, SocketOptions{Ack: func(context.Context, string, any) error { return nil }})
	sm.command = func(context.Context, slack.SlashCommand) Ack {
		return ephemeralAck(render.Note("usage: /atoms help"))
	}
	sc := slack.SlashCommand{Command: "/atoms", Text: "help", UserID: "U1", ChannelID: "C1"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		sm.onCommand(&socketmode.Event{Type: socketmode.EventTypeSlashCommand, Data: sc,
			Request: &socketmode.Request{EnvelopeID: "env-" + strconv.Itoa(i)}})
	}
}
