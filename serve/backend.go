package serve

import (
	"context"
	"strings"
	"time"

	"github.com/ollama/ollama/api"

	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/llm/ollama"
	"forensics/llm/tokenizer"
)

// Backend is what the gateway generates with.
type Backend interface {
	llm.Streamer
	// Render turns chat messages into the model's raw prompt.
	Render(ctx context.Context, model string, msgs []Message) (string, error)
	// Tags and Show answer /api/tags and /api/show.
	Tags(ctx context.Context) (*api.ListResponse, error)
	Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error)
	// Has reports whether the backend serves a model (nil error) or not.
	Has(ctx context.Context, model string) (bool, error)
	// CountTokens estimates a prompt's size in tokens for usage records.
	CountTokens(model, text string) int
	// MinTokens reports whether the backend can keep the end token away
	// (the min_tokens extension).
	MinTokens() bool
}

// EmbeddedModelName is the name the embedded model is served under.
const EmbeddedModelName = "embedded"

// embeddedBackend serves the embedded reference model.
type embeddedBackend struct {
	m       *embedded.Model
	started time.Time
}

// NewEmbeddedBackend wraps the embedded model.
func NewEmbeddedBackend(m *embedded.Model) Backend {
	return &embeddedBackend{m: m, started: time.Now().UTC()}
}

func (b *embeddedBackend) Name() string { return b.m.Name() }

func (b *embeddedBackend) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	return b.m.Stream(ctx, req, fn)
}

// Render joins the messages' contents, each as a paragraph: the embedded
// model is a prose model without a chat template, trained on paragraphs
// separated by its end token, so the answer begins a new paragraph.
func (b *embeddedBackend) Render(_ context.Context, _ string, msgs []Message) (string, error) {
	var sb strings.Builder
	for _, m := range msgs {
		if c := strings.TrimSpace(m.Content); c != "" {
			sb.WriteString(c)
			sb.WriteString(tokenizer.EndOfText)
		}
	}
	return sb.String(), nil
}

func (b *embeddedBackend) MinTokens() bool { return true }

func (b *embeddedBackend) Has(_ context.Context, model string) (bool, error) {
	return model == EmbeddedModelName || model == EmbeddedModelName+":latest", nil
}

func (b *embeddedBackend) Tags(context.Context) (*api.ListResponse, error) {
	return &api.ListResponse{Models: []api.ListModelResponse{{
		Name: EmbeddedModelName, Model: EmbeddedModelName, ModifiedAt: b.started,
		Digest:  b.m.Name(),
		Details: api.ModelDetails{Format: "forensics-embedded", Family: "kneser-ney", ParameterSize: "4-gram"},
	}}}, nil
}

// Show reports the embedded model's tokenizer as Ollama does, so that
// `forensics tokenizer export --from ollama://gateway/embedded` works.
func (b *embeddedBackend) Show(_ context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	f := b.m.Vocab().File()
	info := map[string]any{
		"general.architecture": "kneser-ney",
		"tokenizer.ggml.model": f.Model,
		"tokenizer.ggml.pre":   f.Pre,
	}
	if req.Verbose {
		info["tokenizer.ggml.tokens"] = f.Tokens
		info["tokenizer.ggml.token_type"] = f.TokenTypes
		info["tokenizer.ggml.merges"] = f.Merges
	}
	if len(f.EOS) > 0 {
		info["tokenizer.ggml.eos_token_id"] = f.EOS[0]
	}
	return &api.ShowResponse{
		Details:   api.ModelDetails{Format: "forensics-embedded", Family: "kneser-ney"},
		ModelInfo: info,
	}, nil
}

func (b *embeddedBackend) CountTokens(_, text string) int {
	p, err := b.m.Tokenizer().Pieces(text)
	if err != nil {
		return 0
	}
	return len(p)
}

// ollamaBackend serves models of an Ollama server.
type ollamaBackend struct {
	c *ollama.Client
}

// NewOllamaBackend wraps an Ollama client.
func NewOllamaBackend(c *ollama.Client) Backend { return &ollamaBackend{c: c} }

func (b *ollamaBackend) Name() string { return b.c.Name() }

func (b *ollamaBackend) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	return b.c.Stream(ctx, req, fn)
}

func (b *ollamaBackend) Render(ctx context.Context, model string, msgs []Message) (string, error) {
	am := make([]api.Message, len(msgs))
	for i, m := range msgs {
		am[i] = api.Message{Role: m.Role, Content: m.Content}
	}
	return b.c.Render(ctx, model, am)
}

func (b *ollamaBackend) Tags(ctx context.Context) (*api.ListResponse, error) {
	return b.c.API().List(ctx)
}

func (b *ollamaBackend) Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error) {
	return b.c.API().Show(ctx, req)
}

func (b *ollamaBackend) Has(ctx context.Context, model string) (bool, error) {
	_, err := b.c.API().Show(ctx, &api.ShowRequest{Model: model})
	if err == nil {
		return true, nil
	}
	if se, ok := err.(api.StatusError); ok && se.StatusCode == 404 {
		return false, nil
	}
	return false, err
}

func (b *ollamaBackend) MinTokens() bool { return false }

// CountTokens approximates: Ollama tokenizes server-side and the gateway
// does not fetch every model's vocabulary for usage numbers.
func (b *ollamaBackend) CountTokens(_, text string) int { return (len(text) + 3) / 4 }
