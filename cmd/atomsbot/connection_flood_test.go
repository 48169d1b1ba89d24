package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestConnectionFloodLeavesRoomForSlack: a client that opens more connections
// than MAX_CONNECTIONS and sends nothing, trickles a header or keeps its
// connections idle holds at most the cap; the connections that waited
// longest make room, and a signed request still gets its answer.
func TestConnectionFloodLeavesRoomForSlack(t *testing.T) {
	const limit = 3
	for _, flood := range []struct {
		name string
		open func(t *testing.T, c net.Conn)
	}{
		{"silent connections", func(*testing.T, net.Conn) {}},
		{"trickled headers", func(t *testing.T, c net.Conn) {
			if _, err := io.WriteString(c, "POST /slack/commands HTTP/1.1\r\nHost: atomsbot\r\n"); err != nil {
				t.Fatal(err)
			}
		}},
		{"idle keep-alive connections", func(t *testing.T, c net.Conn) {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: atomsbot\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 512)
			if _, err := c.Read(buf); err != nil { // the answer; the connection stays open
				t.Fatal(err)
			}
		}},
	} {
		t.Run(flood.name, func(t *testing.T) {
			eachRedis(t, func(t *testing.T, b redisBackend) {
				w := newWorld(t, b)
				a, _ := w.newApp("replica-a", nil, map[string]string{"MAX_CONNECTIONS": "3"})
				r := w.start(a)
				addr := strings.TrimPrefix(r.base, "http://")
				var conns []net.Conn
				for range 2 * limit {
					c, err := net.Dial("tcp", addr)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { c.Close() })
					flood.open(t, c)
					conns = append(conns, c)
				}
				// A request of Slack's, on a connection of its own.
				resp := w.signed(r.base, "/slack/events", `{"type":"url_verification","challenge":"c-123"}`, testSigningSecret)
				if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK || string(body) != "c-123" {
					t.Errorf("signed request during the flood: %d %q", resp.StatusCode, body)
				}
				// Connections that waited longest were closed to make room:
				// of the flood, at most the cap can still be open.
				closed := make(chan bool, len(conns))
				for _, c := range conns {
					_ = c.SetReadDeadline(time.Now().Add(2 * time.Second)) // a safety net: a closed connection answers at once
					go func() {
						_, err := c.Read(make([]byte, 512))
						closed <- errors.Is(err, io.EOF) || isReset(err)
					}()
				}
				n := 0
				for range conns {
					if <-closed {
						n++
					}
				}
				if n < len(conns)-limit {
					t.Errorf("%d of %d flood connections closed, want at least %d: the cap is %d", n, len(conns), len(conns)-limit, limit)
				}
			})
		})
	}
}

// isReset reports a connection the peer closed with unread data.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}
