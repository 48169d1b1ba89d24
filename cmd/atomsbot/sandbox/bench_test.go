package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/atomsbot/atomsbot/bot/slackfake"
	"github.com/slack-go/slack"
)

// BenchmarkSnapshot is what every page load and stream (re)start costs: a
// copy of the fake's state encoded for the page, here with 200 messages of
// about 2 kB of blocks each.
func BenchmarkSnapshot(b *testing.B) {
	fake := slackfake.New(slackfake.Options{Now: fixedNow})
	page, err := New(Options{Slack: fake, Secret: "s", BotURL: "http://x", Channel: DemoChannel(), Users: DemoUsers()})
	if err != nil {
		b.Fatal(err)
	}
	blocks, _ := json.Marshal([]slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("diff line\n", 200), false, false), nil, nil)})
	for range 200 {
		if _, err := fake.RecordAck(channelID, "UALICE", "a message", blocks, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(event{Type: "reset", Snapshot: new(page.snapshot())}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign signs a 2 kB interaction body.
func BenchmarkSign(b *testing.B) {
	body := []byte("payload=" + strings.Repeat("x", 2048))
	b.ReportAllocs()
	for b.Loop() {
		_ = sign(testSecret, "1793696400", body)
	}
}
