package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"forensics/corpora"
	"forensics/generate"
	"forensics/internal/measure"
	"forensics/internal/sidechannel"
	"forensics/llm"
)

// timingAttack runs the stream-timing attack of issue 13 on a gateway
// (package sidechannel): long prompts, streamed answers, each pause
// scored against the truth from the gateway's trace.
func timingAttack(t *testing.T, g *gateway, requests, promptParas, pieces int) (sidechannel.Result, int) {
	t.Helper()
	var mu sync.Mutex
	traces := map[string][]generate.Token{}
	g.srv.trace = func(id string, toks []generate.Token) {
		mu.Lock()
		traces[id] = toks
		mu.Unlock()
	}
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Join(paras[:promptParas], "\n") // 120 paragraphs: about 5,000 pieces
	ask := func(i int) (string, []sidechannel.Frame) {
		data, _ := json.Marshal(map[string]any{"model": "embedded", "raw": true, "prompt": long + "\n" + paras[200+i],
			"options": map[string]any{"num_predict": pieces, "min_tokens": pieces, "temperature": 1.0}})
		req, _ := http.NewRequest(http.MethodPost, g.http.URL+"/api/generate", bytes.NewReader(data))
		req.Header.Set("Authorization", "Bearer "+devKey)
		resp, err := g.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		frames, err := sidechannel.ReadNDJSON(resp.Body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d, %v", resp.StatusCode, err)
		}
		return resp.Header.Get("X-Request-Id"), frames
	}
	ask(0) // the first request in a prompt size waits for the calibration
	var green, red []float64
	for i := 0; i < requests; i++ {
		id, frames := ask(100 + i)
		mu.Lock()
		toks := traces[id]
		mu.Unlock()
		gr, rd := sidechannel.Gaps(frames, toks)
		green, red = append(green, gr...), append(red, rd...)
	}
	stalls := 0
	for _, e := range g.logLines() {
		stalls += e.Stalls
	}
	res, err := sidechannel.Score(green, red)
	if err != nil {
		t.Fatal(err)
	}
	return res, stalls
}

// slowRestarts is the embedded backend as it was before prompts were
// tokenized once per request: every restarted stream reads the whole
// prompt again, as Ollama does at every upstream request. It makes the
// cost of a rejection visible.
//
// Like Ollama (llm/ollama), it honours StreamRequest.Chunk: a paced
// generation's stream is a series of requests of Chunk tokens, each
// reading the prompt again, so that an accepted piece costs what a
// replaced one does. Without that, a stand-in that restarts only on
// rejections is not the backend the pacer was built for: under a loaded
// CI machine, short paced answers with a rejection took measurably longer
// (AUC 0.71).
type slowRestarts struct{ Backend }

func (b slowRestarts) Stream(ctx context.Context, req llm.StreamRequest, fn func(llm.Draft) error) error {
	req.PromptPieces = nil
	if req.Chunk <= 0 {
		return b.Backend.Stream(ctx, req, fn)
	}
	generated := append([]string(nil), req.Generated...)
	for request, produced := 0, 0; req.MaxTokens <= 0 || produced < req.MaxTokens; request++ {
		r := req
		r.Generated, r.Seed, r.MaxTokens = generated, req.Seed+uint64(request), req.Chunk
		if req.MaxTokens > 0 {
			r.MaxTokens = min(req.Chunk, req.MaxTokens-produced)
		}
		got, stopped, ended := 0, false, false
		err := b.Backend.Stream(ctx, r, func(d llm.Draft) error {
			got++
			d.Request = request
			if err := fn(d); err != nil {
				stopped = true
				return err
			}
			if d.EOS {
				ended = true
			} else {
				generated = append(generated, d.Piece)
				produced++
			}
			return nil
		})
		if err != nil || stopped || ended || got < r.MaxTokens {
			return err
		}
	}
	return nil
}

