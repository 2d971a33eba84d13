package serve

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/ollama/ollama/api"
)

// embeddingBackend is the embedded backend with embeddings: each input's
// vector is its length and its first byte, and it records what it got.
type embeddingBackend struct {
	Backend
	mu    sync.Mutex
	calls []any
}

func fakeVector(s string) []float32 {
	v := []float32{float32(len(s)), 0.5}
	if s != "" {
		v[1] = float32(s[0])
	}
	return v
}

func (b *embeddingBackend) Embed(_ context.Context, req *api.EmbedRequest) (*api.EmbedResponse, error) {
	b.mu.Lock()
	b.calls = append(b.calls, req.Input)
	b.mu.Unlock()
	var out [][]float32
	for _, s := range req.Input.([]string) {
		out = append(out, fakeVector(s))
	}
	return &api.EmbedResponse{Model: req.Model, Embeddings: out, PromptEvalCount: 7}, nil
}

func (b *embeddingBackend) Embeddings(_ context.Context, req *api.EmbeddingRequest) (*api.EmbeddingResponse, error) {
	v := fakeVector(req.Prompt)
	return &api.EmbeddingResponse{Embedding: []float64{float64(v[0]), float64(v[1])}}, nil
}

const embedModels = `models:
  - name: gen
    upstream: embedded
  - name: vec
    upstream: embedded
    embeddings: true
  - name: vec-raw
    upstream: embedded
    embeddings: true
    watermark: false
`

func startEmbedGateway(t *testing.T, fake bool) (*gateway, *embeddingBackend) {
	var eb *embeddingBackend
	g := startGatewayWith(t, testKey(t, 1), embedModels, func(c *Config, o *Options) {
		if fake {
			eb = &embeddingBackend{Backend: o.Backend}
			o.Backend = eb
		}
	})
	return g, eb
}

// TestEmbeddingEndpoints: the three endpoints in their shapes, for a
// model with embeddings on; inputs logged whole and tokens charged.
func TestEmbeddingEndpoints(t *testing.T) {
	g, eb := startEmbedGateway(t, true)
	var embed api.EmbedResponse
	resp := g.post("/api/embed", devKey, map[string]any{"model": "vec", "input": []string{"alpha", "beta"}})
	if err := json.Unmarshal([]byte(readAll(t, resp)), &embed); err != nil || resp.StatusCode != 200 || len(embed.Embeddings) != 2 || embed.Model != "vec" || embed.Embeddings[1][1] != 'b' {
		t.Errorf("/api/embed: %d %+v %v", resp.StatusCode, embed, err)
	}
	var legacy api.EmbeddingResponse
	resp = g.post("/api/embeddings", devKey, map[string]any{"model": "vec", "prompt": "gamma"})
	if err := json.Unmarshal([]byte(readAll(t, resp)), &legacy); err != nil || len(legacy.Embedding) != 2 || legacy.Embedding[0] != 5 {
		t.Errorf("/api/embeddings: %d %+v %v", resp.StatusCode, legacy, err)
	}
	for _, format := range []string{"float", "base64"} {
		var oai struct {
			Object string
			Data   []struct {
				Object    string
				Index     int
				Embedding json.RawMessage
			}
			Usage oaiUsage
		}
		resp = g.post("/v1/embeddings", devKey, map[string]any{"model": "vec", "input": "delta", "encoding_format": format})
		if err := json.Unmarshal([]byte(readAll(t, resp)), &oai); err != nil || oai.Object != "list" || len(oai.Data) != 1 || oai.Usage.PromptTokens != 7 {
			t.Fatalf("/v1/embeddings %s: %+v %v", format, oai, err)
		}
		var v []float32
		if format == "float" {
			json.Unmarshal(oai.Data[0].Embedding, &v)
		} else {
			var s string
			json.Unmarshal(oai.Data[0].Embedding, &s)
			raw, _ := base64.StdEncoding.DecodeString(s)
			for i := 0; i+4 <= len(raw); i += 4 {
				v = append(v, math.Float32frombits(binary.LittleEndian.Uint32(raw[i:])))
			}
		}
		if len(v) != 2 || v[0] != 5 || v[1] != 'd' {
			t.Errorf("/v1/embeddings %s: vector %v", format, v)
		}
	}
	if len(eb.calls) != 3 {
		t.Errorf("backend saw %d embed calls, want 3", len(eb.calls))
	}
	entries := g.logLines()
	want := [][]string{{"alpha", "beta"}, {"gamma"}, {"delta"}, {"delta"}}
	if len(entries) != len(want) {
		t.Fatalf("%d log lines, want %d", len(entries), len(want))
	}
	for i, e := range entries {
		var got []string
		for _, m := range e.Messages {
			got = append(got, m.Content)
		}
		if e.Prompt != nil {
			got = append(got, *e.Prompt)
		}
		if strings.Join(got, "|") != strings.Join(want[i], "|") || e.PromptTokens == 0 || e.Status != 200 || e.Model != "vec" {
			t.Errorf("line %d (%s): inputs %q, prompt tokens %d, status %d", i, e.Endpoint, got, e.PromptTokens, e.Status)
		}
	}
}

