package atoms

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchClient answers every request with payload from memory, so the
// benchmarks measure the client's own path: request building, limiter,
// envelope and data decoding.
func benchClient(b *testing.B, payload []byte) *Client {
	b.Helper()
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{
			StatusCode: 200,
			Header:     http.Header{"Content-Type": {"application/json"}},
			Body:       io.NopCloser(bytes.NewReader(payload)),
			Request:    r,
		}, nil
	})
	c, err := New(Options{APIKey: testKey, BaseURL: "https://api.example.test/atoms/v1",
		HTTPClient: &http.Client{Transport: rt}, RPS: math.Inf(1)})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

var sectionNames = []string{"workflow_prompt", "workflow_tools", "workflow_graph", "llm", "voice", "language",
	"call_handling", "detection", "analytics", "timeouts", "audio", "privacy", "widget"}

// versionJSON is a published version as GET /versions lists it.
func versionJSON(n int) string {
	var blocks []string
	for i, s := range sectionNames {
		blocks = append(blocks, fmt.Sprintf(`"%s":"66a%021d"`, s, n*100+i))
	}
	return fmt.Sprintf(`{"_id":"66b%021d","agent":"60d0fe4f5311236168a109ca","status":"published","versionNumber":%d,`+
		`"label":"v%d - tweak greeting","description":"Shorter first message and a transfer tool","isPinned":%t,"isActive":%t,`+
		`"publishedBy":"60d0fe4f5311236168a10001","publishedByName":"Asha Rao","publishedAt":"2026-06-11T10:00:00.000Z",`+
		`"activatedBy":"60d0fe4f5311236168a10001","activatedByName":"Asha Rao","activatedAt":"2026-06-11T10:00:07.000Z",`+
		`"sourceVersionId":"66b%021d","parentVersion":"66b%021d","workflowType":"single_prompt","blocks":{%s},`+
		`"securityCheck":{"status":"passed","reason":null,"triggeredAt":"2026-06-11T10:00:00.000Z","completedAt":"2026-06-11T10:00:06.000Z"},`+
		`"createdBy":"60d0fe4f5311236168a10001","createdAt":"2026-06-11T09:58:00.000Z","updatedAt":"2026-06-11T10:00:07.000Z","__v":0}`,
		n, n, n, n%5 == 0, n == 20, n-1, n-1, strings.Join(blocks, ","))
}

func BenchmarkDecodeVersionList(b *testing.B) {
	var vs []string
	for n := 20; n >= 1; n-- {
		vs = append(vs, versionJSON(n))
	}
	payload := []byte(`{"status":true,"data":{"versions":[` + strings.Join(vs, ",") + `],"total":20}}`)
	c := benchClient(b, payload)
	ctx := context.Background()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		l, err := c.ListVersions(ctx, "60d0fe4f5311236168a109ca", ListVersionsOptions{Limit: 20})
		if err != nil || len(l.Versions) != 20 {
			b.Fatalf("%v %d", err, len(l.Versions))
		}
	}
}

// BenchmarkDecodeBranchList decodes GET /branches of an agent with Main and
// nine other branches (the answer a watcher polls per agent).
func BenchmarkDecodeBranchList(b *testing.B) {
	items := []string{fxSummary(fxBranch(fxMain, "Main", true, fxRev1, ""), false, false, 12, 12)}
	for i := 2; i <= 10; i++ {
		id, head, draft := fmt.Sprintf("66c%021d", i), fmt.Sprintf("66d%021d", i), ""
		if i%3 == 0 {
			draft = fmt.Sprintf("drf_%012d", i)
		}
		items = append(items, fxSummary(fxBranch(id, fmt.Sprintf("atomsbot-promotion-%d", i), false, head, draft), i == 10, draft != "", i, i))
	}
	payload := []byte(`{"status":true,"data":{"branches":[` + strings.Join(items, ",") + `]}}`)
	c := benchClient(b, payload)
	ctx := context.Background()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		bs, err := c.ListBranches(ctx, fxAgent)
		if err != nil || len(bs) != 10 || !bs[9].IsLive {
			b.Fatalf("%v %d", err, len(bs))
		}
	}
}

