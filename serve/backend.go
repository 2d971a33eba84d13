package serve

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ollama/ollama/api"

	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/llm/ollama"
	"forensics/llm/tokenizer"
	"forensics/logline"
)

// Backend is what the gateway generates with.
type Backend interface {
	llm.Streamer
	// Render turns chat messages into the model's raw prompt.
	Render(ctx context.Context, model string, msgs []logline.Message) (string, error)
	// Tags and Show answer /api/tags and /api/show.
	Tags(ctx context.Context) (*api.ListResponse, error)
	Show(ctx context.Context, req *api.ShowRequest) (*api.ShowResponse, error)
	// Has reports whether the backend serves a model (nil error) or not.
	Has(ctx context.Context, model string) (bool, error)
	// Pieces splits text as the model would, for counting prompt tokens
	// once per request and for pacing planted answers; a backend that
	// does not tokenize locally approximates. With max > 0 it may stop
	// early, reporting over, once the text is known to have more than max
	// pieces: a prompt that will be refused costs little to refuse.
	Pieces(model, text string, max int) (pieces []string, over bool)
	// MinTokens reports whether the backend can keep the end token away
	// (the min_tokens extension).
	MinTokens() bool
	// Version is the Ollama version /api/version reports.
	Version(ctx context.Context) (string, error)
	// Running answers /api/ps: the models loaded now.
	Running(ctx context.Context) (*api.ProcessResponse, error)
	// Embed and Embeddings answer /api/embed and the legacy
	// /api/embeddings; a backend without embeddings returns
	// ErrNoEmbeddings.
	Embed(ctx context.Context, req *api.EmbedRequest) (*api.EmbedResponse, error)
	Embeddings(ctx context.Context, req *api.EmbeddingRequest) (*api.EmbeddingResponse, error)
}

// ErrNoEmbeddings is a backend's answer to an embedding request it cannot
// serve.
var ErrNoEmbeddings = errors.New("this backend has no embeddings")

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
func (b *embeddedBackend) Render(_ context.Context, _ string, msgs []logline.Message) (string, error) {
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

// Version is the Ollama release whose API the gateway speaks.
func (b *embeddedBackend) Version(context.Context) (string, error) { return pinnedOllamaVersion, nil }

// Running reports the embedded model, always loaded.
func (b *embeddedBackend) Running(context.Context) (*api.ProcessResponse, error) {
	return &api.ProcessResponse{Models: []api.ProcessModelResponse{{
		Name: EmbeddedModelName, Model: EmbeddedModelName, Digest: b.m.Name(),
		Details:   api.ModelDetails{Format: "forensics-embedded", Family: "kneser-ney", ParameterSize: "4-gram"},
		ExpiresAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
	}}}, nil
}

// Embed: an n-gram model has no hidden states to give.
func (b *embeddedBackend) Embed(context.Context, *api.EmbedRequest) (*api.EmbedResponse, error) {
	return nil, ErrNoEmbeddings
}

func (b *embeddedBackend) Embeddings(context.Context, *api.EmbeddingRequest) (*api.EmbeddingResponse, error) {
	return nil, ErrNoEmbeddings
}

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

// maxEmbeddedPiece is the longest piece of the embedded vocabulary, in
// bytes: a text of n bytes has at least n/maxEmbeddedPiece pieces.
const maxEmbeddedPiece = 16

// embeddedChunk is how much text Pieces tokenizes before checking max.
const embeddedChunk = 8 << 10

func (b *embeddedBackend) Pieces(_, text string, max int) ([]string, bool) {
	if max > 0 && len(text) > max*maxEmbeddedPiece {
		return nil, true
	}
	var out []string
	for len(text) > 0 {
		n := splitPoint(text, embeddedChunk)
		p, err := b.m.Tokenizer().Pieces(text[:n])
		if err != nil {
			p = approxPieces(text[:n])
		}
		out = append(out, p...)
		if max > 0 && len(out) > max {
			return out, true
		}
		text = text[n:]
	}
	return out, false
}

// splitPoint is where text can be cut after about n bytes without
// changing its pieces: before a single space between two non-space
// characters, which no pre-token of the GPT-2 pattern spans (the space
// starts the next word's pre-token). A run of 4 KiB without such a space
// (not prose; a tokenizer-bomb, say) is cut at a character boundary
// anyway: the pieces around that cut may differ from the whole text's,
// which costs the count a piece or two and keeps the work per chunk
// bounded.
func splitPoint(text string, n int) int {
	if len(text) <= n {
		return len(text)
	}
	const window = 4 << 10
	for i := n; i+1 < len(text) && i < n+window; i++ {
		if text[i] == ' ' && !isSpace(text[i-1]) && !isSpace(text[i+1]) {
			return i
		}
	}
	i := min(n+window, len(text))
	for i < len(text) && !utf8.RuneStart(text[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
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

func (b *ollamaBackend) Render(ctx context.Context, model string, msgs []logline.Message) (string, error) {
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

func (b *ollamaBackend) Version(ctx context.Context) (string, error) { return b.c.API().Version(ctx) }

func (b *ollamaBackend) Running(ctx context.Context) (*api.ProcessResponse, error) {
	return b.c.API().ListRunning(ctx)
}

func (b *ollamaBackend) Embed(ctx context.Context, req *api.EmbedRequest) (*api.EmbedResponse, error) {
	return b.c.API().Embed(ctx, req)
}

func (b *ollamaBackend) Embeddings(ctx context.Context, req *api.EmbeddingRequest) (*api.EmbeddingResponse, error) {
	return b.c.API().Embeddings(ctx, req)
}

// Pieces approximates: Ollama tokenizes server-side and the gateway does
// not fetch every model's vocabulary for usage numbers.
func (b *ollamaBackend) Pieces(_, text string, max int) ([]string, bool) {
	if max > 0 && len(text) > 4*max+4 {
		return nil, true
	}
	return approxPieces(text), false
}

// approxPieces cuts text into pieces of about four bytes (the usual size
// of a BPE token of English), at character boundaries.
func approxPieces(text string) []string {
	out := make([]string, 0, len(text)/4+1)
	for len(text) > 0 {
		n := min(4, len(text))
		for n < len(text) && !utf8.RuneStart(text[n]) {
			n++
		}
		out = append(out, text[:n])
		text = text[n:]
	}
	return out
}
