package slackfake

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The fake's answers are what slack-go (and the sandbox page) decode, so
// their exact shape is pinned in golden files.
func TestGoldenAnswers(t *testing.T) {
	blocks := `[{"type":"header","text":{"type":"plain_text","text":"web: v3 → v4"}},` +
		`{"type":"actions","block_id":"approval","elements":[{"type":"button","action_id":"approve","text":{"type":"plain_text","text":"Approve"},"value":"p1"}]}]`
	view := `{"type":"modal","callback_id":"edit","title":{"type":"plain_text","text":"Edit draft"},` +
		`"submit":{"type":"plain_text","text":"Save"},"private_metadata":"{\"agent\":\"a1\"}",` +
		`"blocks":[{"type":"input","block_id":"prompt","label":{"type":"plain_text","text":"Prompt"},"element":{"type":"plain_text_input","action_id":"value"}}]}`
	tests := []struct {
		name, method, ctype, body string
	}{
		{
			name: "chat_postMessage", method: "chat.postMessage", ctype: "application/x-www-form-urlencoded",
			body: url.Values{"token": {testToken}, "channel": {"C1"}, "text": {"approval needed"}, "blocks": {blocks}}.Encode(),
		},
		{
			name: "chat_postMessage_invalid_blocks", method: "chat.postMessage", ctype: "application/x-www-form-urlencoded",
			body: url.Values{"token": {testToken}, "channel": {"C1"}, "blocks": {`[{"type":"header","text":{"type":"mrkdwn","text":""}}]`}}.Encode(),
		},
		{
			name: "views_open", method: "views.open", ctype: "application/json",
			body: `{"trigger_id":"1.2.3","view":` + view + `}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := New(Options{Token: testToken, Now: newClock().Now})
			req := httptest.NewRequestWithContext(ctx(t), http.MethodPost, "/"+tc.method, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Authorization", "Bearer "+testToken)
			rec := httptest.NewRecorder()
			fake.ServeHTTP(rec, req)
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, rec.Body.Bytes(), "", "  "); err != nil {
				t.Fatalf("answer is not JSON: %q", rec.Body.String())
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("answer differs from %s:\n%s", path, pretty.String())
			}
		})
	}
}
