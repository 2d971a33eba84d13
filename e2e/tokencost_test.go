package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"forensics/internal/measure"
	"forensics/internal/tinymodel"
	"forensics/llm/embedded"
	"forensics/llm/ollama"
	"forensics/serve"
)

// costModel is a synthetic model of a given size: the tiny model's
// logits, padded to width with zero columns and given more (zero-output)
// blocks, so that a token costs more and says the same.
type costModel struct {
	name               string
	dim, ffn, blocks   int
	heads              int
	gguf               string
	tokenCost, plainTS float64 // measured: seconds per token, tokens/s
}

// wideModel writes and imports a costModel (tiny-long itself for width 0).
func wideModel(t *testing.T, o *ollamaServer, m *costModel) {
	t.Helper()
	if m.dim == 0 {
		return
	}
	em, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := tinymodel.FromEmbedded(context.Background(), em, 95, 1)
	if err != nil {
		t.Fatal(err)
	}
	spec.SuppressEOS(100)
	spec.Heads, spec.FFN, spec.Blocks = m.heads, m.ffn, m.blocks
	if err := spec.Widen(m.dim); err != nil {
		t.Fatal(err)
	}
	m.gguf = filepath.Join(t.TempDir(), m.name+".gguf")
	if err := tinymodel.Write(m.gguf, spec); err != nil {
		t.Fatal(err)
	}
	o.create(t, m.name, m.gguf)
	os.Remove(m.gguf) // Ollama keeps its own copy
}

// plainRound streams n tokens from Ollama directly: the time it took.
func plainRound(t *testing.T, o *ollamaServer, model string, seed, n int) time.Duration {
	t.Helper()
	client := api.NewClient(o.url(), http.DefaultClient)
	stream := true
	start := time.Now()
	err := client.Generate(context.Background(), &api.GenerateRequest{Model: model, Prompt: "The letter said", Raw: true, Stream: &stream,
		Logprobs: true, TopLogprobs: ollama.TopK, Options: ollama.Options(1, uint64(seed), n)}, func(api.GenerateResponse) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	return time.Since(start)
}

// costGateway is a gateway in front of o, paced or not.
type costGateway struct {
	hs      *httptest.Server
	logPath string
}

func newCostGateway(t *testing.T, o *ollamaServer, paced bool) *costGateway {
	t.Helper()
	hs, _, _, logPath := gatewayWith(t, o, nil, func(c *serve.Config, so *serve.Options) {
		c.Watermarking.Pacing = &paced
		if testing.Verbose() {
			so.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil)) // pace calibrations
		}
	})
	return &costGateway{hs: hs, logPath: logPath}
}

// round asks for one watermarked generation of n tokens: the time it
// took and the tokens the log says it served.
func (g *costGateway) round(t *testing.T, model string, seed, n int) (time.Duration, int) {
	t.Helper()
	start := time.Now()
	resp := post(t, g.hs, "/api/generate", wmKey, map[string]any{"model": model, "prompt": "The letter said", "raw": true,
		"options": map[string]any{"num_predict": n, "temperature": 1.0, "seed": seed}})
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	lines := requestLines(t, g.logPath)
	return d, lines[len(lines)-1].CompletionTokens
}

// costCell sums one column's rounds.
type costCell struct {
	time   time.Duration
	tokens int
}

func (c *costCell) add(d time.Duration, n int) { c.time += d; c.tokens += n }
func (c costCell) rate() float64               { return float64(c.tokens) / c.time.Seconds() }

// TestThroughputVsTokenCost measures, in one run, tokens/s of plain
// Ollama and of watermarked generations through the gateway (unpaced,
// chunks of 3; paced, one token a request) for models whose token costs
// grow from the tiny model's to tens of milliseconds: the ratio against
// token cost. The three are measured round by round, interleaved, so that
// a neighbour's load falls on all of them alike. With
// FORENSICS_PROFILE=path, a CPU profile of the test process (the gateways
// and the client) over the tiny model's rounds. -short: a small version.
func TestThroughputVsTokenCost(t *testing.T) {
	measure.Require(t, "gateway throughput against plain Ollama as token cost grows: minutes")
	server(t) // the tiny models' files
	// Its own server, with two slots: the pace's calibration runs beside
	// generations, and with one slot each would evict the other's prompt
	// from Ollama's cache, so that every paced token re-read a whole
	// prompt (τ = 3.2 s a token on wide-512 in a run with one slot).
	o := &ollamaServer{bin: shared.bin, models: t.TempDir(), host: freePort(t), logPath: filepath.Join(t.TempDir(), "ollama.log"),
		env: []string{"OLLAMA_NUM_PARALLEL=2"}}
	o.start(t)
	t.Cleanup(o.stop) // after the gateways' cleanups: calibrations still running end first
	o.create(t, modelLong, ggufs[modelLong])
	n, rounds := 200, 5
	models := []*costModel{
		{name: modelLong},
		{name: "wide-512", dim: 512, ffn: 1536, blocks: 4, heads: 8},
		{name: "wide-1024", dim: 1024, ffn: 2816, blocks: 3, heads: 16},
	}
	if testing.Short() {
		n, rounds = 60, 2
	}
	var report strings.Builder
	fmt.Fprintf(&report, "%-10s %9s %12s %14s %7s %12s %7s\n", "model", "ms/token", "plain tok/s", "unpaced tok/s", "ratio", "paced tok/s", "ratio")
	for i, m := range models {
		wideModel(t, o, m)
		plainRound(t, o, m.name, 0, 1) // load the model
		unpacedGW, pacedGW := newCostGateway(t, o, false), newCostGateway(t, o, true)
		unpacedGW.round(t, m.name, 0, 1)
		pacedGW.round(t, m.name, 0, 1) // waits for the pace's calibration
		if p := os.Getenv("FORENSICS_PROFILE"); p != "" && i == 0 {
			stop := startProfile(t, p)
			for r := range rounds {
				unpacedGW.round(t, m.name, 100+r, n)
			}
			stop()
		}
		var plain, unpaced, paced costCell
		for r := range rounds {
			plain.add(plainRound(t, o, m.name, 100+r, n), n)
			unpaced.add(unpacedGW.round(t, m.name, 100+r, n))
			paced.add(pacedGW.round(t, m.name, 100+r, n))
			t.Logf("%s round %d: plain %v, unpaced %v, paced %v (cumulative)", m.name, r, plain.time, unpaced.time, paced.time)
		}
		m.plainTS = plain.rate()
		m.tokenCost = 1 / m.plainTS
		fmt.Fprintf(&report, "%-10s %9.1f %12.0f %14.0f %7.2f %12.0f %7.2f\n", m.name, 1000*m.tokenCost, m.plainTS,
			unpaced.rate(), unpaced.rate()/m.plainTS, paced.rate(), paced.rate()/m.plainTS)
	}
	t.Logf("%d tokens × %d rounds per cell, watermarked account, temperature 1:\n%s", n, rounds, report.String())
}

// startProfile starts a CPU profile into path; the returned func stops it.
func startProfile(t *testing.T, path string) func() {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}
