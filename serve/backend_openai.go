package serve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"forensics/llm"
	"forensics/llm/openaicompat"
	"forensics/logline"
)

// errNoChatTemplate is the OpenAI-compatible backend's answer to a chat
// when no chat template is configured: the gateway renders chats to raw
// prompts (so that the whole prompt is logged and the watermark runs on a
// raw completion), and these engines do not expose their chat template.
var errNoChatTemplate = errors.New("an OpenAI-compatible engine does not expose its chat template, and the gateway has none for it (backend.openai.chat_template): send raw prompts (/v1/completions, /api/generate)")

// ChatRenderer renders a conversation to the raw prompt the model reads,
// ending with the generation prompt (the model's chat template).
type ChatRenderer func(ctx context.Context, msgs []logline.Message) (string, error)

// openaiBackend serves the models of an OpenAI-compatible engine (vLLM,
// SGLang, llama.cpp's server) through its /v1/completions.
type openaiBackend struct {
	c      *openaicompat.Client
	render ChatRenderer
}

// NewOpenAIBackend wraps a client of an OpenAI-compatible engine; render,
// if not nil, renders chats (without it chats are refused).
func NewOpenAIBackend(c *openaicompat.Client, render ChatRenderer) Backend {
	return &openaiBackend{c: c, render: render}
}

func (b *openaiBackend) Name() string { return b.c.Name() }

func (b *openaiBackend) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	return b.c.Stream(ctx, req, fn)
}

func (b *openaiBackend) Render(ctx context.Context, _ string, msgs []logline.Message) (string, error) {
	if b.render == nil {
		return "", errNoChatTemplate
	}
	return b.render(ctx, msgs)
}

// rawCompleter is a backend whose own /v1/completions takes the prompt
// as it is, without a template (vLLM, SGLang, llama.cpp's server): the
// gateway's /v1/completions then does the same.
type rawCompleter interface{ RawCompletions() bool }

func (b *openaiBackend) RawCompletions() bool { return true }

// RepeatableDrafts: an OpenAI-compatible engine is not trusted to give
// the same drafts for the same seed (SGLang only with
// --enable-deterministic-inference; batching changes vLLM's numerics), so
// every request gets fresh acceptance draws (seed.go, repeatable).
func (b *openaiBackend) RepeatableDrafts() bool { return false }

func (b *openaiBackend) Has(ctx context.Context, model string) (bool, error) {
	return b.c.Has(ctx, model)
}

// Tags lists the engine's models (/v1/models) as Ollama lists its own.
func (b *openaiBackend) Tags(ctx context.Context) (*api.ListResponse, error) {
	ms, err := b.c.Models(ctx)
	if err != nil {
		return nil, err
	}
	out := &api.ListResponse{Models: []api.ListModelResponse{}}
	for _, m := range ms {
		out.Models = append(out.Models, api.ListModelResponse{Name: m.ID, Model: m.ID, ModifiedAt: time.Unix(m.Created, 0).UTC(),
			Details: api.ModelDetails{Format: "openai-compatible"}})
	}
	return out, nil
}

// Show says only what the engine says of a model: its name.
func (b *openaiBackend) Show(_ context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	return &api.ShowResponse{Details: api.ModelDetails{Format: "openai-compatible"}, ModelInfo: map[string]any{"general.name": req.Model}}, nil
}

// Pieces splits with the model's tokenizer when the config gives one,
// and approximates otherwise.
func (b *openaiBackend) Pieces(_, text string, max int) ([]string, bool) {
	if max > 0 && len(text) > 4*max+4 {
		return nil, true
	}
	if v := b.c.Vocab(); v != nil {
		if p, err := v.Pieces(text); err == nil {
			return p, max > 0 && len(p) > max
		}
	}
	return approxPieces(text), false
}

func (b *openaiBackend) MinTokens() bool { return false }

// Version is the Ollama release whose API the gateway speaks.
func (b *openaiBackend) Version(context.Context) (string, error) { return pinnedOllamaVersion, nil }

// Running reports the engine's models: an engine serves what it loaded.
func (b *openaiBackend) Running(ctx context.Context) (*api.ProcessResponse, error) {
	ms, err := b.c.Models(ctx)
	if err != nil {
		return nil, err
	}
	out := &api.ProcessResponse{Models: []api.ProcessModelResponse{}}
	for _, m := range ms {
		out.Models = append(out.Models, api.ProcessModelResponse{Name: m.ID, Model: m.ID, Details: api.ModelDetails{Format: "openai-compatible"}})
	}
	return out, nil
}

func (b *openaiBackend) Embed(context.Context, *api.EmbedRequest) (*api.EmbedResponse, error) {
	return nil, ErrNoEmbeddings
}

func (b *openaiBackend) Embeddings(context.Context, *api.EmbeddingRequest) (*api.EmbeddingResponse, error) {
	return nil, ErrNoEmbeddings
}

// validate checks an openai backend's settings (the key's source exists
// is checked when the backend is opened).
func (o OpenAIBackendConfig) validate(url string) error {
	switch {
	case !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://"):
		return fmt.Errorf("backend url %q: an openai backend wants http(s)://host:port", url)
	case o.APIKeyEnv != "" && o.APIKeyFile != "":
		return errors.New("backend openai: api_key_env or api_key_file, not both")
	case o.Logprobs != "" && o.Logprobs != string(openaicompat.RawLogprobs) && o.Logprobs != string(openaicompat.ProcessedLogprobs):
		return fmt.Errorf("backend openai: logprobs %q: want raw or processed", o.Logprobs)
	case o.SeedBits < 0 || o.SeedBits > 63:
		return fmt.Errorf("backend openai: seed_bits %d: want 1 to 63", o.SeedBits)
	}
	return nil
}
