package atomsim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestIDs(t *testing.T) {
	e := newEnv(t, Options{})
	seen := map[string]bool{}
	objectID := regexp.MustCompile(`^[a-f\d]{24}$`)
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for i := range 20 {
		id := e.createAgent(map[string]any{"name": fmt.Sprint("ids-", i)})
		d := e.must(201, "POST", "/agent/"+id+"/drafts", map[string]any{"sourceVersionId": e.activeVersion(id)}).obj(t)
		for _, v := range []string{id, e.activeVersion(id), str(d["_id"])} {
			if !objectID.MatchString(v) || seen[v] {
				t.Fatalf("id %q: not an ObjectId or repeated", v)
			}
			seen[v] = true
		}
		if !uuid.MatchString(str(d["draftId"])) || seen[str(d["draftId"])] {
			t.Fatalf("draftId %q", d["draftId"])
		}
		seen[str(d["draftId"])] = true
	}
	if isObjectID("0123456789ABCDEF01234567") || isObjectID("0123") || !isObjectID("0123456789abcdef01234567") {
		t.Fatal("isObjectID")
	}
}

func TestAuthAndMounting(t *testing.T) {
	e := newEnv(t, Options{APIKey: "sk_test_secret"})
	tests := []struct {
		name, path, auth string
		status           int
	}{
		{"no key", "/agent", "", 401},
		{"wrong key", "/agent", "Bearer sk_other", 401},
		{"not bearer", "/agent", "sk_test_secret", 401},
		{"good key, bare mount", "/agent", "Bearer sk_test_secret", 200},
		{"good key, /atoms/v1 mount", "/atoms/v1/agent", "Bearer sk_test_secret", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.auth != "" {
				hdr = append(hdr, "Authorization: "+tt.auth)
			}
			r := e.must(tt.status, "GET", tt.path, nil, hdr...)
			if tt.status == 401 && string(r.raw) != `{"status":false,"errors":["Unauthorized: User not found"]}` {
				t.Fatalf("401 body %s", r.raw)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Fatal("no x-request-id")
			}
			if strings.Contains(string(r.raw), "sk_") {
				t.Fatal("the key leaked into a response")
			}
		})
	}
	for _, c := range e.sim.Calls() {
		if c.Header.Get("Authorization") != "" {
			t.Fatal("a call record holds the Authorization header")
		}
	}
	// Under a prefix of the host's own mux, through http.StripPrefix.
	mux := http.NewServeMux()
	mux.Handle("/sim/", http.StripPrefix("/sim", New(Options{})))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/sim/atoms/v1/agent")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("mounted under /sim: %d", resp.StatusCode)
	}
}

func TestCallRecords(t *testing.T) {
	e := newEnv(t, Options{})
	id := e.createAgent(map[string]any{"name": "rec"})
	d := e.fork(id)
	e.must(200, "PATCH", "/atoms/v1/agent/"+id+"/drafts/"+d+"/config?x=1", map[string]any{"firstMessage": "hi"})
	e.do("GET", "/nowhere", nil)
	calls := e.sim.Calls()
	last := calls[len(calls)-2]
	if last.Method != "PATCH" || last.Path != "/agent/"+id+"/drafts/"+d+"/config" || last.Query.Get("x") != "1" ||
		string(last.Body) != `{"firstMessage":"hi"}` || last.Status != 200 || last.RequestID == "" {
		t.Fatalf("record %+v", last)
	}
	tests := []struct {
		method, pattern string
		want            int
	}{
		{"POST", "/agent", 1},
		{"", "/agent/*", 1}, // the GET of the agent in fork()
		{"patch", "/agent/*/drafts/*/config", 1},
		{"GET", "/nowhere", 1},
		{"DELETE", "/agent/*", 0},
	}
	for _, tt := range tests {
		if got := e.sim.CountCalls(tt.method, tt.pattern); got != tt.want {
			t.Errorf("CountCalls(%q, %q) = %d, want %d", tt.method, tt.pattern, got, tt.want)
		}
	}
	e.sim.ResetCalls()
	if len(e.sim.Calls()) != 0 {
		t.Fatal("ResetCalls kept calls")
	}
}

func TestCallRecordBound(t *testing.T) {
	e := newEnv(t, Options{MaxCalls: 8})
	for i := range 20 {
		e.do("GET", fmt.Sprintf("/agent?page=%d", i+1), nil)
	}
	calls := e.sim.Calls()
	if len(calls) > 8 || len(calls) < 6 || calls[len(calls)-1].Query.Get("page") != "20" {
		t.Fatalf("%d calls kept, last %v", len(calls), calls[len(calls)-1].Query)
	}
}

func TestTestCalls(t *testing.T) {
	e := newEnv(t, Options{CheckDelay: -1})
	agentID, ids := publishN(t, e, 1, "api")
	d := e.fork(agentID)
	tests := []struct {
		path   string
		body   map[string]any
		status int
		token  bool
	}{
		{"/drafts/" + d + "/test-call", nil, 200, true},
		{"/versions/" + ids[1] + "/test-call", map[string]any{"mode": "telephony", "toPhone": "+14155550100"}, 200, false},
		{"/versions/" + ids[1] + "/test-call", map[string]any{"mode": "telephony"}, 400, false},
		{"/versions/" + ids[1] + "/test-call", map[string]any{"mode": "fax"}, 400, false},
	}
	for _, tt := range tests {
		var body any
		if tt.body != nil {
			body = tt.body
		}
		r := e.must(tt.status, "POST", "/agent/"+agentID+tt.path, body)
		if tt.status == 200 {
			data := r.obj(t)
			if _, ok := data["token"]; ok != tt.token || data["callId"] == nil || data["conversationId"] == nil {
				t.Fatalf("%s: %v", tt.path, data)
			}
		}
	}
}

// TestConcurrentUse hammers one simulator from many goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Options{CheckDelay: -1, Faults: Faults{ErrorRate: 0.2, Seed: 3, Methods: []string{"GET"}}})
	id := e.createAgent(map[string]any{"name": "busy"})
	draftIDs := make([]string, 8)
	for i := range draftIDs {
		e.sim.SetFaults(Faults{})
		draftIDs[i] = e.fork(id)
	}
	e.sim.SetFaults(Faults{ErrorRate: 0.2, Seed: 3, Methods: []string{"GET"}})
	var wg sync.WaitGroup
	for i, d := range draftIDs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 10 {
				body := fmt.Sprintf(`{"firstMessage":"m%d-%d"}`, i, j)
				req, _ := http.NewRequest("PATCH", e.base+"/agent/"+id+"/drafts/"+d+"/config", strings.NewReader(body))
				if resp, err := http.DefaultClient.Do(req); err == nil {
					resp.Body.Close()
				}
				if resp, err := http.Get(e.base + "/agent/" + id + "?draftId=" + d); err == nil {
					resp.Body.Close()
				}
				_ = e.sim.Agents()
			}
		}()
	}
	wg.Wait()
	info, _ := e.sim.Agent(id)
	for _, d := range info.Drafts {
		if d.Revision != 10 {
			t.Fatalf("draft %s at revision %d, want 10", d.DraftID, d.Revision)
		}
	}
}
