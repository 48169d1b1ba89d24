package atomsim

import (
	"encoding/json"
	"maps"
)

// The 13 config sections ("blocks") of a v1 version, in the spec's order.
func sectionNames() []string {
	return []string{
		"workflow_prompt", "workflow_tools", "workflow_graph", "llm", "voice", "language",
		"call_handling", "detection", "analytics", "timeouts", "audio", "privacy", "widget",
	}
}

// sectionOf maps a top-level config field to its section. The mapping is not
// documented; this one groups fields by what they configure. singlePromptConfig
// spans two sections and is handled by the callers.
func sectionOf(field string) (string, bool) {
	switch field {
	case "globalPrompt":
		return "workflow_prompt", true
	case "workflowGraph":
		return "workflow_graph", true
	case "slmModel", "customLLMWebSocketUrl", "globalKnowledgeBaseId":
		return "llm", true
	case "synthesizer", "pronunciationDicts":
		return "voice", true
	case "language", "transcriberType":
		return "language", true
	case "firstMessage", "allowInterruptions", "waitForUserToSpeakFirst",
		"muteUserUntilFirstBotResponse", "interruptionBackoffTimer", "preCallAPI",
		"defaultVariables", "timezone", "enableStyleGuide", "speechFormatting":
		return "call_handling", true
	case "smartTurnConfig", "voiceDetectionConfig", "voiceMailDetectionConfig":
		return "detection", true
	case "postCallAnalyticsConfig", "callDispositionConfig":
		return "analytics", true
	case "llmIdleTimeoutConfig", "sessionTimeoutConfig":
		return "timeouts", true
	case "backgroundSound", "denoisingConfig":
		return "audio", true
	case "redactionConfig":
		return "privacy", true
	case "widgetConfig":
		return "widget", true
	case "playbooks":
		return "playbooks", true
	}
	return "", false
}

// branchSectionNames are the sections of the branch model: v1's thirteen
// plus playbooks, which only branch drafts accept.
func branchSectionNames() []string { return append(sectionNames(), "playbooks") }

// isConfigField is a field the v1 config bodies accept.
func isConfigField(field string) bool {
	_, ok := sectionOf(field)
	return ok && field != "playbooks" || field == "singlePromptConfig"
}

// touchedSections lists, in section order, the sections a config body writes.
func touchedSections(body map[string]any) []string {
	hit := map[string]bool{}
	for k, v := range body {
		if k == "singlePromptConfig" {
			spc, _ := v.(map[string]any)
			for sk := range spc {
				if sk == "tools" {
					hit["workflow_tools"] = true
				} else {
					hit["workflow_prompt"] = true
				}
			}
			continue
		}
		if sec, ok := sectionOf(k); ok {
			hit[sec] = true
		}
	}
	var out []string
	for _, s := range branchSectionNames() {
		if hit[s] {
			out = append(out, s)
		}
	}
	return out
}

// defaultsJSON are the platform defaults filled into every version when it is
// created, so that sending a default value later produces no diff. Values are
// the spec's documented defaults; transcriberType "pulse" is the current STT.
const defaultsJSON = `{
 "singlePromptConfig": {"prompt": "", "tools": []},
 "globalPrompt": "",
 "firstMessage": "",
 "slmModel": "electron",
 "transcriberType": "pulse",
 "synthesizer": {"voiceConfig": {"model": "waves_lightning_v3_1", "voiceId": "nyah", "gender": "female"},
   "speed": 1.2, "consistency": 0.5, "similarity": 0, "enhancement": 1, "sampleRate": 16000},
 "language": {"default": "en", "supported": ["en"], "switching": {"isEnabled": false,
   "minWordsForDetection": 2, "strongSignalThreshold": 0.7, "weakSignalThreshold": 0.3,
   "minConsecutiveForWeakThresholdSwitch": 2}},
 "postCallAnalyticsConfig": {"dispositionMetrics": [], "useInternalAnalyticsModel": true, "useReasoningModel": false},
 "callDispositionConfig": "",
 "allowInterruptions": true,
 "waitForUserToSpeakFirst": false,
 "muteUserUntilFirstBotResponse": false,
 "enableStyleGuide": true,
 "backgroundSound": "",
 "denoisingConfig": {"isEnabled": false},
 "redactionConfig": {"isEnabled": true},
 "voiceMailDetectionConfig": {"enabled": false},
 "smartTurnConfig": {"isEnabled": false},
 "sessionTimeoutConfig": {"timeoutTimeInSecs": 1800},
 "timezone": {"label": "(GMT+0:00) UTC", "offset": 0},
 "pronunciationDicts": []
}`