// TestAttackEmbeddingsOff: a generative model's embeddings are its hidden
// states. For a model without embeddings on, every endpoint refuses, the
// backend is never asked, and the refusal is logged with the inputs; a
// model the account may not use is 404 as if it did not exist; token
// arrays (text the log could not keep) are refused.
func TestAttackEmbeddingsOff(t *testing.T) {
	g, eb := startEmbedGateway(t, true)
	tests := []struct {
		path   string
		body   map[string]any
		status int
	}{
		{"/api/embed", map[string]any{"model": "gen", "input": "secret sauce"}, 400},
		{"/api/embeddings", map[string]any{"model": "gen", "prompt": "secret sauce"}, 400},
		{"/v1/embeddings", map[string]any{"model": "gen", "input": []string{"secret sauce"}}, 400},
		{"/v1/embeddings", map[string]any{"model": "vec-raw", "input": "secret sauce"}, 404},
		{"/api/embed", map[string]any{"model": "vec", "input": []int{1, 2, 3}}, 400},
		{"/v1/embeddings", map[string]any{"model": "vec", "input": [][]int{{1, 2}}}, 400},
	}
	for _, tt := range tests {
		resp := g.post(tt.path, devKey, tt.body)
		got := readAll(t, resp)
		if resp.StatusCode != tt.status {
			t.Errorf("%s %v: %d %s", tt.path, tt.body, resp.StatusCode, got)
		}
		if strings.HasPrefix(tt.path, "/v1/") != strings.Contains(got, `"code":`) {
			t.Errorf("%s: wrong error shape %s", tt.path, got)
		}
	}
	if len(eb.calls) != 0 {
		t.Errorf("the backend was asked for embeddings %d times", len(eb.calls))
	}
	entries := g.logLines()
	if len(entries) != len(tests) {
		t.Fatalf("%d log lines for %d refusals", len(entries), len(tests))
	}
	for i, e := range entries[:4] {
		logged := e.Prompt != nil && *e.Prompt == "secret sauce" || len(e.Messages) == 1 && e.Messages[0].Content == "secret sauce"
		if !logged || e.Status != tests[i].status {
			t.Errorf("line %d: refusal logged without its input: %+v", i, e)
		}
	}
}

// TestEmbeddedBackendHasNoEmbeddings: turned on for the embedded
// backend, embeddings answer 501 in each API's shape.
func TestEmbeddedBackendHasNoEmbeddings(t *testing.T) {
	g, _ := startEmbedGateway(t, false)
	resp := g.post("/api/embed", devKey, map[string]any{"model": "vec", "input": "x"})
	if got := readAll(t, resp); resp.StatusCode != 501 || got != `{"error":"this backend has no embeddings"}`+"\n" {
		t.Errorf("/api/embed: %d %s", resp.StatusCode, got)
	}
	resp = g.post("/v1/embeddings", devKey, map[string]any{"model": "vec", "input": "x"})
	if got := readAll(t, resp); resp.StatusCode != 501 || !strings.Contains(got, `"code":"not_implemented"`) {
		t.Errorf("/v1/embeddings: %d %s", resp.StatusCode, got)
	}
}
