package atoms_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/atomsbot/atomsbot/atoms"
	"github.com/atomsbot/atomsbot/atoms/atomsim"
)

const lcKey = "sk_test_lifecycle_key"

// lcSleeps records the client's backoff waits instead of sleeping.
type lcSleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *lcSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

type lcEnv struct {
	sim    *atomsim.Simulator
	clock  *atomsim.Clock // the simulator's: the security check completes when the test advances it
	client *atoms.Client
	sleeps *lcSleeps
	url    string
}

func newLCEnv(t *testing.T) *lcEnv {
	t.Helper()
	clock := atomsim.NewClock(time.Date(2026, 6, 11, 9, 0, 0, 0, time.UTC))
	sim := atomsim.New(atomsim.Options{APIKey: lcKey, Now: clock.Now, Seed: 11})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sleeps := &lcSleeps{}
	client, err := atoms.New(atoms.Options{
		BaseURL: srv.URL + "/atoms/v1", APIKey: lcKey, RPS: math.Inf(1),
		MaxRetries: 8, Sleep: sleeps.sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &lcEnv{sim: sim, clock: clock, client: client, sleeps: sleeps, url: srv.URL + "/atoms/v1"}
}

func apiErr(t *testing.T, err error) *atoms.APIError {
	t.Helper()
	var ae *atoms.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *atoms.APIError, got %T: %v", err, err)
	}
	return ae
}

// TestLifecycleThroughClient walks the lifecycle guide's eight steps with
// the client against the simulator and checks every pitfall on the way.
func TestLifecycleThroughClient(t *testing.T) {
	ctx := context.Background()
	e := newLCEnv(t)
	c := e.client

	// Pitfall: language without switching is refused by the API…
	req, _ := http.NewRequest("POST", e.url+"/agent", strings.NewReader(`{"name":"raw","language":{"default":"en"}}`))
	req.Header.Set("Authorization", "Bearer "+lcKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "Invalid Input: Required") {
		t.Fatalf("raw create without switching: %d %s", resp.StatusCode, raw)
	}
	// … so the client always sends it. 1. Create.
	agentID, err := c.CreateAgent(ctx, atoms.CreateAgentRequest{Name: "lifecycle-demo", Language: &atoms.Language{Default: "en"}})
	if err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}

	// 2. Read the active version.
	ag, err := c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil || ag.ActiveVersionID == "" || ag.ResolvedConfig == nil {
		t.Fatalf("GetAgent: %+v %v", ag, err)
	}
	v1 := ag.ActiveVersionID

	// Pitfall: an empty fork body is the documented 400.
	_, err = c.CreateDraft(ctx, agentID, atoms.CreateDraftRequest{})
	if ae := apiErr(t, err); ae.Status != 400 || !slices.Equal(ae.Messages, []string{"Either sourceVersionId or sourceDraftId is required"}) {
		t.Fatalf("empty fork: %v", err)
	}

	// 3. Fork.
	d, err := c.CreateDraft(ctx, agentID, atoms.CreateDraftRequest{SourceVersionID: v1})
	if err != nil || d.DraftID == "" || d.DraftID == d.ID || d.SourceVersionID != v1 {
		t.Fatalf("CreateDraft: %+v %v", d, err)
	}

	// 4. Edit. Pitfall: the answer does not echo the field; reading back does.
	greeting := "Hello, this is the lifecycle demo agent."
	pv, err := c.UpdateDraftConfig(ctx, agentID, d.DraftID, atoms.ConfigPatch{FirstMessage: &greeting})
	if err != nil || pv.DraftRevision != 1 || len(pv.Blocks) == 0 {
		t.Fatalf("UpdateDraftConfig: %+v %v", pv, err)
	}
	if _, echoed := pv.Extra["firstMessage"]; echoed {
		t.Fatal("the PATCH answer echoed firstMessage")
	}
	dd, err := c.GetDraft(ctx, agentID, d.DraftID, 10)
	if err != nil || dd.EditCount != 1 || len(dd.EditHistory) != 1 || !slices.Equal(dd.EditHistory[0].ChangedSections, []string{"call_handling"}) {
		t.Fatalf("GetDraft: %+v %v", dd, err)
	}
	viaDraft, err := c.GetAgent(ctx, agentID, atoms.GetAgentOptions{DraftID: d.DraftID})
	if err != nil || viaDraft.ResolvedConfig.FirstMessage != greeting || viaDraft.ConfigSource != "draft" {
		t.Fatalf("GetAgent(draft): %v %v", viaDraft, err)
	}
	diff, err := c.DiffDraft(ctx, agentID, d.DraftID, "")
	if err != nil || diff.Empty() || diff.Sections[0].Changes[0].Path != "firstMessage" {
		t.Fatalf("DiffDraft: %+v %v", diff, err)
	}

	// 5. Publish. Pitfall: the new version is not active.
	v2, err := c.PublishDraft(ctx, agentID, d.DraftID, atoms.PublishRequest{Label: "v2 - greeting added"})
	if err != nil || v2.IsActive || v2.VersionNumber != 2 || v2.Outcome() != atoms.CheckNotYet {
		t.Fatalf("PublishDraft: %+v %v", v2, err)
	}
	if _, err := c.GetDraft(ctx, agentID, d.DraftID, 0); !errors.Is(err, atoms.ErrNotFound) {
		t.Fatalf("published draft still there: %v", err)
	}

	// 6. Activate. Pitfall: too early is the typed pending error.
	_, err = c.ActivateVersion(ctx, agentID, v2.ID)
	if !errors.Is(err, atoms.ErrSecurityCheckPending) || errors.Is(err, atoms.ErrNotFound) {
		t.Fatalf("early ActivateVersion: %v", err)
	}
	e.clock.Advance(atomsim.DefaultCheckDelay)
	vd, err := c.GetVersion(ctx, agentID, v2.ID)
	if err != nil || vd.Version.Outcome() != atoms.CheckOK || len(vd.ResolvedConfig) == 0 {
		t.Fatalf("GetVersion after the delay: %+v %v", vd, err)
	}
	act, err := c.ActivateVersion(ctx, agentID, v2.ID)
	if err != nil || !act.IsActive {
		t.Fatalf("ActivateVersion: %+v %v", act, err)
	}

	// 7. Outbound call.
	conv, err := c.StartOutboundCall(ctx, atoms.OutboundCallRequest{AgentID: agentID, PhoneNumber: "+14155550100", Test: true})
	if err != nil || !regexp.MustCompile(`^CALL-\d{13}-[0-9a-f]{6}$`).MatchString(conv) {
		t.Fatalf("StartOutboundCall: %q %v", conv, err)
	}
	if convs := e.sim.Conversations(); len(convs) != 1 || !convs[0].Test || convs[0].VersionID != v2.ID {
		t.Fatalf("conversations %+v", convs)
	}

	// 8. Verify.
	final, err := c.GetAgent(ctx, agentID, atoms.GetAgentOptions{})
	if err != nil || final.ActiveVersionID != v2.ID || final.ResolvedConfig.FirstMessage != greeting {
		t.Fatalf("final GetAgent: %+v %v", final, err)
	}

	// Pitfall: plain DELETE /agent/{id} is a 404; archive works.
	req, _ = http.NewRequest("DELETE", e.url+"/agent/"+agentID, nil)
	req.Header.Set("Authorization", "Bearer "+lcKey)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("plain DELETE: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if err := c.ArchiveAgent(ctx, agentID, true); err != nil {
		t.Fatalf("ArchiveAgent: %v", err)
	}
	if ae := apiErr(t, c.ArchiveAgent(ctx, agentID, true)); ae.Status != 409 {
		t.Fatalf("second archive: %v", ae)
	}
	if l, err := c.ListAgents(ctx, atoms.ListAgentsOptions{}); err != nil || l.TotalCount != 0 {
		t.Fatalf("archived agent still listed: %+v %v", l, err)
	}
	if l, err := c.ListAgents(ctx, atoms.ListAgentsOptions{Archived: true}); err != nil || len(l.Agents) != 1 || !l.Agents[0].Archived {
		t.Fatalf("archived list: %+v %v", l, err)
	}
	_, err = c.StartOutboundCall(ctx, atoms.OutboundCallRequest{AgentID: agentID, PhoneNumber: "+14155550100"})
	if ae := apiErr(t, err); ae.Status != 400 || !strings.Contains(ae.Error(), "archived") {
		t.Fatalf("outbound on archived agent: %v", err)
	}

	// Not found, by the API's 400 and by 404.
	if _, err := c.GetAgent(ctx, "0123456789abcdef01234567", atoms.GetAgentOptions{}); !errors.Is(err, atoms.ErrNotFound) {
		t.Fatalf("unknown agent: %v", err)
	}

	// No request carried a JSON null, and none carried the key elsewhere.
	for _, call := range e.sim.Calls() {
		if len(call.Body) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(call.Body, &v); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", call.Method, call.Path, call.Body)
		}
		if hasNull(v) {
			t.Errorf("%s %s sent a null: %s", call.Method, call.Path, call.Body)
		}
		if strings.Contains(string(call.Body), lcKey) {
			t.Errorf("%s %s: the key is in the body", call.Method, call.Path)
		}
	}
}

