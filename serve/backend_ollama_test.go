package serve

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ollama/ollama/api"

	"forensics/llm/ollama"
)

// fakeUpstream answers the calls the gateway passes through to Ollama.
type fakeUpstream struct {
	versions  atomic.Int64
	embedWith atomic.Value // the model name the last /api/embed asked for
}

func (f *fakeUpstream) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, _ *http.Request) {
		f.versions.Add(1)
		json.NewEncoder(w).Encode(map[string]string{"version": "0.99.1"})
	})
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, _ *http.Request) {
		json.NewEncoder(w).Encode(api.ProcessResponse{Models: []api.ProcessModelResponse{
			{Name: "llama-raw:latest", Model: "llama-raw:latest", Size: 1}, {Name: "nomic:latest", Model: "nomic:latest", Size: 2}}})
	})
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		var req api.EmbedRequest
		json.NewDecoder(r.Body).Decode(&req)
		f.embedWith.Store(req.Model)
		json.NewEncoder(w).Encode(api.EmbedResponse{Model: req.Model, Embeddings: [][]float32{{0.25, 0.5}}, PromptEvalCount: 3})
	})
	return mux
}

// TestOllamaPassthrough: through the Ollama backend, /api/version is the
// upstream's (fetched once a minute, whatever the traffic), /api/ps lists
// the running models under the names the account uses, and embeddings go
// to the upstream model of the name asked.
func TestOllamaPassthrough(t *testing.T) {
	f := &fakeUpstream{}
	up := httptest.NewServer(f.handler())
	defer up.Close()
	base, _ := url.Parse(up.URL)
	g := startGatewayWith(t, testKey(t, 1), `models:
  - name: chat
    upstream: llama-raw:latest
  - name: vec
    upstream: nomic:latest
    embeddings: true
`, func(c *Config, o *Options) {
		c.Watermarking.Pacing = ptr(false)
		o.Backend = NewOllamaBackend(ollama.New(base, up.Client()))
	})
	for range 3 {
		if got := readAll(t, g.get("/api/version", "")); got != `{"version":"0.99.1"}`+"\n" {
			t.Errorf("/api/version: %q", got)
		}
	}
	if n := f.versions.Load(); n != 1 {
		t.Errorf("upstream asked its version %d times for 3 requests in a minute", n)
	}
	var ps api.ProcessResponse
	json.Unmarshal([]byte(readAll(t, g.get("/api/ps", devKey))), &ps)
	var names []string
	for _, m := range ps.Models {
		names = append(names, m.Name+"="+m.Model)
	}
	if strings.Join(names, ",") != "chat=chat,vec=vec" {
		t.Errorf("/api/ps names %v", names)
	}
	resp := g.post("/v1/embeddings", devKey, map[string]any{"model": "vec", "input": "hello", "encoding_format": "float"})
	body := readAll(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "[0.25,0.5]") || f.embedWith.Load() != "nomic:latest" {
		t.Errorf("/v1/embeddings: %d %s (upstream model %v)", resp.StatusCode, body, f.embedWith.Load())
	}
}
