package atomsim

import (
	"encoding/json"
	"fmt"
)

// deepMerge writes src into dst the way the platform's deepMerge does:
// objects are merged key by key, everything else (arrays included) replaces
// the stored value wholesale.
func deepMerge(dst, src map[string]any) {
	for k, sv := range src {
		sm, sIsMap := sv.(map[string]any)
		dm, dIsMap := dst[k].(map[string]any)
		if sIsMap && dIsMap {
			deepMerge(dm, sm)
			continue
		}
		dst[k] = deepCopy(sv)
	}
}

// deepCopy copies a JSON-shaped value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func copyConfig(cfg map[string]any) map[string]any {
	return deepCopy(cfg).(map[string]any)
}

// normalize turns a Go value into its JSON-decoded form (float64 numbers,
// map[string]any objects) so that values compare with reflect.DeepEqual.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("normalize: %w", err)
	}
	return out, nil
}

// configFields returns the recognized config fields of a request body.
func configFields(body map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		if isConfigField(k) {
			out[k] = v
		}
	}
	return out
}
