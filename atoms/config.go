package atoms

import "encoding/json"

// Workflow types of an agent.
const (
	SinglePrompt  = "single_prompt"
	WorkflowGraph = "workflow_graph"
)

// ConfigPatch is the body of PATCH /agent/{id}/drafts/{draftId}/config: only
// the fields that are set are sent (the API rejects null on optional fields).
// Objects are deep-merged by the server; arrays (tools, supported languages,
// disposition metrics) replace the stored value wholesale.
type ConfigPatch struct {
	SinglePromptConfig      *SinglePromptConfig      `json:"singlePromptConfig,omitzero"`
	GlobalPrompt            *string                  `json:"globalPrompt,omitzero"`
	FirstMessage            *string                  `json:"firstMessage,omitzero"`
	SLMModel                *string                  `json:"slmModel,omitzero"`
	TranscriberType         *string                  `json:"transcriberType,omitzero"`
	Synthesizer             *Synthesizer             `json:"synthesizer,omitzero"`
	Language                *Language                `json:"language,omitzero"`
	PostCallAnalyticsConfig *PostCallAnalyticsConfig `json:"postCallAnalyticsConfig,omitzero"`
	// Extra carries any other config field of the agent config as raw JSON.
	Extra Extra `json:"-"`
}

func (c ConfigPatch) MarshalJSON() ([]byte, error) {
	type plain ConfigPatch
	return marshalWithExtra(plain(c), c.Extra)
}

func (c *ConfigPatch) UnmarshalJSON(b []byte) error {
	type plain ConfigPatch
	return unmarshalWithExtra(b, (*plain)(c), &c.Extra)
}

// Empty reports whether the patch would send no field at all (the API answers
// such a body with 400 "No recognized config fields").
func (c ConfigPatch) Empty() bool {
	b, err := c.MarshalJSON()
	return err == nil && string(b) == "{}"
}

// SinglePromptConfig is the prompt and tool list of a single_prompt agent.
// When it is sent, Tools must be the complete list: arrays are replaced.
type SinglePromptConfig struct {
	Prompt string `json:"prompt"`
	Tools  []Tool `json:"tools,omitzero"`
	Extra  Extra  `json:"-"`
}

func (c SinglePromptConfig) MarshalJSON() ([]byte, error) {
	type plain SinglePromptConfig
	return marshalWithExtra(plain(c), c.Extra)
}

func (c *SinglePromptConfig) UnmarshalJSON(b []byte) error {
	type plain SinglePromptConfig
	return unmarshalWithExtra(b, (*plain)(c), &c.Extra)
}

// Tool is one tool of an agent. Type-specific fields (transferNumber, url,
// llmParameters, …) travel in Extra unchanged.
type Tool struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Enabled     *bool  `json:"enabled,omitzero"`
	Extra       Extra  `json:"-"`
}

func (t Tool) MarshalJSON() ([]byte, error) {
	type plain Tool
	return marshalWithExtra(plain(t), t.Extra)
}

func (t *Tool) UnmarshalJSON(b []byte) error {
	type plain Tool
	return unmarshalWithExtra(b, (*plain)(t), &t.Extra)
}

// Synthesizer is the voice configuration.
type Synthesizer struct {
	VoiceConfig *VoiceConfig `json:"voiceConfig,omitzero"`
	Speed       *float64     `json:"speed,omitzero"`
	SampleRate  *int         `json:"sampleRate,omitzero"`
	Extra       Extra        `json:"-"`
}

func (s Synthesizer) MarshalJSON() ([]byte, error) {
	type plain Synthesizer
	return marshalWithExtra(plain(s), s.Extra)
}

func (s *Synthesizer) UnmarshalJSON(b []byte) error {
	type plain Synthesizer
	return unmarshalWithExtra(b, (*plain)(s), &s.Extra)
}

// VoiceConfig selects the TTS model and voice.
type VoiceConfig struct {
	Model   string `json:"model,omitempty"`
	VoiceID string `json:"voiceId,omitempty"`
	Gender  string `json:"gender,omitempty"`
	Extra   Extra  `json:"-"`
}

func (v VoiceConfig) MarshalJSON() ([]byte, error) {
	type plain VoiceConfig
	return marshalWithExtra(plain(v), v.Extra)
}

func (v *VoiceConfig) UnmarshalJSON(b []byte) error {
	type plain VoiceConfig
	return unmarshalWithExtra(b, (*plain)(v), &v.Extra)
}

// Language is the language configuration. The API refuses a language object
// without switching (400 "Invalid Input: Required"), so Switching is always
// sent; an empty object changes nothing under the server's deep merge.
type Language struct {
	Default   string             `json:"default,omitempty"`
	Supported []string           `json:"supported,omitzero"`
	Switching *LanguageSwitching `json:"switching"`
	Extra     Extra              `json:"-"`
}

