package atomsim

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// The limits the spec documents for the fields a team edits.
const (
	maxFirstMessage = 500
	maxGlobalPrompt = 4000
	maxLabel        = 200
	maxDescription  = 2000
	maxDraftName    = 100
)

var (
	e164Pattern       = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)
	metricIDPattern   = regexp.MustCompile(`^[a-z0-9_]+$`)
	validToolTypes    = []string{"end_call", "transfer_call", "api_call", "extract_dynamic_variables", "knowledge_base_search"}
	validMetricTypes  = []string{"STRING", "BOOLEAN", "INTEGER", "ENUM", "DATETIME"}
	validModels       = []string{"electron", "electron-kogta", "electron-kogta-v2", "gpt-4o", "gpt-4.1", "gpt-5.2", "gpt-realtime", "gpt-realtime-mini"}
	gatedModels       = []string{"electron-kogta", "electron-kogta-v2", "gpt-5.2"}
	validSampleRates  = []float64{8000, 16000, 24000, 44100}
	validWorkflowType = []string{"single_prompt", "workflow_graph"}
)

func invalid(format string, args ...any) *apiError {
	return newErr(http.StatusBadRequest, "Invalid Input: "+fmt.Sprintf(format, args...))
}

// validateConfig checks the recognized config fields of a create or PATCH
// body. It enforces what the sources record (null refused, zod-style;
// language needs switching; length limits; enums) and no more: the platform's
// cross-field rules are not documented well enough to imitate.
func validateConfig(cfg map[string]any) *apiError {
	if p := findNull(cfg, ""); p != "" {
		return invalid("%s: Expected value, received null", p)
	}
	if v, ok := cfg["language"]; ok {
		lang, isMap := v.(map[string]any)
		if !isMap {
			return invalid("language: Expected object, received %s", kindOf(v))
		}
		if _, ok := lang["switching"]; !ok {
			// The verified pitfall: the spec calls switching optional, the API does not.
			return invalid("Required")
		}
	}
	for _, lim := range []struct {
		field string
		max   int
	}{{"firstMessage", maxFirstMessage}, {"globalPrompt", maxGlobalPrompt}} {
		field, limit := lim.field, lim.max
		v, ok := cfg[field]
		if !ok {
			continue
		}
		s, isStr := v.(string)
		if !isStr {
			return invalid("%s: Expected string, received %s", field, kindOf(v))
		}
		if utf8.RuneCountInString(s) > limit {
			return invalid("%s: String must contain at most %d character(s)", field, limit)
		}
	}
	if v, ok := cfg["slmModel"]; ok {
		m, _ := v.(string)
		if !contains(validModels, m) {
			return invalid("slmModel: Invalid enum value. Expected '%s', received '%v'", strings.Join(validModels, "' | '"), v)
		}
		if contains(gatedModels, m) {
			return newErr(http.StatusForbidden, fmt.Sprintf("Model %s is not available for your organization", m))
		}
	}
	if synth, ok := cfg["synthesizer"].(map[string]any); ok {
		if r, ok := synth["sampleRate"]; ok {
			f, _ := r.(float64)
			if !contains(validSampleRates, f) {
				return invalid("synthesizer.sampleRate: Invalid enum value")
			}
		}
	}
	if spc, ok := cfg["singlePromptConfig"]; ok {
		m, isMap := spc.(map[string]any)
		if !isMap {
			return invalid("singlePromptConfig: Expected object, received %s", kindOf(spc))
		}
		if err := validateTools(m["tools"]); err != nil {
			return err
		}
	}
	if pca, ok := cfg["postCallAnalyticsConfig"].(map[string]any); ok {
		if err := validateMetrics(pca["dispositionMetrics"]); err != nil {
			return err
		}
	}
	return nil
}

func validateTools(v any) *apiError {
	if v == nil {
		return nil
	}
	tools, ok := v.([]any)
	if !ok {
		return invalid("singlePromptConfig.tools: Expected array, received %s", kindOf(v))
	}
	for i, t := range tools {
		tool, ok := t.(map[string]any)
		if !ok {
			return invalid("singlePromptConfig.tools[%d]: Expected object, received %s", i, kindOf(t))
		}
		typ, _ := tool["type"].(string)
		if !contains(validToolTypes, typ) {
			return invalid("singlePromptConfig.tools[%d].type: Invalid enum value", i)
		}
		name, _ := tool["name"].(string)
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return invalid("singlePromptConfig.tools[%d].name: must be a non-empty name without spaces", i)
		}
		if _, ok := tool["description"].(string); !ok {
			return invalid("singlePromptConfig.tools[%d].description: Required", i)
		}
		if typ == "transfer_call" {
			if n, _ := tool["transferNumber"].(string); !e164Pattern.MatchString(n) {
				return invalid("singlePromptConfig.tools[%d].transferNumber: Invalid phone number", i)
			}
		}
	}
	return nil
}

func validateMetrics(v any) *apiError {
	if v == nil {
		return nil
	}
	metrics, ok := v.([]any)
	if !ok {
		return invalid("postCallAnalyticsConfig.dispositionMetrics: Expected array, received %s", kindOf(v))
	}
	for i, m := range metrics {
		metric, _ := m.(map[string]any)
		id, _ := metric["identifier"].(string)
		if !metricIDPattern.MatchString(id) {
			return invalid("postCallAnalyticsConfig.dispositionMetrics[%d].identifier: Invalid", i)
		}
		typ, _ := metric["dispositionMetricType"].(string)
		if !contains(validMetricTypes, typ) {
			return invalid("postCallAnalyticsConfig.dispositionMetrics[%d].dispositionMetricType: Invalid enum value", i)
		}
		if choices, _ := metric["choices"].([]any); typ == "ENUM" && len(choices) == 0 {
			return invalid("postCallAnalyticsConfig.dispositionMetrics[%d].choices: Required", i)
		}
	}
	return nil
}

// findNull returns the path of the first null in v, or "".
func findNull(v any, path string) string {
	switch t := v.(type) {
	case nil:
		if path == "" {
			return "(root)"
		}
		return path
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			e := t[k]
			p := k
			if path != "" {
				p = path + "." + k
			}
			if r := findNull(e, p); r != "" {
				return r
			}
		}
	case []any:
		for i, e := range t {
			if r := findNull(e, fmt.Sprintf("%s[%d]", path, i)); r != "" {
				return r
			}
		}
	}
	return ""
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func contains[T comparable](list []T, v T) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}
