package atoms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// specSection is one section of the spec's diff shape.
type specSection struct {
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
	Changed *bool           `json:"changed"`
}

// UnmarshalJSON decodes both documented diff shapes (the live API and the spec disagree): the
// live {unchangedSections, diffs:[{section, changes}]} as is, and the spec's
// {sections:{name:{before, after, changed}}, hasChanges} flattened into
// leaf changes, sections in name order. Marshalling gives the live shape.
func (d *Diff) UnmarshalJSON(b []byte) error {
	var w struct {
		UnchangedSections []string               `json:"unchangedSections"`
		Diffs             []SectionDiff          `json:"diffs"`
		Sections          map[string]specSection `json:"sections"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Diffs != nil || w.UnchangedSections != nil || w.Sections == nil {
		*d = Diff{UnchangedSections: w.UnchangedSections, Sections: w.Diffs}
		return nil
	}
	out := Diff{UnchangedSections: []string{}, Sections: []SectionDiff{}}
	for _, name := range slices.Sorted(maps.Keys(w.Sections)) {
		s := w.Sections[name]
		if s.Changed != nil && !*s.Changed {
			out.UnchangedSections = append(out.UnchangedSections, name)
			continue
		}
		changes, err := diffSection(name, s.Before, s.After)
		if err != nil {
			return fmt.Errorf("diff section %s: %w", name, err)
		}
		if len(changes) == 0 {
			if s.Changed == nil {
				out.UnchangedSections = append(out.UnchangedSections, name)
				continue
			}
			// The server says it changed but no leaf differs (an emptied
			// object, say): report the section as a whole, path "".
			changes = []Change{{Path: "", Old: orNull(s.Before), New: orNull(s.After)}}
		}
		out.Sections = append(out.Sections, SectionDiff{Section: name, Changes: changes})
	}
	*d = out
	return nil
}

// diffSection lists the leaves that differ between before and after. Paths
// use the config's own (camelCase) keys joined by dots, with [i] for array
// elements; a section whose value is not an object is prefixed with its name.
// null and absent are the same: the API treats a null optional as unset.
func diffSection(name string, before, after json.RawMessage) ([]Change, error) {
	a, err := decodeAny(before)
	if err != nil {
		return nil, err
	}
	bv, err := decodeAny(after)
	if err != nil {
		return nil, err
	}
	root := ""
	if !isObjectOrNil(a) || !isObjectOrNil(bv) {
		root = name
	}
	var out []Change
	var werr error
	walkDiff(root, a, bv, func(path string, old, new any) {
		o, err1 := encodeLeaf(old)
		n, err2 := encodeLeaf(new)
		if werr == nil {
			werr = firstErr(err1, err2)
		}
		out = append(out, Change{Path: path, Old: o, New: n})
	})
	return out, werr
}

// walkDiff visits a and b together, calling emit for each differing leaf.
// nil stands for null or absent.
func walkDiff(path string, a, b any, emit func(path string, old, new any)) {
	ao, aObj := a.(map[string]any)
	bo, bObj := b.(map[string]any)
	aa, aArr := a.([]any)
	ba, bArr := b.([]any)
	switch {
	case (aObj || a == nil) && (bObj || b == nil) && (aObj || bObj):
		keys := make([]string, 0, len(ao)+len(bo))
		for k := range ao {
			keys = append(keys, k)
		}
		for k := range bo {
			if _, dup := ao[k]; !dup {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			walkDiff(joinKey(path, k), ao[k], bo[k], emit)
		}
	case (aArr || a == nil) && (bArr || b == nil) && (aArr || bArr):
		for i := range max(len(aa), len(ba)) {
			var x, y any
			if i < len(aa) {
				x = aa[i]
			}
			if i < len(ba) {
				y = ba[i]
			}
			walkDiff(path+"["+strconv.Itoa(i)+"]", x, y, emit)
		}
	case aObj || aArr || bObj || bArr:
		// A container on one side, something else on the other: the old
		// leaves go, the new ones come.
		walkDiff(path, a, nil, emit)
		walkDiff(path, nil, b, emit)
	default:
		if !scalarEqual(a, b) {
			emit(path, a, b)
		}
	}
}

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// scalarEqual compares JSON scalars; numbers exactly by value, so 1 equals
// 1.0 but two large ids that round to the same float64 do not.
func scalarEqual(a, b any) bool {
	an, aNum := a.(json.Number)
	bn, bNum := b.(json.Number)
	if aNum && bNum {
		if an == bn {
			return true
		}
		x, err1 := an.Float64()
		y, err2 := bn.Float64()
		if err1 != nil || err2 != nil || x != y {
			return false
		}
		if strings.ContainsAny(string(an)+string(bn), "eE") {
			return true // exact comparison of exponents could cost unbounded memory
		}
		p, ok1 := new(big.Rat).SetString(string(an))
		q, ok2 := new(big.Rat).SetString(string(bn))
		return ok1 && ok2 && p.Cmp(q) == 0
	}
	return a == b
}

func isObjectOrNil(v any) bool {
	_, ok := v.(map[string]any)
	return ok || v == nil
}

// decodeAny decodes raw keeping numbers as written.
func decodeAny(raw json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeLeaf renders a leaf as raw JSON without HTML escaping, so a prompt
// with "<" stays readable; nil becomes null.
func encodeLeaf(v any) (json.RawMessage, error) {
	if v == nil {
		return json.RawMessage("null"), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

func orNull(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("null")
	}
	return raw
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
