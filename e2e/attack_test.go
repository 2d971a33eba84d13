package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"forensics/corpora"
	"forensics/generate"
	"forensics/internal/sidechannel"
	"forensics/llm/tokenizer"
	"forensics/serve"
	"forensics/watermark"
)

// TestTimingAttackOllama runs the stream-timing attack of issue 13 through
// the gateway to a real Ollama, where every rejected draft costs an HTTP
// request that re-reads the prompt: long prompts, streamed answers, and the
// classifier "the piece before a long pause is green" scored by AUC against
// the gateway's trace. Unpaced, it must find the channel (or the test has
// no power); paced, it must do no better than chance.
func TestTimingAttackOllama(t *testing.T) {
	o := server(t)
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Join(paras[:25], "\n") // about 1,000 tokens: the tiny model's context holds it
	for _, paced := range []bool{false, true} {
		t.Run(fmt.Sprintf("paced=%v", paced), func(t *testing.T) {
			var mu sync.Mutex
			traces := map[string][]generate.Token{}
			hs, _, _, logPath := gatewayWith(t, o, nil, func(c *serve.Config, opts *serve.Options) {
				c.Watermarking.Pacing = &paced
				opts.Trace = func(id string, toks []generate.Token) {
					mu.Lock()
					traces[id] = toks
					mu.Unlock()
				}
			})
			ask := func(i int) (string, []sidechannel.Frame) {
				resp := post(t, hs, "/api/generate", wmKey, map[string]any{"model": modelLong, "raw": true, "prompt": long + "\n" + paras[200+i],
					"options": map[string]any{"num_predict": 80, "temperature": 1.0}})
				defer resp.Body.Close()
				frames, err := sidechannel.ReadNDJSON(resp.Body)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("status %d, %v\n%s", resp.StatusCode, err, logTail(o.logPath))
				}
				return resp.Header.Get("X-Request-Id"), frames
			}
			ask(0) // the first request waits for the pace's calibration
			var green, red []float64
			for i := 0; i < 10; i++ { // 10 answers: 16 took 520 s of CI time
				id, frames := ask(100 + i)
				mu.Lock()
				g, r := sidechannel.Gaps(frames, traces[id])
				mu.Unlock()
				green, red = append(green, g...), append(red, r...)
			}
			res, err := sidechannel.Score(green, red)
			if err != nil {
				t.Fatal(err)
			}
			a := res.AUC
			stalls, ms, toks := 0, 0.0, 0
			for _, e := range requestLines(t, logPath)[1:] {
				stalls += e.Stalls
				ms += e.LatencyMS
				toks += e.CompletionTokens
			}
			t.Logf("Ollama, paced %v: AUC %.3f (95%% CI %.3f–%.3f) over %d green and %d red pieces; green share before the 5%% longest pauses %.3f, overall %.3f; %d stalls, %.1f ms a token",
				paced, a.AUC, a.Lo, a.Hi, a.NPos, a.NNeg, res.TopGreen, res.BaseGreen, stalls, ms/float64(toks))
			if paced && !res.AtChance(0.05) {
				t.Errorf("paced: pauses tell green pieces apart (AUC %.3f, %.3f–%.3f)", a.AUC, a.Lo, a.Hi)
			}
			if !paced && !res.Found() {
				t.Errorf("unpaced: the attack found no channel (AUC %.3f); the test has no power", a.AUC)
			}
		})
	}
}

// TestLowTemperatureOllama asks a real Ollama, through the gateway, for
// 200-token answers at T = 0, 0.05 and 0.2 (a harvester dodging the
// watermark): each must detect at log10 p ≤ −6.
func TestLowTemperatureOllama(t *testing.T) {
	o := server(t)
	hs, _, k, _ := gatewayTo(t, o)
	f, err := tokenizer.FromOllama(context.Background(), o.url(), modelLong, nil)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := tokenizer.New(f)
	d := &watermark.Detector{Scheme: watermark.NewScheme(k), Tokenizer: tk, Normalize: true, Alpha: 1e-6}
	prompts := []string{"Tell me about the war.", "The letter said", "Describe the ball.", "What did the old prince say?"}
	for _, temp := range []float64{0, 0.05, 0.2} {
		var lps []float64
		for _, p := range prompts {
			resp := post(t, hs, "/api/generate", wmKey, map[string]any{"model": modelLong, "prompt": p, "stream": false,
				"options": map[string]any{"num_predict": 200, "temperature": temp}})
			b := readBody(t, resp)
			r, _ := d.DetectText(p, text(t, "/api/generate", b))
			lps = append(lps, r.Log10P)
		}
		sort.Float64s(lps)
		t.Logf("Ollama T=%.2f: log10 p of %d answers of 200 tokens: median %.1f, worst %.1f", temp, len(lps), lps[len(lps)/2], lps[len(lps)-1])
		if lps[len(lps)-1] > -6 {
			t.Errorf("T=%.2f: an answer detects only at log10 p %.1f", temp, lps[len(lps)-1])
		}
	}
}
