package render

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// TestMaskPhone: a number shows its country code and last four digits only;
// anything too short to mask that way shows no digit at all.
func TestMaskPhone(t *testing.T) {
	tests := []struct {
		name, phone, want string
	}{
		{"US", "+15551234567", "+1 ••• ••• 4567"},
		{"UK mobile", "+447911123456", "+44 ••• ••• 3456"},
		{"India", "+919876543210", "+91 ••• ••• 3210"},
		{"15 digits", "+123456789012345", "+123 ••• ••• 2345"},
		{"short", "+12345", "+••• ••• ••••"},
		{"six digits", "+123456", "+••• ••• ••••"},
		{"empty", "", "+••• ••• ••••"},
		{"no plus", "5551234", "+5 ••• ••• 1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MaskPhone(tt.phone); got != tt.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tt.phone, got, tt.want)
			}
		})
	}
}

// TestMaskPhoneHidesTheMiddle: for every valid length (E.164: 7 to 15
// digits), the masked form keeps at most the country code and the last
// four digits, and never the digits between them.
func TestMaskPhoneHidesTheMiddle(t *testing.T) {
	for n := 7; n <= 15; n++ {
		digits := strings.Repeat("9", 1) + strings.Repeat("0", n-5) + "1234"
		phone := "+" + digits
		got := MaskPhone(phone)
		shown := strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return r
			}
			return -1
		}, got)
		if !strings.HasSuffix(got, "1234") || !strings.HasPrefix(got, "+9") || len(shown) > 7 {
			t.Errorf("MaskPhone(%s) = %q shows %d digits", phone, got, len(shown))
		}
		if strings.Contains(got, digits) || strings.Contains(got, digits[:n-4]) {
			t.Errorf("MaskPhone(%s) = %q shows the number", phone, got)
		}
	}
}

// TestCallValueRoundTrip: CallValue and ParseCallValue agree; malformed
// values are refused.
func TestCallValueRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		kind string
		ids  []string
	}{
		{CallPromotion, []string{"pr_0123456789abcdef"}},
		{CallDraft, []string{"6900000000000000000000a3", "9bbde969-59b5-42b1-9827-5a6ea7393951"}},
	} {
		v := CallValue(tt.kind, tt.ids...)
		kind, ids, ok := ParseCallValue(v)
		if !ok || kind != tt.kind || !slices.Equal(ids, tt.ids) {
			t.Errorf("ParseCallValue(CallValue(%q, %q)) = %q %q %v", tt.kind, tt.ids, kind, ids, ok)
		}
		if len(v) > 2000 {
			t.Errorf("value %q is over Slack's 2000 characters", v)
		}
	}
	for _, bad := range []string{
		"", "p", "p|", "|pr_1", "p||", "p|pr_1|extra", "d|agent", "d|agent|", "d||draft", "d|a|b|c",
		"x|pr_1", "P|pr_1", "pr_1|v_1", // an Approve button's value is not a call's
	} {
		if kind, ids, ok := ParseCallValue(bad); ok {
			t.Errorf("ParseCallValue(%q) = %q %q, ok; want refused", bad, kind, ids)
		}
	}
}

// callButtons are the Call me buttons of a rendered message: block id and
// value of each, and the other action ids of the same block.
func callButtons(t *testing.T, blocks json.RawMessage) (found []string, siblings [][]string) {
	t.Helper()
	var bs []struct {
		Type     string `json:"type"`
		BlockID  string `json:"block_id"`
		Elements []struct {
			ActionID string          `json:"action_id"`
			Value    string          `json:"value"`
			Text     json.RawMessage `json:"text"` // a text object on a button, a string in a context block
		} `json:"elements"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		var ids []string
		var call []string
		for _, e := range b.Elements {
			ids = append(ids, e.ActionID)
			if e.ActionID == ActionCall {
				var label struct {
					Text string `json:"text"`
				}
				_ = json.Unmarshal(e.Text, &label)
				call = append(call, b.BlockID+" "+label.Text+" "+e.Value)
			}
		}
		if len(call) > 0 {
			found = append(found, call...)
			siblings = append(siblings, ids)
		}
	}
	return found, siblings
}

// TestApprovalGoldensOfferCallMe: the approval request's goldens have the
// Call me button beside Approve and Reject while the promotion is open,
// carrying the promotion, and none once it ended.
func TestApprovalGoldensOfferCallMe(t *testing.T) {
	tests := []struct {
		golden string
		offers bool
	}{
		{"approval_open", true},
		{"approval_passed", true},
		{"approval_ref", true},
		{"approval_rollback", true},
		{"approval_big_diff", true},
		{"approval_live", false},
		{"approval_rejected", false},
		{"approval_failed", false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "views", tt.golden+".golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			var msg struct {
				Blocks json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(raw, &msg); err != nil {
				t.Fatal(err)
			}
			found, siblings := callButtons(t, msg.Blocks)
			if !tt.offers {
				if len(found) != 0 {
					t.Errorf("an ended promotion offers Call me: %q", found)
				}
				return
			}
			if len(found) != 1 || found[0] != "approval_actions Call me "+CallValue(CallPromotion, "p_1") {
				t.Fatalf("Call me buttons %q, want one in approval_actions for p_1", found)
			}
			if !slices.Equal(siblings[0], []string{ActionApprove, ActionReject, ActionCancel, ActionCall}) {
				t.Errorf("the actions block holds %q", siblings[0])
			}
		})
	}
}

// TestApprovalCallMeFollowsState: the rendered request offers Call me with
// its own promotion id exactly while it takes approvals.
func TestApprovalCallMeFollowsState(t *testing.T) {
	for _, st := range []string{"requested", "published", "activating", "live", "rejected", "cancelled", "expired", "failed"} {
		t.Run(st, func(t *testing.T) {
			v := ApprovalView{PromotionID: "pr_42", AgentName: "support-concierge", Kind: "promote", VersionID: "v_9", VersionNumber: 4,
				Requester: "UALICE", State: st, CheckStatus: "pending", Required: 1}
			m := Approval(v)
			b, err := json.Marshal(m.Blocks)
			if err != nil {
				t.Fatal(err)
			}
			found, _ := callButtons(t, b)
			if v.Open() != (len(found) == 1) {
				t.Fatalf("state %s: Call me %q", st, found)
			}
			if len(found) == 1 {
				val := found[0][strings.LastIndex(found[0], " ")+1:]
				if kind, ids, ok := ParseCallValue(val); !ok || kind != CallPromotion || !slices.Equal(ids, []string{"pr_42"}) {
					t.Errorf("value %q = %q %q %v", val, kind, ids, ok)
				}
			}
		})
	}
}

// TestCallBlocks: the Call me and Change number blocks carry their actions.
func TestCallBlocks(t *testing.T) {
	b, err := json.Marshal([]any{CallBlock(CallValue(CallDraft, "a1", "d1")), ChangePhoneBlock()})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, w := range []string{`"action_id":"` + ActionCall + `"`, `"value":"d|a1|d1"`, `"Call me"`, `"action_id":"` + ActionChangePhone + `"`, `"Change number"`} {
		if !strings.Contains(s, w) {
			t.Errorf("blocks lack %s: %s", w, s)
		}
	}
}
