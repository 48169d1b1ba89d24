package atomsim

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// newClock is the injected clock: it only moves when a test says so.
func newClock() *Clock { return NewClock(time.Date(2026, 6, 11, 10, 0, 0, 0, time.UTC)) }

// env is a simulator behind a real HTTP server.
type env struct {
	t     *testing.T
	sim   *Simulator
	clock *Clock
	base  string
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	clock := newClock()
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	if opts.Seed == 0 {
		opts.Seed = 42
	}
	sim := New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &env{t: t, sim: sim, clock: clock, base: srv.URL}
}

// reply is a decoded answer.
type reply struct {
	status int
	header http.Header
	raw    []byte
	env    struct {
		Status    bool            `json:"status"`
		Data      json.RawMessage `json:"data"`
		Errors    []string        `json:"errors"`
		ErrorType string          `json:"error_type"`
	}
}

func (r reply) data(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.env.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.env.Data, err)
	}
}

// obj decodes data as an object.
func (r reply) obj(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.data(t, &m)
	return m
}

func (r reply) errText() string { return strings.Join(r.env.Errors, "; ") }

// do sends one request; body may be nil, a string or any JSON value.
// Extra headers come as "Key: value" strings.
func (e *env) do(method, path string, body any, headers ...string) reply {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if r.raw, err = io.ReadAll(resp.Body); err != nil {
		e.t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(r.raw, &r.env); err != nil {
			e.t.Fatalf("%s %s: bad JSON %q: %v", method, path, r.raw, err)
		}
	}
	return r
}

// must is do that insists on a status.
func (e *env) must(status int, method, path string, body any, headers ...string) reply {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.raw)
	}
	return r
}

// createAgent makes an agent from a body and returns its id.
func (e *env) createAgent(body map[string]any) string {
	e.t.Helper()
	var id string
	e.must(201, "POST", "/agent", body).data(e.t, &id)
	return id
}

func (e *env) activeVersion(agentID string) string {
	e.t.Helper()
	return e.must(200, "GET", "/agent/"+agentID, nil).obj(e.t)["activeVersionId"].(string)
}

// fork forks a draft from the active version and returns its draftId.
func (e *env) fork(agentID string) string {
	e.t.Helper()
	r := e.must(201, "POST", "/agent/"+agentID+"/drafts", map[string]any{"sourceVersionId": e.activeVersion(agentID)})
	return r.obj(e.t)["draftId"].(string)
}

// golden compares got (indented JSON) with testdata/name, or rewrites it.
func golden(t *testing.T, name string, raw []byte) {
	t.Helper()
	// Indent keeps the server's key order, which is part of what is checked.
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		t.Fatalf("golden %s: %v", name, err)
	}
	got := append(buf.Bytes(), '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func str(v any) string { s, _ := v.(string); return s }
