package logline

import (
	"forensics/internal/jsonl"
)

// Entry is one line of the request log, the input of `forensics
// scan-logs`. It records everything the client sent that the model saw
// (system prompt, every message, the prompt); the gateway bounds each
// text before writing it.
type Entry struct {
	TS        string `json:"ts"`
	RequestID string `json:"request_id"`
	Account   string `json:"account"`
	APIKeyID  string `json:"api_key_id"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	Endpoint  string `json:"endpoint"`
	Model     string `json:"model"`
	// System is /api/generate's system prompt (chats carry theirs as a
	// message).
	System           *string        `json:"system,omitempty"`
	Messages         []Message      `json:"messages,omitempty"`
	Prompt           *string        `json:"prompt,omitempty"`
	Params           map[string]any `json:"params"`
	Status           int            `json:"status"`
	PromptTokens     int            `json:"prompt_tokens"`
	CompletionTokens int            `json:"completion_tokens"`
	LatencyMS        float64        `json:"latency_ms"`
	Watermark        *Watermark     `json:"watermark"`
	// Case is the case (docs/cases.md) the account was in when the request
	// arrived: its response, if watermarked, carries the case key (whose
	// id Watermark.KeyID gives) and the case's canaries.
	Case string `json:"case,omitempty"`
	// Beyond the design's fields: how generation went, for audits.
	Stop string `json:"stop,omitempty"`
	// Canary is the trigger whose planted answer was served (no model
	// call, no watermark), when the prompt was one.
	Canary     string `json:"canary,omitempty"`
	RoundTrips int    `json:"round_trips,omitempty"`
	Rejected   int    `json:"rejected,omitempty"`
	// Stalls counts the times paced output had to wait for generation
	// (each shows the client a pause).
	Stalls int    `json:"pace_stalls,omitempty"`
	Error  string `json:"error,omitempty"`
	// Truncated lists the fields cut to the log's max_field_bytes, with
	// the length and SHA-256 of the whole value.
	Truncated []Truncation `json:"truncated,omitempty"`
	// CompletionSHA256 is the SHA-256 of the answer served (white space
	// trimmed): a client that sends it back as an assistant turn is
	// replaying the conversation, not writing text of its own.
	CompletionSHA256 string `json:"completion_sha256,omitempty"`
	// Event marks lines that are not requests ("suppressed": a summary of
	// unauthenticated requests over their address's limit).
	Event      string `json:"event,omitempty"`
	Suppressed int    `json:"suppressed,omitempty"`
}

// Watermark records the key applied to a response (null when none).
type Watermark struct {
	KeyID   string `json:"key_id"`
	Payload string `json:"payload,omitempty"`
	// Temperature is the temperature the watermarked distribution was
	// sampled at: the request's, or the floor when it asked for less.
	Temperature float64 `json:"temperature"`
	// Tilted counts the tokens whose distribution the key moved by at
	// least serve.TiltedTV of probability mass, and GreenGain the
	// expected number of green tokens the key added (the sum of those
	// moves). A key, not an account, is what detection identifies:
	// accounts may share one.
	Tilted    int     `json:"tilted_tokens"`
	GreenGain float64 `json:"green_gain"`
}

// Message is a chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Truncation records a logged value that was cut.
type Truncation struct {
	Field  string `json:"field"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Marshal encodes an entry as its log line (without the newline). HTML
// characters are not escaped: "<" would take six bytes.
func Marshal(e *Entry) ([]byte, error) {
	return jsonl.MarshalLine(e)
}
