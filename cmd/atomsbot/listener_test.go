package main

import (
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestConnLimiterNeverCutsARequest: at the cap, with every connection busy
// with a request, a new connection waits for a slot instead of cutting one;
// both requests are answered.
func TestConnLimiterNeverCutsARequest(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lim := newConnLimiter(ln, 1)
	entered, release := make(chan struct{}), make(chan struct{})
	srv := &http.Server{ReadHeaderTimeout: time.Minute, ConnState: lim.track,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				close(entered)
				<-release
			}
			_, _ = io.WriteString(w, r.URL.Path)
		})}
	go func() { _ = srv.Serve(lim) }()
	t.Cleanup(func() { _ = srv.Close() })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

	type result struct {
		body string
		err  error
	}
	get := func(path string, out chan<- result) {
		resp, err := client.Get(base + path)
		if err != nil {
			out <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		out <- result{string(b), err}
	}
	slow, fast := make(chan result, 1), make(chan result, 1)
	go get("/slow", slow)
	<-entered
	go get("/fast", fast)
	select {
	case r := <-fast:
		t.Fatalf("a second connection was served past the cap of 1: %+v", r)
	case r := <-slow:
		t.Fatalf("the busy request ended early: %+v", r)
	default:
	}
	close(release)
	for path, ch := range map[string]chan result{"/slow": slow, "/fast": fast} {
		if r := <-ch; r.err != nil || r.body != path {
			t.Errorf("%s: %q, %v", path, r.body, r.err)
		}
	}
}