func hasNull(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range t {
			if hasNull(e) {
				return true
			}
		}
	case []any:
		return slices.ContainsFunc(t, hasNull)
	}
	return false
}

// TestLifecycleFailuresThroughClient covers the outcomes that end a
// promotion: a failed check, the branch-model 409 and publishes under faults.
func TestLifecycleFailuresThroughClient(t *testing.T) {
	ctx := context.Background()
	e := newLCEnv(t)
	c := e.client
	agentID, err := c.CreateAgent(ctx, atoms.CreateAgentRequest{Name: "failures"})
	if err != nil {
		t.Fatal(err)
	}
	v1 := e.sim.Agents()[0].ActiveVersionID
	fork := func() string {
		t.Helper()
		d, err := c.CreateDraft(ctx, agentID, atoms.CreateDraftRequest{SourceVersionID: v1})
		if err != nil {
			t.Fatal(err)
		}
		return d.DraftID
	}

	t.Run("failed security check is not pending", func(t *testing.T) {
		if err := e.sim.FailNextCheck(agentID, "failed", "prompt injection"); err != nil {
			t.Fatal(err)
		}
		v, err := c.PublishDraft(ctx, agentID, fork(), atoms.PublishRequest{Label: "bad"})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(atomsim.DefaultCheckDelay)
		vd, err := c.GetVersion(ctx, agentID, v.ID)
		if err != nil || vd.Version.Outcome() != atoms.CheckBad || vd.Version.SecurityCheck.Reason != "prompt injection" {
			t.Fatalf("GetVersion: %+v %v", vd, err)
		}
		_, err = c.ActivateVersion(ctx, agentID, v.ID)
		if ae := apiErr(t, err); ae.Status != 403 || errors.Is(err, atoms.ErrSecurityCheckPending) {
			t.Fatalf("activate failed version: %v", err)
		}
	})

	t.Run("publish is never retried", func(t *testing.T) {
		tests := []struct {
			name    string
			faults  atomsim.Faults
			created bool
		}{
			{"failed before the effect", atomsim.Faults{ErrorRate: 1, Methods: []string{"POST"}}, false},
			{"failed after the effect", atomsim.Faults{AfterEffectRate: 1, Methods: []string{"POST"}}, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				draftID := fork()
				before := len(e.sim.Agents()[0].Versions)
				e.sim.SetFaults(tt.faults)
				e.sim.ResetCalls()
				_, err := c.PublishDraft(ctx, agentID, draftID, atoms.PublishRequest{Label: "flaky"})
				e.sim.SetFaults(atomsim.Faults{})
				if err == nil || !atoms.Ambiguous(err) {
					t.Fatalf("PublishDraft under faults: %v", err)
				}
				if n := e.sim.CountCalls("POST", "/agent/*/drafts/*/publish"); n != 1 {
					t.Fatalf("publish sent %d times", n)
				}
				// How a caller finds out: the draft is gone and a version names it.
				versions, err := c.AllVersions(ctx, agentID)
				if err != nil {
					t.Fatal(err)
				}
				fromDraft := slices.ContainsFunc(versions, func(v atoms.Version) bool { return v.Extra.String("sourceDraftId") == draftID })
				_, draftErr := c.GetDraft(ctx, agentID, draftID, 0)
				if fromDraft != tt.created || errors.Is(draftErr, atoms.ErrNotFound) != tt.created || (len(versions)-before == 1) != tt.created {
					t.Fatalf("created=%v fromDraft=%v draftErr=%v versions %d→%d", tt.created, fromDraft, draftErr, before, len(versions))
				}
			})
		}
	})

	t.Run("reads and activation retry through 25% faults", func(t *testing.T) {
		v, err := c.PublishDraft(ctx, agentID, fork(), atoms.PublishRequest{Label: "ok"})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(atomsim.DefaultCheckDelay)
		e.sim.SetFaults(atomsim.Faults{ErrorRate: 0.25, Seed: 2026, Methods: []string{"GET", "PATCH"}})
		t.Cleanup(func() { e.sim.SetFaults(atomsim.Faults{}) })
		e.sim.ResetCalls()
		for range 15 {
			if _, err := c.GetAgent(ctx, agentID, atoms.GetAgentOptions{}); err != nil {
				t.Fatalf("GetAgent: %v", err)
			}
			if _, err := c.ListVersions(ctx, agentID, atoms.ListVersionsOptions{Limit: 5}); err != nil {
				t.Fatalf("ListVersions: %v", err)
			}
			if _, err := c.ListAgents(ctx, atoms.ListAgentsOptions{Search: "fail"}); err != nil {
				t.Fatalf("ListAgents: %v", err)
			}
			if _, err := c.DiffVersions(ctx, agentID, v1, v.ID); err != nil {
				t.Fatalf("DiffVersions: %v", err)
			}
		}
		if _, err := c.ActivateVersion(ctx, agentID, v.ID); err != nil {
			t.Fatalf("ActivateVersion: %v", err)
		}
		faults := map[string]int{}
		for _, call := range e.sim.Calls() {
			faults[call.Fault]++
		}
		if faults[atomsim.FaultServerError] == 0 || faults[atomsim.FaultRateLimit] == 0 {
			t.Fatalf("the run met no faults: %v", faults)
		}
		e.sleeps.mu.Lock()
		defer e.sleeps.mu.Unlock()
		if !slices.Contains(e.sleeps.d, time.Second) {
			t.Errorf("Retry-After: 1 was not honoured; waits %v", e.sleeps.d)
		}
	})

	t.Run("branch model is a typed, unretried error", func(t *testing.T) {
		e.sim.SetBranchModel(true)
		t.Cleanup(func() { e.sim.SetBranchModel(false) })
		e.sim.ResetCalls()
		_, err := c.CreateDraft(ctx, agentID, atoms.CreateDraftRequest{SourceVersionID: v1})
		if !errors.Is(err, atoms.ErrMigrationRequired) {
			t.Fatalf("CreateDraft: %v", err)
		}
		_, err = c.ListVersions(ctx, agentID, atoms.ListVersionsOptions{})
		if !errors.Is(err, atoms.ErrMigrationRequired) {
			t.Fatalf("ListVersions: %v", err)
		}
		if n := len(e.sim.Calls()); n != 2 {
			t.Fatalf("%d calls, want 2 (no retries)", n)
		}
		if _, err := c.GetVersion(ctx, agentID, v1); err != nil {
			t.Fatalf("kept endpoint GetVersion: %v", err)
		}
	})

	t.Run("diff decodes both shapes alike", func(t *testing.T) {
		draftID := fork()
		msg := "Shapes"
		if _, err := c.UpdateDraftConfig(ctx, agentID, draftID, atoms.ConfigPatch{FirstMessage: &msg}); err != nil {
			t.Fatal(err)
		}
		live, err := c.DiffDraft(ctx, agentID, draftID, v1)
		if err != nil {
			t.Fatal(err)
		}
		e.sim.SetSpecDiffShape(true)
		t.Cleanup(func() { e.sim.SetSpecDiffShape(false) })
		spec, err := c.DiffDraft(ctx, agentID, draftID, v1)
		if err != nil {
			t.Fatal(err)
		}
		paths := func(d *atoms.Diff) []string {
			var out []string
			for _, s := range d.Sections {
				for _, ch := range s.Changes {
					out = append(out, s.Section+":"+ch.Path+"="+string(ch.New))
				}
			}
			return out
		}
		if !slices.Equal(paths(live), []string{`call_handling:firstMessage="Shapes"`}) || !slices.Equal(paths(live), paths(spec)) {
			t.Fatalf("live %v, spec %v", paths(live), paths(spec))
		}
	})
}
