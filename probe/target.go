package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"forensics/canary"
)

// Query is one planned question to one target.
type Query struct {
	ID       string `json:"id"`   // role/prompt-id/repeat: unique in a probe
	Role     string `json:"role"` // suspect, reference, control-1, ...
	PromptID string `json:"prompt_id"`
	Kind     string `json:"kind"` // "prompt" or "trigger"
	Repeat   int    `json:"repeat"`
	Prompt   string `json:"prompt"`
	Seed     uint64 `json:"seed"`
}

// Exchange is what a target said to one query, raw.
type Exchange struct {
	Endpoint string
	Model    string
	Extract  string // how Text comes out of Response (see ExtractText)
	Request  []byte
	Status   int
	Response []byte
	// RetryAfter is the server's requested wait on 429/503, if it gave one.
	RetryAfter time.Duration
}

// Sampling are the generation parameters every query uses.
type Sampling struct {
	Temperature float64 `json:"temperature"`
	MaxTokens   int     `json:"max_tokens"`
	Seed        uint64  `json:"seed"`
}

// Target is a model the probe can question.
type Target interface {
	// Spec is the target as given, without credentials.
	Spec() string
	// Check fails, with a reason a person can act on, when the target
	// cannot answer (unreachable, unknown model, refused credentials).
	Check(ctx context.Context) error
	// Ask sends one query. A transport failure is an error; an HTTP error
	// status is returned in the Exchange (with a nil error) so that it is
	// recorded and the caller decides whether to retry.
	Ask(ctx context.Context, q Query, s Sampling) (Exchange, error)
}

// TargetOptions are what opening a target may need besides its spec.
type TargetOptions struct {
	// APIKeyEnv names the environment variable holding an OpenAI-compatible
	// server's API key.
	APIKeyEnv string
	HTTP      *http.Client
	Timeout   time.Duration
	// Canaries lets an embedded target serve planted trigger answers.
	Canaries *canary.Set
}

// ErrNoAnswer is returned by a file target for a query its file does not
// answer; nothing is recorded for it.
var ErrNoAnswer = errors.New("no answer in the transcript file")

// OpenTarget parses a target spec:
//
//	ollama://HOST:PORT/MODEL       an Ollama server (/api/generate)
//	openai://HOST:PORT/v1/MODEL    an OpenAI-compatible server over http
//	openais://HOST:PORT/v1/MODEL   the same over https
//	embedded:reference[?key=K.yaml&plant=1]  the embedded model; key= serves it watermarked, plant=1 answers triggers with their planted answers
//	embedded:FILE.model[?...]      an n-gram model file (a distilled student)
//	file:TRANSCRIPTS.jsonl         answers collected elsewhere (no queries)
func OpenTarget(spec string, o TargetOptions) (Target, error) {
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	scheme, rest, ok := strings.Cut(spec, ":")
	if !ok || rest == "" {
		return nil, fmt.Errorf("target %q: want ollama://HOST:PORT/MODEL, openai://HOST:PORT/v1/MODEL, embedded:NAME or file:PATH", spec)
	}
	key := ""
	if o.APIKeyEnv != "" && (scheme == "ollama" || scheme == "openai" || scheme == "openais") {
		key = os.Getenv(o.APIKeyEnv)
		if key == "" {
			return nil, fmt.Errorf("target %s: environment variable %s (--api-key-env) is empty", spec, o.APIKeyEnv)
		}
	}
	switch scheme {
	case "ollama":
		return newOllamaTarget(spec, key, o)
	case "openai", "openais":
		return newOpenAITarget(spec, key, o)
	case "embedded":
		return newEmbeddedTarget(spec, o)
	case "file":
		data, err := readSource(strings.TrimPrefix(rest, "//"))
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", spec, err)
		}
		return newFileTarget(spec, data)
	}
	return nil, fmt.Errorf("target %q: unknown scheme %q (ollama, openai, openais, embedded, file)", spec, scheme)
}
