package bot

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Slack's published signing example: secret, timestamp,
// body and the signature Slack computed for them.
const (
	vectorSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	vectorTS     = "1531420618"
	vectorBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	vectorSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func clockAt(unix int64) func() time.Time { return func() time.Time { return time.Unix(unix, 0) } }

func sigHeaders(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

func TestVerifierSlackVector(t *testing.T) {
	v := NewVerifier(vectorSecret, clockAt(1531420618))
	if got := v.Sign(vectorTS, []byte(vectorBody)); got != vectorSig {
		t.Fatalf("Sign = %s, want Slack's %s", got, vectorSig)
	}
	if err := v.Verify(sigHeaders(vectorTS, vectorSig), []byte(vectorBody)); err != nil {
		t.Fatalf("Slack's own request refused: %v", err)
	}
	// Header names are case-insensitive on the wire.
	h := http.Header{}
	h["X-Slack-Request-Timestamp"] = []string{vectorTS}
	h.Set("x-slack-signature", vectorSig)
	if err := v.Verify(h, []byte(vectorBody)); err != nil {
		t.Fatalf("lower-case header names refused: %v", err)
	}
}

func TestVerifierRefusals(t *testing.T) {
	ts := int64(1531420618)
	body := []byte(vectorBody)
	good := NewVerifier(vectorSecret, nil).Sign(vectorTS, body)
	tests := []struct {
		name   string
		now    int64
		secret string
		h      http.Header
		body   []byte
		want   error
	}{
		{"valid", ts, vectorSecret, sigHeaders(vectorTS, good), body, nil},
		{"4m59s old", ts + 299, vectorSecret, sigHeaders(vectorTS, good), body, nil},
		{"exactly 5m old", ts + 300, vectorSecret, sigHeaders(vectorTS, good), body, nil},
		{"5m01s old (replay)", ts + 301, vectorSecret, sigHeaders(vectorTS, good), body, ErrStaleTimestamp},
		{"an hour old", ts + 3600, vectorSecret, sigHeaders(vectorTS, good), body, ErrStaleTimestamp},
		{"5m01s in the future", ts - 301, vectorSecret, sigHeaders(vectorTS, good), body, ErrStaleTimestamp},
		{"missing signature", ts, vectorSecret, sigHeaders(vectorTS, ""), body, ErrMissingHeaders},
		{"missing timestamp", ts, vectorSecret, sigHeaders("", good), body, ErrMissingHeaders},
		{"no headers", ts, vectorSecret, http.Header{}, body, ErrMissingHeaders},
		{"timestamp not a number", ts, vectorSecret, sigHeaders("1531420618.5", good), body, ErrBadTimestamp},
		{"tampered body", ts, vectorSecret, sigHeaders(vectorTS, good), []byte(vectorBody + "&text=promote"), ErrInvalidSignature},
		{"empty body", ts, vectorSecret, sigHeaders(vectorTS, good), nil, ErrInvalidSignature},
		{"wrong secret", ts, "another-secret", sigHeaders(vectorTS, good), body, ErrInvalidSignature},
		{"empty secret", ts, "", sigHeaders(vectorTS, good), body, ErrInvalidSignature},
		{"timestamp swapped (signed for another time)", ts + 10, vectorSecret, sigHeaders(strconv.FormatInt(ts+10, 10), good), body, ErrInvalidSignature},
		{"no v0= prefix", ts, vectorSecret, sigHeaders(vectorTS, good[3:]), body, ErrInvalidSignature},
		{"v1 scheme", ts, vectorSecret, sigHeaders(vectorTS, "v1="+good[3:]), body, ErrInvalidSignature},
		{"not hex", ts, vectorSecret, sigHeaders(vectorTS, "v0=zz"+good[5:]), body, ErrInvalidSignature},
		{"truncated", ts, vectorSecret, sigHeaders(vectorTS, good[:len(good)-2]), body, ErrInvalidSignature},
		{"too long", ts, vectorSecret, sigHeaders(vectorTS, good+"00"), body, ErrInvalidSignature},
		{"upper-case hex of the right MAC", ts, vectorSecret, sigHeaders(vectorTS, "v0="+upperHex(good[3:])), body, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewVerifier(tt.secret, clockAt(tt.now)).Verify(tt.h, tt.body)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func upperHex(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// TestVerifierErrorsHoldNoSecret: the errors go to logs and metrics.
func TestVerifierErrorsHoldNoSecret(t *testing.T) {
	v := NewVerifier(testSecret, clockAt(1531420618))
	for _, h := range []http.Header{sigHeaders(vectorTS, "v0=00"), sigHeaders("1", "v0=00"), {}, sigHeaders("x", "y")} {
		err := v.Verify(h, []byte(vectorBody))
		if err == nil {
			t.Fatal("accepted")
		}
		for _, secret := range []string{testSecret, v.Sign(vectorTS, []byte(vectorBody))[3:]} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q reveals a secret", err)
			}
		}
	}
}
