package render

import (
	"fmt"
	"time"
)

// Timestamp renders t as a full date and time in each reader's own time
// zone ("Dec 5, 2026 at 9:41 AM", "today at …"); clients that cannot format
// it show the UTC fallback ("2026-12-05 09:41 UTC").
func Timestamp(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// Count is n with the noun in the number it needs: "1 agent", "4 agents".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// NoteAt is a thread note about a step that happened at t: the note, and
// under it the full date and time of the step (the reply's own time may be
// later, when a note is retried).
func NoteAt(mrkdwn string, t time.Time) Message {
	m := Note(mrkdwn)
	if !t.IsZero() {
		m.Blocks = append(m.Blocks, contextBlock(Timestamp(t)))
	}
	return m
}
