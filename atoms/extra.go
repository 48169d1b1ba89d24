package atoms

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
)

// Extra holds the members of a JSON object that a type does not model, so a
// decode/encode round trip never drops a field the platform added later.
type Extra map[string]json.RawMessage

// knownKeys caches, per struct type, the JSON member names its fields claim.
var knownKeys sync.Map // reflect.Type -> map[string]struct{}

func keysOf(t reflect.Type) map[string]struct{} {
	if k, ok := knownKeys.Load(t); ok {
		return k.(map[string]struct{})
	}
	keys := make(map[string]struct{}, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		keys[name] = struct{}{}
	}
	knownKeys.Store(t, keys)
	return keys
}

// unmarshalWithExtra decodes data into known (a pointer to a struct whose
// own methods are not UnmarshalJSON) and stores the remaining members in extra.
func unmarshalWithExtra(data []byte, known any, extra *Extra) error {
	if err := json.Unmarshal(data, known); err != nil {
		return err
	}
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil {
		return err
	}
	keys := keysOf(reflect.TypeOf(known).Elem())
	*extra = nil
	for k, v := range all {
		if _, ok := keys[k]; ok {
			continue
		}
		if *extra == nil {
			*extra = make(Extra)
		}
		(*extra)[k] = v
	}
	return nil
}

// marshalWithExtra encodes known and adds the members of extra it does not
// already contain. A null extra member is left out: the API rejects null on
// optional fields.
func marshalWithExtra(known any, extra Extra) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := all[k]; ok || isNull(v) {
			continue
		}
		all[k] = v
	}
	return json.Marshal(all)
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}
