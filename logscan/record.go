// Package logscan reads API request logs and scores each account for the
// patterns of a distillation campaign: volume, systematic topic coverage,
// templated or near-duplicate prompts, reasoning-trace harvesting,
// parameter sweeps and machine-like timing. It keeps state per account,
// not per request, so a log of any length is read in one pass in memory
// proportional to the number of accounts.
package logscan

import (
	"errors"
	"time"
)

// ErrLogEvent marks a line the log writer added (a checkpoint, a
// rotation, a gap): not a request, and not malformed.
var ErrLogEvent = errors.New("log event")

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
	// Prompt is the request's question: the prompt, or the last user
	// message of a chat.
	Prompt string
	// Context is the rest of what the client wrote that the model read:
	// the system prompt and the chat's other non-assistant messages. The
	// scanner adds a part to the prompt's text only the first time the
	// account sends it (a chat's earlier turns and a fixed system prompt
	// were counted when they were new; counting them again would make a
	// long chat look templated), so harvest text moved into the system
	// field or fabricated earlier turns is read like a prompt.
	Context []string
	// Assistant are the chat's assistant turns. Those that are answers
	// the gateway served the account (Completion of an earlier line) are
	// the conversation being replayed; any other is text the client wrote
	// and is read like Context.
	Assistant []string
	// Completion is the first 8 bytes of the answer's SHA-256 (the
	// gateway's completion_sha256), 0 when not logged.
	Completion uint64
	Status     int
	// Stop is why generation ended: "length" when it reached max_tokens
	// (the gateway's stop field; empty when not logged).
	Stop             string
	PromptTokens     int
	CompletionTokens int
	Params           Params
	// Case is the case the account was in (the gateway's case field;
	// empty in logs of other formats).
	Case string
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
