package atomsim

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
)

// change is one changed leaf. Paths are camelCase with dots and [i]
// indexes, relative to the section view (so singlePromptConfig.prompt is
// "prompt" and synthesizer.sampleRate is "synthesizerSampleRate", as live).
type change struct {
	Path string `json:"path"`
	Old  any    `json:"oldValue"`
	New  any    `json:"newValue"`
}

type sectionDiff struct {
	Section string   `json:"section"`
	Changes []change `json:"changes"`
}

// liveDiff is the AgentVersionDiff shape the live CI test reads.
type liveDiff struct {
	UnchangedSections []string      `json:"unchangedSections"`
	Diffs             []sectionDiff `json:"diffs"`
}

// specDiff is the shape the OpenAPI file types for the draft diff.
type specDiff struct {
	Sections   map[string]specSection `json:"sections"`
	HasChanges bool                   `json:"hasChanges"`
}

type specSection struct {
	Before  any  `json:"before"`
	After   any  `json:"after"`
	Changed bool `json:"changed"`
}

// diffConfigs compares two configs section by section. Values equal on both
// sides produce nothing, and since every version is created over the
// platform defaults, sending a default value is no change either.
func diffConfigs(sections []string, oldCfg, newCfg map[string]any) []sectionDiff {
	out := make([]sectionDiff, 0, len(sections))
	for _, sec := range sections {
		var ch []change
		diffValues("", sectionView(oldCfg, sec), sectionView(newCfg, sec), &ch)
		out = append(out, sectionDiff{Section: sec, Changes: ch})
	}
	return out
}

// diffValues walks two JSON values. Objects and arrays are walked leaf by
// leaf, except tools: each tool is one leaf (tools[i]) holding the whole
// tool object, which reads better in a review than a dozen nested paths.
func diffValues(path string, a, b any, out *[]change) {
	if reflect.DeepEqual(a, b) {
		return
	}
	am, aMap := a.(map[string]any)
	bm, bMap := b.(map[string]any)
	if aMap && bMap {
		keys := slices.Sorted(maps.Keys(am))
		for k := range bm {
			if _, ok := am[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffValues(p, am[k], bm[k], out)
		}
		return
	}
	aa, aArr := a.([]any)
	ba, bArr := b.([]any)
	if aArr && bArr {
		for i := range max(len(aa), len(ba)) {
			ea, eb := at(aa, i), at(ba, i)
			p := fmt.Sprintf("%s[%d]", path, i)
			if path == "tools" {
				if !reflect.DeepEqual(ea, eb) {
					*out = append(*out, change{Path: p, Old: ea, New: eb})
				}
				continue
			}
			diffValues(p, ea, eb, out)
		}
		return
	}
	*out = append(*out, change{Path: path, Old: a, New: b})
}

func at(list []any, i int) any {
	if i < len(list) {
		return list[i]
	}
	return nil
}

// renderDiff answers a v1 diff in the configured shape.
func (s *Simulator) renderDiff(oldCfg, newCfg map[string]any) *response {
	return s.renderDiffIn(sectionNames(), oldCfg, newCfg)
}

func (s *Simulator) renderDiffIn(sections []string, oldCfg, newCfg map[string]any) *response {
	diffs := diffConfigs(sections, oldCfg, newCfg)
	if s.specDiff {
		sd := specDiff{Sections: make(map[string]specSection, len(diffs))}
		for _, d := range diffs {
			changed := len(d.Changes) > 0
			sd.HasChanges = sd.HasChanges || changed
			sd.Sections[d.Section] = specSection{
				Before:  sectionView(oldCfg, d.Section),
				After:   sectionView(newCfg, d.Section),
				Changed: changed,
			}
		}
		return okResponse(http.StatusOK, sd)
	}
	ld := liveDiff{UnchangedSections: []string{}, Diffs: []sectionDiff{}}
	for _, d := range diffs {
		if len(d.Changes) == 0 {
			ld.UnchangedSections = append(ld.UnchangedSections, d.Section)
			continue
		}
		ld.Diffs = append(ld.Diffs, d)
	}
	return okResponse(http.StatusOK, ld)
}

// draftDiff is GET /agent/{id}/drafts/{draftId}/diff?compareTo= (the
// lifecycle guide's versionId= is accepted too); the default base is the
// version the draft was forked from. Old is the version, new the draft.
func (s *Simulator) draftDiff(rq *request) *response {
	a, d, e := s.draftFor(rq)
	if e != nil {
		return errResponse(e)
	}
	base := cmpOr(rq.query.Get("compareTo"), rq.query.Get("versionId"))
	base = cmpOr(base, d.sourceVersionID)
	if !isObjectID(base) {
		return errResponse(newErr(http.StatusBadRequest, "Invalid version id"))
	}
	v := a.version(base)
	if v == nil {
		return errResponse(errVersionNotFound())
	}
	return s.renderDiff(v.config, d.config)
}

// versionsDiff is GET /agent/{id}/versions/diff?versionA=&versionB= (the
// guide's baseId=/compareId= are accepted too). Each side is a published
// version or, failing that, the latest revision record of an open draft.
func (s *Simulator) versionsDiff(rq *request) *response {
	a, e := s.agentFor(rq.param(0), errAgentNotFound)
	if e != nil {
		return errResponse(e)
	}
	idA := cmpOr(rq.query.Get("versionA"), rq.query.Get("baseId"))
	idB := cmpOr(rq.query.Get("versionB"), rq.query.Get("compareId"))
	if idA == "" || idB == "" {
		return errResponse(invalid("versionA and versionB are required"))
	}
	cfgA, e := configByID(a, idA)
	if e != nil {
		return errResponse(e)
	}
	cfgB, e := configByID(a, idB)
	if e != nil {
		return errResponse(e)
	}
	return s.renderDiff(cfgA, cfgB)
}

func configByID(a *agent, id string) (map[string]any, *apiError) {
	if !isObjectID(id) {
		return nil, newErr(http.StatusBadRequest, "Invalid version id")
	}
	if v := a.version(id); v != nil {
		return v.config, nil
	}
	if d := a.draftByRecord(id); d != nil {
		return d.config, nil
	}
	return nil, errVersionNotFound()
}
