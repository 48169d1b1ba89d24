package atoms

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n got: %s\nwant: %s", name, got, want)
	}
}

func TestDiffSpecShapeGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "diff_spec.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d Diff
	if err := json.Unmarshal(in, &d); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	golden(t, "diff_spec.golden.json", out)

	// What a renderer relies on, spelled out.
	if d.Empty() {
		t.Error("Empty() = true")
	}
	for i := 1; i < len(d.Sections); i++ {
		if d.Sections[i-1].Section >= d.Sections[i].Section {
			t.Errorf("sections not sorted: %q before %q", d.Sections[i-1].Section, d.Sections[i].Section)
		}
	}
	if want := []string{"privacy", "timeouts", "voice"}; !reflect.DeepEqual(d.UnchangedSections, want) {
		t.Errorf("unchanged = %q, want %q", d.UnchangedSections, want)
	}

	// The decoded form re-decodes to itself through the live shape.
	var again Diff
	if err := json.Unmarshal(out, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(normalize(t, again), normalize(t, d)) {
		t.Errorf("round trip changed the diff:\n%+v\n%+v", again, d)
	}
}

// normalize re-encodes a diff so RawMessage formatting does not matter.
func normalize(t *testing.T, d Diff) any {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDiffLiveShape(t *testing.T) {
	const in = `{"unchangedSections":["voice","language"],"diffs":[
		{"section":"workflow_prompt","changes":[{"path":"prompt","oldValue":"a","newValue":"b"}]},
		{"section":"detection","changes":[
			{"path":"smartTurnConfig.isEnabled","oldValue":null,"newValue":true},
			{"path":"pronunciationDicts[0].word","oldValue":"Acme","newValue":null},
			{"path":"synthesizerSampleRate","oldValue":16000,"newValue":24000}]}]}`
	var d Diff
	if err := json.Unmarshal([]byte(in), &d); err != nil {
		t.Fatal(err)
	}
	want := Diff{
		UnchangedSections: []string{"voice", "language"},
		Sections: []SectionDiff{
			{Section: "workflow_prompt", Changes: []Change{{Path: "prompt", Old: raw(`"a"`), New: raw(`"b"`)}}},
			{Section: "detection", Changes: []Change{
				{Path: "smartTurnConfig.isEnabled", Old: raw(`null`), New: raw(`true`)},
				{Path: "pronunciationDicts[0].word", Old: raw(`"Acme"`), New: raw(`null`)},
				{Path: "synthesizerSampleRate", Old: raw(`16000`), New: raw(`24000`)},
			}},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", d, want)
	}
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// TestDiffSpecSections checks the flattening rules one section at a time.
func TestDiffSpecSections(t *testing.T) {
	tests := []struct {
		name          string
		section       string // the spec section member
		wantChanges   []string
		wantUnchanged bool
	}{
		{
			name:        "scalar leaf",
			section:     `{"before":{"prompt":"a"},"after":{"prompt":"b"},"changed":true}`,
			wantChanges: []string{`prompt: "a" -> "b"`},
		},
		{
			name:        "nested objects, only differing leaves",
			section:     `{"before":{"smartTurnConfig":{"isEnabled":false,"waitTimeInSecs":1}},"after":{"smartTurnConfig":{"isEnabled":true,"waitTimeInSecs":1}},"changed":true}`,
			wantChanges: []string{`smartTurnConfig.isEnabled: false -> true`},
		},
		{
			name:    "arrays by index, grown and shrunk",
			section: `{"before":{"supported":["en","hi","ta"]},"after":{"supported":["en","mr"]},"changed":true}`,
			wantChanges: []string{
				`supported[1]: "hi" -> "mr"`,
				`supported[2]: "ta" -> null`,
			},
		},
		{
			name:        "index order is numeric",
			section:     `{"before":{"a":[0,1,2,3,4,5,6,7,8,9,10,11]},"after":{"a":[0,1,9,3,4,5,6,7,8,9,10,12]},"changed":true}`,
			wantChanges: []string{`a[2]: 2 -> 9`, `a[11]: 11 -> 12`},
		},
		{
			name:        "null and absent are the same",
			section:     `{"before":{"x":null,"y":1},"after":{"y":1},"changed":true}`,
			wantChanges: []string{`: {"x":null,"y":1} -> {"y":1}`},
		},
		{
			name:          "null and absent, changed not given",
			section:       `{"before":{"x":null},"after":{}}`,
			wantUnchanged: true,
		},
		{
			name:        "numbers compared by value",
			section:     `{"before":{"speed":1,"n":12345678901234567890},"after":{"speed":1.0,"n":12345678901234567891},"changed":true}`,
			wantChanges: []string{`n: 12345678901234567890 -> 12345678901234567891`},
		},
		{
			name:        "object replaced by a scalar",
			section:     `{"before":{"timezone":{"label":"UTC","offset":0}},"after":{"timezone":"Asia/Kolkata"},"changed":true}`,
			wantChanges: []string{`timezone.label: "UTC" -> null`, `timezone.offset: 0 -> null`, `timezone: null -> "Asia/Kolkata"`},
		},
		{
			name:        "section added",
			section:     `{"before":null,"after":{"slmModel":"gpt-4.1","tools":[{"name":"t"}]},"changed":true}`,
			wantChanges: []string{`slmModel: null -> "gpt-4.1"`, `tools[0].name: null -> "t"`},
		},
		{
			name:        "section removed, before/after missing",
			section:     `{"before":{"slmModel":"electron"},"changed":true}`,
			wantChanges: []string{`slmModel: "electron" -> null`},
		},
		{
			name:        "section value not an object",
			section:     `{"before":"a","after":"b","changed":true}`,
			wantChanges: []string{`sec: "a" -> "b"`},
		},
		{
			name:        "html kept readable",
			section:     `{"before":{"p":"a"},"after":{"p":"<b> & c"},"changed":true}`,
			wantChanges: []string{`p: "a" -> "<b> & c"`},
		},
		{
			name:          "changed false trusted",
			section:       `{"before":{"p":"a"},"after":{"p":"b"},"changed":false}`,
			wantUnchanged: true,
		},
		{
			name:          "changed missing and equal",
			section:       `{"before":{"p":"a"},"after":{"p":"a"}}`,
			wantUnchanged: true,
		},
		{
			name:        "changed missing and different",
			section:     `{"before":{"p":"a"},"after":{"p":"b"}}`,
			wantChanges: []string{`p: "a" -> "b"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Diff
			if err := json.Unmarshal([]byte(`{"sections":{"sec":`+tt.section+`},"hasChanges":true}`), &d); err != nil {
				t.Fatal(err)
			}
			if tt.wantUnchanged {
				if !d.Empty() || !reflect.DeepEqual(d.UnchangedSections, []string{"sec"}) {
					t.Errorf("diff = %+v, want sec unchanged", d)
				}
				return
			}
			if len(d.Sections) != 1 || d.Sections[0].Section != "sec" || len(d.UnchangedSections) != 0 {
				t.Fatalf("diff = %+v, want one changed section sec", d)
			}
			var got []string
			for _, c := range d.Sections[0].Changes {
				got = append(got, c.Path+": "+string(c.Old)+" -> "+string(c.New))
			}
			if !reflect.DeepEqual(got, tt.wantChanges) {
				t.Errorf("changes\n %s\nwant\n %s", strings.Join(got, "\n "), strings.Join(tt.wantChanges, "\n "))
			}
		})
	}
}

func TestDiffOddInputs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		empty   bool
	}{
		{"empty object", `{}`, false, true},
		{"nulls", `{"unchangedSections":null,"diffs":null}`, false, true},
		{"spec without sections changed", `{"sections":{},"hasChanges":false}`, false, true},
		{"bad section value", `{"sections":{"a":{"before":{"x":1},"after":{"x":[}}}}`, true, false},
		{"diffs not a list", `{"diffs":{}}`, true, false},
		{"not an object", `[]`, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d Diff
			err := json.Unmarshal([]byte(tt.in), &d)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && d.Empty() != tt.empty {
				t.Errorf("Empty() = %v, want %v", d.Empty(), tt.empty)
			}
		})
	}
}

// TestDiffThroughClient: both endpoints decode both shapes.
func TestDiffThroughClient(t *testing.T) {
	shapes := map[string]string{
		"live": `{"unchangedSections":["voice"],"diffs":[{"section":"llm","changes":[{"path":"slmModel","oldValue":"electron","newValue":"gpt-4.1"}]}]}`,
		"spec": `{"sections":{"voice":{"before":{},"after":{},"changed":false},"llm":{"before":{"slmModel":"electron"},"after":{"slmModel":"gpt-4.1"},"changed":true}},"hasChanges":true}`,
	}
	for name, body := range shapes {
		t.Run(name, func(t *testing.T) {
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) { ok(w, 200, body) })
			c, _ := newTestClient(t, f.URL(), nil)
			for _, get := range []func() (*Diff, error){
				func() (*Diff, error) { return c.DiffDraft(context.Background(), "a1", "d1", "v1") },
				func() (*Diff, error) { return c.DiffVersions(context.Background(), "a1", "v1", "v2") },
			} {
				d, err := get()
				if err != nil {
					t.Fatal(err)
				}
				want := Diff{UnchangedSections: []string{"voice"}, Sections: []SectionDiff{{Section: "llm",
					Changes: []Change{{Path: "slmModel", Old: raw(`"electron"`), New: raw(`"gpt-4.1"`)}}}}}
				if !reflect.DeepEqual(*d, want) {
					t.Errorf("diff = %+v, want %+v", *d, want)
				}
			}
		})
	}
}
