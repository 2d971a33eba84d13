package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// LogEntry is one line of the request log (DESIGN.md, "Request log"), the
// input of `forensics scan-logs`. It records everything the client sent
// that the model saw (system prompt, every message, the prompt), each text
// bounded (see bound); the log writer adds "seq" and "prev" (package
// reqlog).
type LogEntry struct {
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
	System           *string         `json:"system,omitempty"`
	Messages         []Message       `json:"messages,omitempty"`
	Prompt           *string         `json:"prompt,omitempty"`
	Params           map[string]any  `json:"params"`
	Status           int             `json:"status"`
	PromptTokens     int             `json:"prompt_tokens"`
	CompletionTokens int             `json:"completion_tokens"`
	LatencyMS        float64         `json:"latency_ms"`
	Watermark        *WatermarkEntry `json:"watermark"`
	// Beyond the design's fields: how generation went, for audits.
	Stop string `json:"stop,omitempty"`
	// Canary is the trigger whose planted answer was served (no model
	// call, no watermark), when the prompt was one.
	Canary     string `json:"canary,omitempty"`
	RoundTrips int    `json:"round_trips,omitempty"`
	Rejected   int    `json:"rejected,omitempty"`
	// Stalls counts the times paced output had to wait for generation
	// (each shows the client a pause; see pace.go).
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

// WatermarkEntry records the key applied to a response (null when none).
type WatermarkEntry struct {
	KeyID   string `json:"key_id"`
	Payload string `json:"payload,omitempty"`
	// Temperature is the temperature the watermarked distribution was
	// sampled at: the request's, or the floor when it asked for less.
	Temperature float64 `json:"temperature"`
	// Tilted counts the tokens whose distribution the key moved by at
	// least TiltedTV of probability mass, and GreenGain the expected
	// number of green tokens the key added (the sum of those moves). A
	// key, not an account, is what detection identifies: accounts may
	// share one.
	Tilted    int     `json:"tilted_tokens"`
	GreenGain float64 `json:"green_gain"`
}

// TiltedTV is the probability mass the key must move at a position for
// the position to count as tilted.
const TiltedTV = 0.01

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

// maxUserAgent bounds the client string, which comes from a header and,
// unlike the prompt, is never evidence worth a kilobyte.
const maxUserAgent = 512

// maxError bounds logged error messages (an upstream's error can quote
// the request).
const maxError = 2048

// bound cuts every text field to max bytes (user agent and error to their
// own smaller bounds), recording what was cut, so that no request can make
// a line larger than a few times max. It works on copies: the caller's
// messages are not changed.
func (e *LogEntry) bound(max int) {
	cut := func(field string, s *string, n int) {
		if len(*s) <= n {
			return
		}
		sum := sha256.Sum256([]byte(*s))
		e.Truncated = append(e.Truncated, Truncation{Field: field, Bytes: len(*s), SHA256: hex.EncodeToString(sum[:])})
		*s = cutUTF8(*s, n)
	}
	cut("user_agent", &e.UserAgent, maxUserAgent)
	cut("error", &e.Error, maxError)
	cut("model", &e.Model, maxUserAgent)
	if e.System != nil {
		s := *e.System
		cut("system", &s, max)
		e.System = &s
	}
	if e.Prompt != nil {
		s := *e.Prompt
		cut("prompt", &s, max)
		e.Prompt = &s
	}
	if len(e.Messages) > 0 {
		// A refused request can carry more than a line should hold (a
		// generation request never does: checkLoggable refused it
		// otherwise): messages past maxRequestLine are left out and
		// recorded as one truncation.
		var msgs []Message
		size := 0
		for i, m := range e.Messages {
			cut(fmt.Sprintf("messages[%d].role", i), &m.Role, 64)
			cut(fmt.Sprintf("messages[%d].content", i), &m.Content, max)
			if size += jsonLen(m.Content) + jsonLen(m.Role) + 24; size > maxRequestLine {
				h := sha256.New()
				n := 0
				for _, rest := range e.Messages[i:] {
					h.Write([]byte(rest.Role + "\x00" + rest.Content + "\x00"))
					n += len(rest.Role) + len(rest.Content)
				}
				e.Truncated = append(e.Truncated, Truncation{Field: fmt.Sprintf("messages[%d:]", i), Bytes: n, SHA256: hex.EncodeToString(h.Sum(nil))})
				break
			}
			msgs = append(msgs, m)
		}
		e.Messages = msgs
	}
	if b, err := json.Marshal(e.Params); err == nil && len(b) > max {
		sum := sha256.Sum256(b)
		e.Truncated = append(e.Truncated, Truncation{Field: "params", Bytes: len(b), SHA256: hex.EncodeToString(sum[:])})
		kept := map[string]any{}
		for _, k := range []string{"temperature", "max_tokens", "min_tokens", "top_logprobs", "logprobs", "n", "stream", "seed"} {
			if v, ok := e.Params[k]; ok {
				kept[k] = v
			}
		}
		e.Params = kept
	}
}

// cutUTF8 shortens s to at most n bytes without splitting a character.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