func (l Language) MarshalJSON() ([]byte, error) {
	type plain Language
	if l.Switching == nil {
		l.Switching = &LanguageSwitching{}
	}
	return marshalWithExtra(plain(l), l.Extra)
}

func (l *Language) UnmarshalJSON(b []byte) error {
	type plain Language
	return unmarshalWithExtra(b, (*plain)(l), &l.Extra)
}

// LanguageSwitching controls automatic language detection.
type LanguageSwitching struct {
	IsEnabled *bool `json:"isEnabled,omitzero"`
	Extra     Extra `json:"-"`
}

func (l LanguageSwitching) MarshalJSON() ([]byte, error) {
	type plain LanguageSwitching
	return marshalWithExtra(plain(l), l.Extra)
}

func (l *LanguageSwitching) UnmarshalJSON(b []byte) error {
	type plain LanguageSwitching
	return unmarshalWithExtra(b, (*plain)(l), &l.Extra)
}

// PostCallAnalyticsConfig holds the disposition metrics computed after a call.
type PostCallAnalyticsConfig struct {
	DispositionMetrics []DispositionMetric `json:"dispositionMetrics,omitzero"`
	Extra              Extra               `json:"-"`
}

func (p PostCallAnalyticsConfig) MarshalJSON() ([]byte, error) {
	type plain PostCallAnalyticsConfig
	return marshalWithExtra(plain(p), p.Extra)
}

func (p *PostCallAnalyticsConfig) UnmarshalJSON(b []byte) error {
	type plain PostCallAnalyticsConfig
	return unmarshalWithExtra(b, (*plain)(p), &p.Extra)
}

// DispositionMetric is one post-call metric.
type DispositionMetric struct {
	Identifier string   `json:"identifier"`
	Prompt     string   `json:"dispositionMetricPrompt"`
	Type       string   `json:"dispositionMetricType"`
	Choices    []string `json:"choices,omitzero"`
	Extra      Extra    `json:"-"`
}

func (d DispositionMetric) MarshalJSON() ([]byte, error) {
	type plain DispositionMetric
	return marshalWithExtra(plain(d), d.Extra)
}

func (d *DispositionMetric) UnmarshalJSON(b []byte) error {
	type plain DispositionMetric
	return unmarshalWithExtra(b, (*plain)(d), &d.Extra)
}

// ResolvedConfig is the flat `_resolvedConfig` of GET /agent/{id}: the
// configuration of the active version, or of the draft or version named in
// the query. Keys the API adds later are kept in Extra.
type ResolvedConfig struct {
	Prompt                  string                   `json:"prompt,omitempty"`
	GlobalPrompt            string                   `json:"globalPrompt,omitempty"`
	Tools                   []Tool                   `json:"tools,omitzero"`
	FirstMessage            string                   `json:"firstMessage,omitempty"`
	ModelName               string                   `json:"modelName,omitempty"`
	SLMModel                string                   `json:"slmModel,omitempty"`
	Synthesizer             *Synthesizer             `json:"synthesizer,omitzero"`
	TranscriberType         string                   `json:"transcriberType,omitempty"`
	DefaultLanguage         string                   `json:"defaultLanguage,omitempty"`
	SupportedLanguages      []string                 `json:"supportedLanguages,omitzero"`
	LanguageSwitching       *LanguageSwitching       `json:"languageSwitching,omitzero"`
	PostCallAnalyticsConfig *PostCallAnalyticsConfig `json:"postCallAnalyticsConfig,omitzero"`
	Extra                   Extra                    `json:"-"`
}

func (r ResolvedConfig) MarshalJSON() ([]byte, error) {
	type plain ResolvedConfig
	return marshalWithExtra(plain(r), r.Extra)
}

func (r *ResolvedConfig) UnmarshalJSON(b []byte) error {
	type plain ResolvedConfig
	return unmarshalWithExtra(b, (*plain)(r), &r.Extra)
}

// Model is the LLM in use: slmModel where the API gives it, else modelName.
func (r ResolvedConfig) Model() string {
	if r.SLMModel != "" {
		return r.SLMModel
	}
	return r.ModelName
}

// VoiceID is the configured voice, or "" when the config does not say.
func (r ResolvedConfig) VoiceID() string {
	if r.Synthesizer == nil || r.Synthesizer.VoiceConfig == nil {
		return ""
	}
	return r.Synthesizer.VoiceConfig.VoiceID
}

// String returns the string member key of e, or "" when absent or not a string.
func (e Extra) String(key string) string {
	var s string
	if v, ok := e[key]; ok {
		_ = json.Unmarshal(v, &s)
	}
	return s
}