// defaultConfig returns a fresh copy of the defaults for a workflow type.
func defaultConfig(workflowType string) map[string]any {
	var cfg map[string]any
	if err := json.Unmarshal([]byte(defaultsJSON), &cfg); err != nil {
		panic("atomsim: bad defaults: " + err.Error()) // a constant; cannot happen
	}
	if workflowType == "workflow_graph" {
		cfg["workflowGraph"] = map[string]any{"nodes": []any{}, "edges": []any{}}
	}
	return cfg
}

// sectionView is one section of a config as the API keys it in
// GET /versions/{id} resolvedConfig, and the unit diffs are computed on. The
// voice section keeps the sample rate as its own synthesizerSampleRate field,
// which is why the live diff reports that path for synthesizer.sampleRate.
func sectionView(cfg map[string]any, section string) map[string]any {
	out := map[string]any{}
	spc, _ := cfg["singlePromptConfig"].(map[string]any)
	switch section {
	case "workflow_prompt":
		for k, v := range spc {
			if k != "tools" {
				out[k] = v
			}
		}
	case "workflow_tools":
		if t, ok := spc["tools"]; ok {
			out["tools"] = t
		}
	}
	for k, v := range cfg {
		if sec, ok := sectionOf(k); !ok || sec != section {
			continue
		}
		if synth, ok := v.(map[string]any); ok && k == "synthesizer" {
			synth = maps.Clone(synth)
			if rate, ok := synth["sampleRate"]; ok {
				out["synthesizerSampleRate"] = rate
				delete(synth, "sampleRate")
			}
			v = synth
		}
		out[k] = v
	}
	if section == "workflow_graph" {
		if _, ok := out["workflowGraph"]; !ok {
			out["workflowGraph"] = nil
		}
	}
	return out
}

// sectionedConfig is resolvedConfig of GET /versions/{id}: keyed by section.
func sectionedConfig(cfg map[string]any) map[string]any {
	return sectionedIn(sectionNames(), cfg)
}

func sectionedIn(sections []string, cfg map[string]any) map[string]any {
	out := make(map[string]any, len(sections))
	for _, s := range sections {
		out[s] = sectionView(cfg, s)
	}
	return out
}

// flatResolved is `_resolvedConfig` of GET /agent/{id}: the config flattened
// the way the dashboard reads it (prompt and tools lifted out of
// singlePromptConfig, language split into three keys, modelName beside
// slmModel), plus every other field that is set.
func flatResolved(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		switch k {
		case "singlePromptConfig", "language":
			continue
		}
		out[k] = v
	}
	spc, _ := cfg["singlePromptConfig"].(map[string]any)
	out["prompt"] = spc["prompt"]
	out["tools"] = spc["tools"]
	out["modelName"] = cfg["slmModel"]
	if lang, ok := cfg["language"].(map[string]any); ok {
		out["defaultLanguage"] = lang["default"]
		out["supportedLanguages"] = lang["supported"]
		out["languageSwitching"] = lang["switching"]
	}
	if _, ok := out["workflowGraph"]; !ok {
		out["workflowGraph"] = nil
	}
	return out
}

// mirroredFields are the config fields copied to the top of the agent DTO.
// postCallAnalyticsConfig is stripped there (it is only under
// _resolvedConfig), as the MCP server's comment records.
func mirrored(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		switch k {
		case "singlePromptConfig", "postCallAnalyticsConfig", "workflowGraph", "customLLMWebSocketUrl":
			continue
		}
		out[k] = v
	}
	return out
}
