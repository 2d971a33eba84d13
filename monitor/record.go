// Package monitor reads API request logs and scores each account for the
// patterns of a distillation campaign: volume, systematic topic coverage,
// templated or near-duplicate prompts, reasoning-trace harvesting,
// parameter sweeps and machine-like timing. It keeps state per account,
// not per request, so a log of any length is read in one pass in memory
// proportional to the number of accounts.
package monitor

import (
	"time"
)

// Record is one request as the scanner needs it, whatever the log layout.
type Record struct {
	Line      int // line number in its file, for evidence
	TS        time.Time
	Account   string
	APIKeyID  string
	IP        string
	UserAgent string
	Endpoint  string
	Model     string
	// Prompt is the user-authored text this request adds: the prompt, or
	// the last user message of a chat (the earlier ones were counted with
	// the requests that sent them; joining them would count a
	// conversation's first turn again with every reply, and make a long
	// chat look templated).
	Prompt           string
	Status           int
	PromptTokens     int
	CompletionTokens int
	Params           Params
}

// Params are the request parameters that matter for harvesting.
type Params struct {
	Temperature    float64
	HasTemperature bool
	TopLogprobs    int
	LogitBias      bool
	N              int
	MaxTokens      int
}
