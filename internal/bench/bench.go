// Package bench measures the toolkit's speed on this machine, each figure
// next to the baseline it should be read against, measured in the same
// run (ratios, not absolute times, are what carry over to other machines).
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"forensics/corpora"
	"forensics/generate"
	"forensics/internal/traffic"
	"forensics/llm/embedded"
	"forensics/logscan"
	"forensics/probe"
	"forensics/serve"
	"forensics/watermark"
)

// Row is one measurement.
type Row struct {
	Name     string  `json:"name"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline string  `json:"baseline,omitempty"` // the row it is compared with
	Ratio    float64 `json:"ratio,omitempty"`    // Value / baseline's Value
}

// Run measures everything; progress gets the name of each measurement as
// it starts.
func Run(ctx context.Context, progress func(string)) ([]Row, error) {
	if progress == nil {
		progress = func(string) {}
	}
	m, err := embedded.Load()
	if err != nil {
		return nil, err
	}
	key, err := watermark.NewKeyFromSecret("bench", watermark.DefaultParams(), [32]byte{1}, time.Time{})
	if err != nil {
		return nil, err
	}
	b := &bencher{ctx: ctx, progress: progress, model: m, key: key, scheme: watermark.NewScheme(key)}
	for _, step := range []func() error{b.detection, b.generation, b.gateway, b.logScan} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return b.rows, nil
}

// bencher is one Run: what it measures with, and the rows so far.
type bencher struct {
	ctx      context.Context
	progress func(string)
	model    *embedded.Model
	key      *watermark.Key
	scheme   *watermark.Scheme
	rows     []Row
}

// add appends r, with its ratio to its baseline row if that was measured.
func (b *bencher) add(r Row) {
	if r.Baseline != "" {
		for _, base := range b.rows {
			if base.Name == r.Baseline && base.Value > 0 {
				r.Ratio = r.Value / base.Value
			}
		}
	}
	b.rows = append(b.rows, r)
}

// run reports name and runs f as a benchmark.
func (b *bencher) run(name string, f func(b *testing.B)) testing.BenchmarkResult {
	b.progress(name)
	return testing.Benchmark(f)
}

// perSec is the rate of units per benchmark iteration.
func perSec(r testing.BenchmarkResult, units int) float64 {
	if r.T <= 0 {
		return 0
	}
	return float64(units) * float64(r.N) / r.T.Seconds()
}

// detection measures tokenizing and detecting 100,000 bytes of the corpus,
// and the probe's radioactivity score over 100 answers cut from it.
func (b *bencher) detection() error {
	tk := b.model.Tokenizer()
	raw, err := corpora.Raw(corpora.Sources[0].File)
	if err != nil {
		return err
	}
	text := string(raw[:100_000])
	pieces, err := tk.Pieces(text)
	if err != nil {
		return err
	}
	n := len(pieces)
	r := b.run("tokenize", func(tb *testing.B) {
		for range tb.N {
			tk.Pieces(text)
		}
	})
	b.add(Row{Name: "tokenize text (embedded BPE)", Value: perSec(r, n), Unit: "tokens/s"})
	det := &watermark.Detector{Scheme: b.scheme, Tokenizer: tk, Normalize: true, Alpha: 1e-6}
	r = b.run("detect text", func(tb *testing.B) {
		for range tb.N {
			det.DetectText("", text)
		}
	})
	b.add(Row{Name: "detect from text (normalise, tokenize, score)", Value: perSec(r, n), Unit: "tokens/s", Baseline: "tokenize text (embedded BPE)"})
	doc := pieces[:1000]
	r = b.run("detect pieces", func(tb *testing.B) {
		for range tb.N {
			sc := b.scheme.NewScorer(false)
			sc.AddPieces(doc)
			sc.Result(1e-6)
		}
	})
	b.add(Row{Name: "detect from pieces (1,000-piece documents)", Value: perSec(r, len(doc)), Unit: "tokens/s", Baseline: "tokenize text (embedded BPE)"})

	// Probe scoring: the radioactivity score over a set of answers.
	var answers, prompts []string
	for i := 0; i+200 <= len(pieces) && len(answers) < 100; i += 200 {
		answers = append(answers, strings.Join(pieces[i:i+200], ""))
		prompts = append(prompts, "Tell me a story.")
	}
	r = b.run("probe scoring", func(tb *testing.B) {
		for range tb.N {
			probe.ScoreAnswers(b.scheme, tk, prompts, answers)
		}
	})
	b.add(Row{Name: "probe radioactivity scoring (100 answers, from text)", Value: perSec(r, 200*len(answers)), Unit: "tokens/s", Baseline: "tokenize text (embedded BPE)"})
	return nil
}

// generation counts speculative round trips against one request per token.
func (b *bencher) generation() error {
	var toks, trips int
	b.run("speculative", func(tb *testing.B) {
		for i := range tb.N {
			_, st, err := generate.Speculative(b.ctx, b.model, b.scheme, "The letter said", generate.StreamOptions{MaxTokens: 200, MinTokens: 200, Temperature: 1, Seed: generate.SeedFromUint64(uint64(i))}, func(string, int) error { return nil })
			if err != nil {
				tb.Fatal(err)
			}
			toks += st.Tokens
			trips += st.RoundTrips
		}
	})
	b.add(Row{Name: "upstream round trips per token, stepping (one request per token)", Value: 1, Unit: "trips/token"})
	b.add(Row{Name: "upstream round trips per token, speculative acceptance", Value: float64(trips) / float64(max(toks, 1)), Unit: "trips/token", Baseline: "upstream round trips per token, stepping (one request per token)"})
	return nil
}

// gateway measures the gateway on the embedded backend, watermarked and not.
func (b *bencher) gateway() error {
	gw, err := newGateway(b.model, b.key)
	if err != nil {
		return err
	}
	defer gw.close()
	for _, acct := range []struct{ name, apiKey string }{{"gateway, unwatermarked account (HTTP, embedded backend)", "sk-plain"}, {"gateway, watermarked account (HTTP, embedded backend)", "sk-wm"}} {
		var tokens int
		r := b.run(acct.name, func(tb *testing.B) {
			for i := range tb.N {
				n, err := gw.generate(acct.apiKey, i)
				if err != nil {
					tb.Fatal(err)
				}
				tokens += n
			}
		})
		row := Row{Name: acct.name, Value: float64(tokens) / r.T.Seconds(), Unit: "tokens/s"}
		if acct.apiKey == "sk-wm" {
			row.Baseline = "gateway, unwatermarked account (HTTP, embedded backend)"
		}
		b.add(row)
	}
	return nil
}

// logScan measures the scanner on a simulated log: the per-request
// features, and the whole scan.
func (b *bencher) logScan() error {
	dir, err := os.MkdirTemp("", "forensics-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var logBuf bytes.Buffer
	if _, err := traffic.Simulate(traffic.Config{Accounts: 200, Attackers: 8, Days: 2, Seed: 1}, &logBuf); err != nil {
		return err
	}
	logPath := filepath.Join(dir, "requests.jsonl")
	if err := os.WriteFile(logPath, logBuf.Bytes(), 0o644); err != nil {
		return err
	}
	lines := bytes.Count(logBuf.Bytes(), []byte{'\n'})
	r := b.run("scan-logs", func(tb *testing.B) {
		for range tb.N {
			s, _ := logscan.NewScanner(logscan.DefaultConfig())
			logscan.Read(b.ctx, []string{logPath}, logscan.DefaultLayout(), func(rec logscan.Record) error { s.Add(rec); return nil }, nil)
		}
	})
	b.add(Row{Name: fmt.Sprintf("scan-logs per-request features (%d-line simulated log)", lines), Value: perSec(r, lines), Unit: "lines/s"})
	r = b.run("scan-logs whole", func(tb *testing.B) {
		for range tb.N {
			logscan.Scan(b.ctx, logscan.DefaultConfig(), []string{logPath}, nil)
		}
	})
	b.add(Row{Name: "scan-logs whole scan with judgement and clusters", Value: perSec(r, lines), Unit: "lines/s",
		Baseline: fmt.Sprintf("scan-logs per-request features (%d-line simulated log)", lines)})
	return nil
}

type gateway struct {
	srv *serve.Server
	hs  *httptest.Server
}

func newGateway(m *embedded.Model, key *watermark.Key) (*gateway, error) {
	cfg, err := serve.ParseConfig([]byte(fmt.Sprintf(`
keys: {k: unused.yaml}
defaults: {key: k}
accounts:
  - {name: wm, api_keys: ["%s"]}
  - {name: plain, watermark: false, api_keys: ["%s"]}
`, serve.HashAPIKey("sk-wm"), serve.HashAPIKey("sk-plain"))))
	if err != nil {
		return nil, err
	}
	srv, err := serve.New(cfg, serve.Options{Backend: serve.NewEmbeddedBackend(m), Keys: map[string]*watermark.Key{"k": key}})
	if err != nil {
		return nil, err
	}
	return &gateway{srv: srv, hs: httptest.NewServer(srv.Handler())}, nil
}

func (g *gateway) close() {
	g.hs.Close()
	g.srv.Close()
}

// generate asks for 200 tokens and returns how many came.
func (g *gateway) generate(apiKey string, seed int) (int, error) {
	body, _ := json.Marshal(map[string]any{"model": "embedded", "prompt": "The letter said", "stream": false,
		"options": map[string]any{"num_predict": 200, "min_tokens": 200, "temperature": 1, "seed": seed}})
	req, _ := http.NewRequest(http.MethodPost, g.hs.URL+"/api/generate", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := g.hs.Client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	_, n, err := probe.ExtractText(probe.ExtractOllama, raw)
	if err != nil {
		return 0, fmt.Errorf("gateway: %s: %w", resp.Status, err)
	}
	return n, nil
}
