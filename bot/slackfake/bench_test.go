package slackfake

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func benchBlocks(n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"section","block_id":"b%d","text":{"type":"mrkdwn","text":"*field %d* changed"},`+
			`"accessory":{"type":"button","action_id":"a%d","text":{"type":"plain_text","text":"Open"},"value":"v%d"}}`, i, i, i, i)
	}
	b.WriteByte(']')
	return b.String()
}

// BenchmarkPostMessage is one chat.postMessage with 10 blocks through
// ServeHTTP (no network): parse, validate, store, answer.
func BenchmarkPostMessage(b *testing.B) {
	fake := New(Options{Token: testToken, Now: newClock().Now})
	body := url.Values{"token": {testToken}, "channel": {"C1"}, "text": {"approval needed"}, "blocks": {benchBlocks(10)}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/chat.postMessage", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		fake.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Body.String())
		}
	}
}

// BenchmarkValidateBlocks is the Block Kit check alone on a full 50-block
// message.
func BenchmarkValidateBlocks(b *testing.B) {
	raw := benchBlocks(50)
	b.ReportAllocs()
	for b.Loop() {
		v := &validator{}
		if _, ok := validateBlocksJSON(raw, "/blocks", maxMessageBlocks, v); !ok || len(v.problems) > 0 {
			b.Fatal(v.problems)
		}
	}
}

// BenchmarkSnapshot1000 copies a fake holding 1000 messages, the cost
// WaitFor pays per change.
func BenchmarkSnapshot1000(b *testing.B) {
	fake := New(Options{Token: testToken, Now: newClock().Now})
	body := url.Values{"token": {testToken}, "channel": {"C1"}, "text": {"x"}, "blocks": {benchBlocks(3)}}.Encode()
	for range 1000 {
		req := httptest.NewRequest(http.MethodPost, "/chat.postMessage", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		fake.ServeHTTP(httptest.NewRecorder(), req)
	}
	b.ReportAllocs()
	for b.Loop() {
		if st := fake.Snapshot(); len(st.Messages) != 1000 {
			b.Fatal(len(st.Messages))
		}
	}
}
