package command

import (
	"reflect"
	"strings"
	"testing"
)

// `edit <agent> --from <version>` names the version a new draft starts from;
// a draft and --from together, or --from without a version, are refused.
func TestParseEditFrom(t *testing.T) {
	tests := []struct {
		text string
		want Command
		err  string
	}{
		{"edit support --from v3", Command{Name: Edit, Agent: "support", From: "v3"}, ""},
		{"edit support --from feature/v2", Command{Name: Edit, Agent: "support", From: "feature/v2"}, ""},
		{"edit support --from 0123456789abcdef01234567", Command{Name: Edit, Agent: "support", From: "0123456789abcdef01234567"}, ""},
		{`edit "Support line" --from v3`, Command{Name: Edit, Agent: "Support line", From: "v3"}, ""},
		{"edit support draft", Command{Name: Edit, Agent: "support", Draft: "draft"}, ""},
		{"edit support --from", Command{}, "`--from <version>`"},
		{"edit support draft --from v3", Command{}, "Too many arguments"},
		{"edit support draft --from", Command{}, "Name a draft to edit, or `--from <version>`"},
		{"edit support --from v3 extra", Command{}, "Too many arguments"},
		{"edit support v3 --from", Command{}, "Name a draft to edit"},
		{"edit support --from " + strings.Repeat("v", MaxRefLen+1), Command{}, "too long"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Parse(tt.text)
			if tt.err != "" {
				ue, ok := err.(*UsageError)
				if !ok || !strings.Contains(ue.Message, tt.err) || ue.Name != Edit {
					t.Fatalf("Parse(%q) = %+v, %v; want a usage error with %q", tt.text, got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tt.text, got, err, tt.want)
			}
		})
	}
}