func BenchmarkDecodeDiff(b *testing.B) {
	spec, err := os.ReadFile(filepath.Join("testdata", "diff_spec.json"))
	if err != nil {
		b.Fatal(err)
	}
	live := `{"unchangedSections":["voice","privacy","timeouts","audio","widget","workflow_graph"],"diffs":[` +
		`{"section":"workflow_prompt","changes":[{"path":"prompt","oldValue":"You are a helpful assistant for Acme.","newValue":"You are a helpful assistant for Acme. Keep answers short."}]},` +
		`{"section":"call_handling","changes":[{"path":"firstMessage","oldValue":"Hi!","newValue":"Hello, this is the lifecycle demo agent."},{"path":"allowInterruptions","oldValue":true,"newValue":false}]},` +
		`{"section":"workflow_tools","changes":[{"path":"tools[0].description","oldValue":"End the call","newValue":"End the call when the caller says goodbye"},{"path":"tools[1].transferNumber","oldValue":"+15550100","newValue":"+15550199"},{"path":"tools[2].name","oldValue":null,"newValue":"kb"}]},` +
		`{"section":"detection","changes":[{"path":"smartTurnConfig.isEnabled","oldValue":false,"newValue":true},{"path":"smartTurnConfig.waitTimeInSecs","oldValue":null,"newValue":2}]},` +
		`{"section":"language","changes":[{"path":"language.supported[1]","oldValue":"hi","newValue":null},{"path":"language.switching.isEnabled","oldValue":false,"newValue":true}]},` +
		`{"section":"llm","changes":[{"path":"slmModel","oldValue":"electron","newValue":"gpt-4.1"}]}]}`
	for _, shape := range []struct {
		name string
		data string
	}{{"live", live}, {"spec", string(spec)}} {
		b.Run(shape.name, func(b *testing.B) {
			payload := []byte(`{"status":true,"data":` + shape.data + `}`)
			c := benchClient(b, payload)
			ctx := context.Background()
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				d, err := c.DiffDraft(ctx, "60d0fe4f5311236168a109ca", "draft_1", "66b000000000000000000001")
				if err != nil || d.Empty() {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkGetAgent(b *testing.B) {
	payload := []byte(`{"status":true,"data":{"_id":"60d0fe4f5311236168a109ca","name":"Support line","description":"Inbound support",` +
		`"organization":"60d0fe4f5311236168a10000","workflowId":"60d0fe4f5311236168a10002","workflowType":"single_prompt",` +
		`"createdBy":"60d0fe4f5311236168a10001","createdAt":"2026-04-01T09:00:00.000Z","updatedAt":"2026-06-11T10:00:07.000Z",` +
		`"totalCalls":1289,"archived":false,"phoneNumber":["+15550100"],"visibleToEveryone":false,"allowInboundCall":true,` +
		`"activeVersionId":"66b000000000000000000020","versionId":"66b000000000000000000020",` +
		`"backgroundSound":"office","language":{"default":"en","supported":["en","hi"],"switching":{"isEnabled":true,"minWordsForDetection":2}},` +
		`"synthesizer":{"voiceConfig":{"model":"waves_lightning_v3_1","voiceId":"nyah","gender":"female"},"speed":1.2,"consistency":0.5,"similarity":0,"enhancement":1,"sampleRate":16000},` +
		`"slmModel":"gpt-4.1","firstMessage":"Hello, this is Acme support.","allowInterruptions":true,"timezone":{"label":"(GMT+0:00) UTC","offset":0},` +
		`"_resolvedConfig":{"prompt":"` + strings.Repeat("You are the Acme support agent. Be brief and polite. ", 40) + `",` +
		`"tools":[{"type":"end_call","name":"end_call","description":"End the call"},` +
		`{"type":"transfer_call","name":"transfer","description":"To a human","transferNumber":"+15550199","transferOption":{"type":"warm_transfer"}},` +
		`{"type":"api_call","name":"lookup","description":"Look up the order","url":"https://example.test/orders","method":"GET","timeout":5000,` +
		`"llmParameters":[{"name":"orderId","description":"The order id","type":"text","required":true}]}],` +
		`"postCallAnalyticsConfig":{"dispositionMetrics":[{"identifier":"resolved","dispositionMetricPrompt":"Was it resolved?","dispositionMetricType":"BOOLEAN"}]},` +
		`"callDispositionConfig":"","modelName":"gpt-4.1","transcriberType":"pulse","defaultLanguage":"en","supportedLanguages":["en","hi"],` +
		`"languageSwitching":{"isEnabled":true},"firstMessage":"Hello, this is Acme support.","globalPrompt":"","workflowGraph":null,` +
		`"muteUserUntilFirstBotResponse":false,"allowInterruptions":true,"voiceDetectionConfig":{"confidence":0.7,"minVolume":0.6},` +
		`"smartTurnConfig":{"isEnabled":true,"waitTimeInSecs":1},"backgroundSound":"office","denoisingConfig":{"isEnabled":false},` +
		`"redactionConfig":{"isEnabled":true},"llmIdleTimeoutConfig":{"chatTimeoutTimeInSecs":60},"sessionTimeoutConfig":{"timeoutTimeInSecs":1800}}}}`)
	c := benchClient(b, payload)
	ctx := context.Background()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		a, err := c.GetAgent(ctx, "60d0fe4f5311236168a109ca", GetAgentOptions{})
		if err != nil || a.ResolvedConfig == nil || len(a.ResolvedConfig.Tools) != 3 {
			b.Fatal(err)
		}
	}
}
