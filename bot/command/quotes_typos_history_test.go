package command

import (
	"errors"
	"strings"
	"testing"
)

func TestSingleQuotesGroupWordsLikeDoubleQuotes(t *testing.T) {
	tests := []struct {
		text string
		want Command
	}{
		{`status 'Hardship options'`, Command{Name: Status, Agent: "Hardship options"}},
		{"status ‘Hardship options’", Command{Name: Status, Agent: "Hardship options"}},
		{`status 'Bob's agent'`, Command{Name: Status, Agent: "Bob's agent"}},
		{"status Bob's", Command{Name: Status, Agent: "Bob's"}},
		{"status Bob’s", Command{Name: Status, Agent: "Bob’s"}},
		{`promote 'Hardship options' 'Refund policy' it's done`, Command{Name: Promote, Agent: "Hardship options", Draft: "Refund policy", Label: "it's done"}},
		{`promote a1 d1 the '90s look`, Command{Name: Promote, Agent: "a1", Draft: "d1", Label: "the '90s look"}},
		{`promote a1 d1 'single label'`, Command{Name: Promote, Agent: "a1", Draft: "d1", Label: "single label"}},
		{`diff 'Hardship options' 'v1' "v2"`, Command{Name: Diff, Agent: "Hardship options", Version: "v1", VersionB: "v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.text, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
			}
		})
	}
}

// TestShortErrorsStandAlone: an unclosed quote and a typo of a subcommand
// are answered in one line, without the usage text; a word that is no
// subcommand's typo still gets the usage text.
func TestShortErrorsStandAlone(t *testing.T) {
	tests := []struct {
		text    string
		oneLine bool
		wantMsg string
	}{
		{`status "Hardship options`, true, "A quote is not closed"},
		{`status 'Hardship options`, true, "A quote is not closed"},
		{"status “Hardship options", true, "A quote is not closed"},
		{`promote "Hardship options d1 label`, true, "A quote is not closed"},
		{`promote 'Hardship options d1 label`, true, "A quote is not closed"},
		{"promte a1 d1", true, "I don't know the command \"promte\" — did you mean `promote`?"},
		{"Stauts a1", true, "did you mean `status`?"},
		{"histroy a1", true, "did you mean `history`?"},
		{"verions a1", true, "did you mean `versions`?"},
		{"dif a1", true, "did you mean `diff`?"},
		{"frobnicate", false, "I don't know the command \"frobnicate\"."},
		{"deploy a1", false, "don't know"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := Parse(tt.text)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %v, want *UsageError", tt.text, err)
			}
			if ue.OneLine != tt.oneLine {
				t.Errorf("OneLine = %v, want %v", ue.OneLine, tt.oneLine)
			}
			if !strings.Contains(ue.Message, tt.wantMsg) {
				t.Errorf("message %q does not say %q", ue.Message, tt.wantMsg)
			}
			if strings.Contains(ue.Message, "\n") {
				t.Errorf("message %q is more than one line", ue.Message)
			}
		})
	}
}

func TestParseHistory(t *testing.T) {
	tests := []struct {
		text     string
		want     Command
		err      string
		quotable bool
	}{
		{"history a1", Command{Name: History, Agent: "a1"}, "", false},
		{"history a1 5", Command{Name: History, Agent: "a1", Count: 5}, "", false},
		{"HISTORY 'Hardship options' 50", Command{Name: History, Agent: "Hardship options", Count: 50}, "", false},
		{"history", Command{}, "needs an agent", false},
		{"history a1 0", Command{}, "n is a number from 1 to 50", false},
		{"history a1 51", Command{}, "n is a number from 1 to 50", false},
		{"history Hardship options", Command{}, "n is a number", true},
		{"history Hardship options 5", Command{}, "Too many arguments", true},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.text, got, err, tt.want)
				}
				return
			}
			var ue *UsageError
			if !errors.As(err, &ue) || !strings.Contains(ue.Message, tt.err) {
				t.Fatalf("Parse(%q) = %+v, %v; want an error with %q", tt.text, got, err, tt.err)
			}
			if ue.Quotable != tt.quotable {
				t.Errorf("Quotable = %v, want %v", ue.Quotable, tt.quotable)
			}
		})
	}
}

func TestWords(t *testing.T) {
	got := Words(`status Hardship  options 'a b'`)
	want := []string{"status", "Hardship", "options", "a b"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Words = %q, want %q", got, want)
	}
	if Words(`status "open`) != nil {
		t.Error("Words of an unclosed quote is not nil")
	}
}

// TestQuotableUsageErrors: a usage error is marked Quotable when the words
// typed may be a name with spaces (the bot then looks the name up), and
// only then.
func TestQuotableUsageErrors(t *testing.T) {
	tests := []struct {
		text     string
		quotable bool
	}{
		{"status Hardship options", true},
		{"edit support Refund policy", true},
		{"edit support draft --from", false},
		{"edit support v3 --from", false},
		{"edit support --from", false},
		{"rollback support", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := Parse(tt.text)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %v, want a usage error", tt.text, err)
			}
			if ue.Quotable != tt.quotable {
				t.Errorf("Quotable = %v, want %v (%s)", ue.Quotable, tt.quotable, ue.Message)
			}
		})
	}
}