// TestAttackStreamTiming measures the timing channel with pacing off (the
// gateway as it was: text sent as soon as it is final) and on, for a
// backend whose restarts cost as much as reading the prompt (as Ollama's
// do) and, with FORENSICS_MEASURE=1, for the embedded backend too and with
// prompts twelve times as long (make measure). Paced, the classifier must
// do no better than chance (sidechannel.Result.AtChance; the 95% interval
// is reported). Unpaced with slow restarts, it must find the channel
// (sidechannel.Result.Found), or the test has no power.
//
// The unit size is as small as the check allows: 12 requests give about
// 1,100 paced pieces and an AUC standard error of about 0.017, so the
// 0.05 tolerance is 2.9 standard errors (a chance failure about once in
// 250 runs); fewer requests would fail by chance more often.
func TestAttackStreamTiming(t *testing.T) {
	requests, paras, pieces, backends := 12, 10, 100, []bool{true}
	if measure.Enabled() {
		requests, paras, pieces, backends = 30, 120, 200, []bool{false, true}
	}
	for _, slow := range backends {
		for _, paced := range []bool{false, true} {
			t.Run(fmt.Sprintf("slow-restarts=%v/paced=%v", slow, paced), func(t *testing.T) {
				g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, o *Options) {
					c.Requests.MaxBodyBytes = 1 << 20
					c.Watermarking.Pacing = &paced
					if slow {
						o.Backend = slowRestarts{o.Backend}
					}
				})
				r, stalls := timingAttack(t, g, requests, paras, pieces)
				auc := r.AUC
				t.Logf("slow restarts %v, paced %v: AUC %.3f (95%% CI %.3f–%.3f) over %d green and %d red pieces; green share before the 5%% longest pauses %.3f, overall %.3f; %d stalls",
					slow, paced, auc.AUC, auc.Lo, auc.Hi, auc.NPos, auc.NNeg, r.TopGreen, r.BaseGreen, stalls)
				if paced && !r.AtChance(0.05) {
					t.Errorf("paced stream: pause timing tells green pieces apart (AUC %.3f, 95%% CI %.3f–%.3f)", auc.AUC, auc.Lo, auc.Hi)
				}
				if slow && !paced && !r.Found() {
					t.Errorf("the attack found no channel without pacing (AUC %.3f): the test has no power", auc.AUC)
				}
			})
		}
	}
}

// TestAttackShortAnswerTiming is the review's attack on short answers:
// many 4-piece answers, each timed whole (the client's elapsed time); an
// answer with a rejected draft took a restart more. The attacker's score
// is the elapsed time, the truth whether the answer had a rejection (the
// log's "rejected"). Unpaced, on a backend whose restarts re-read the
// prompt, it finds them; paced, it must not (AUC within 0.5 ± 0.1: 400
// answers measure it to about ±0.06); unpaced it must find the channel.
func TestAttackShortAnswerTiming(t *testing.T) {
	paras, _ := corpora.Paragraphs()
	prompt := strings.Join(paras[:4], "\n")
	for _, paced := range []bool{false, true} {
		t.Run(fmt.Sprintf("paced=%v", paced), func(t *testing.T) {
			g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, o *Options) {
				c.Requests.MaxBodyBytes = 1 << 20
				c.Watermarking.Pacing = &paced
				o.Backend = slowRestarts{o.Backend}
			})
			elapsed := map[string]float64{}
			for i := 0; i < 400; i++ {
				start := time.Now()
				resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "raw": true, "prompt": prompt, "stream": false,
					"options": map[string]any{"num_predict": 4, "min_tokens": 4, "temperature": 1.0}})
				readAll(t, resp)
				elapsed[resp.Header.Get("X-Request-Id")] = time.Since(start).Seconds()
			}
			var with, without []float64
			for _, e := range g.logLines() {
				if x, ok := elapsed[e.RequestID]; ok && e.Rejected > 0 {
					with = append(with, x)
				} else if ok {
					without = append(without, x)
				}
			}
			r, err := sidechannel.Score(with, without)
			if err != nil {
				t.Fatal(err)
			}
			a := r.AUC
			t.Logf("paced %v: AUC of the elapsed time for answers with a rejection %.3f (95%% CI %.3f–%.3f), %d with and %d without", paced, a.AUC, a.Lo, a.Hi, a.NPos, a.NNeg)
			if paced && !r.AtChance(0.1) {
				t.Errorf("paced: the elapsed time tells answers with a rejection apart")
			}
			if !paced && !r.Found() {
				t.Errorf("unpaced: no channel found (AUC %.3f); the test has no power", a.AUC)
			}
		})
	}
}
