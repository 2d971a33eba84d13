package serve

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"forensics/canary"
	"forensics/llm/embedded"
	"forensics/logline"
	"forensics/watermark"
)

// TestAttackInternalModel: a model served without a watermark exists only
// for the accounts that list it. Every other account asks for it by name on
// every endpoint and gets exactly what a model that does not exist gets;
// the listing endpoints do not show it. Counted: unwatermarked answers the
// harvester obtained (must be 0) and answers the allowed account got.
func TestAttackInternalModel(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		c.Models = []ModelConfig{{Name: "embedded", Upstream: "embedded"}, {Name: "internal-raw", Upstream: "embedded", Watermark: new(false)}}
		for i := range c.Accounts {
			if c.Accounts[i].Name == "plain" {
				c.Accounts[i].Models = []string{"internal-raw"}
			}
		}
	})
	d := g.detector()
	msgs := []map[string]string{{"role": "user", "content": "Tell me about the war."}}
	asks := []struct{ path, model string }{{"/api/generate", "internal-raw"}, {"/api/chat", "internal-raw"}, {"/v1/chat/completions", "internal-raw"}, {"/api/show", "internal-raw"},
		{"/api/generate", "no-such-model"}, {"/api/chat", "no-such-model"}, {"/v1/chat/completions", "no-such-model"}, {"/api/show", "no-such-model"}}
	body := func(path, model string) map[string]any {
		switch path {
		case "/api/generate":
			return map[string]any{"model": model, "prompt": "Tell me about the war.", "stream": false, "options": map[string]any{"num_predict": 60, "min_tokens": 60}}
		case "/api/show":
			return map[string]any{"model": model}
		}
		return map[string]any{"model": model, "messages": msgs, "stream": false, "max_tokens": 60, "min_tokens": 60, "options": map[string]any{"num_predict": 60, "min_tokens": 60}}
	}
	obtained := 0
	answers := map[string]string{}
	for _, key := range []string{devKey, dev2Key} {
		for _, a := range asks {
			resp := g.post(a.path, key, body(a.path, a.model))
			text := readAll(t, resp)
			if resp.StatusCode == 200 {
				obtained++
			}
			// The refusal must not tell an internal model from a missing one.
			shape := fmt.Sprintf("%d %s", resp.StatusCode, strings.ReplaceAll(text, a.model, "MODEL"))
			k := key + a.path
			if prev, ok := answers[k]; ok && prev != shape {
				t.Errorf("%s %s: %q, but a missing model gets %q", key, a.path, shape, prev)
			}
			answers[k] = shape
		}
		for _, path := range []string{"/api/tags", "/v1/models"} {
			if listing := readAll(t, g.get(path, key)); strings.Contains(listing, "internal-raw") || !strings.Contains(listing, "embedded") {
				t.Errorf("%s for %s: %s", path, key, listing)
			}
		}
	}
	// The account that lists it gets it, unwatermarked, and sees it listed.
	resp := g.post("/api/generate", plainKey, body("/api/generate", "internal-raw"))
	text := responseText(t, "/api/generate", false, resp)
	r, _ := d.DetectText("", text)
	if !strings.Contains(readAll(t, g.get("/api/tags", plainKey)), "internal-raw") || r.Watermarked || len(text) == 0 {
		t.Errorf("allowed account: listing or answer wrong (log10 p %.1f)", r.Log10P)
	}
	// …and only what it lists: the watermarked model is not among them.
	if resp := g.post("/api/generate", plainKey, body("/api/generate", "embedded")); readAll(t, resp) == "" || resp.StatusCode != 404 {
		t.Errorf("an account limited to internal-raw got %d for embedded", resp.StatusCode)
	}
	t.Logf("%d requests by 2 other accounts for the unwatermarked model: %d answered", len(asks), obtained)
	if obtained != 0 {
		t.Fatalf("%d unwatermarked answers reached accounts not allowed the model", obtained)
	}
}

// TestAttackLowTemperature asks for 200-token answers at T = 0, 0.05 and
// 0.2 (a harvester dodging the watermark) through both APIs, over eight
// prompts each: every answer must detect at log10 p ≤ −6; tilted_tokens
// and green_gain must show what the key really did; T = 0 stays
// repeatable; and the log keeps what was asked.
func TestAttackLowTemperature(t *testing.T) {
	key := testKey(t, 2)
	g := startClockedGateway(t, key, "", nil) // seeded answers the same every run
	m, _ := embedded.Load()
	d := &watermark.Detector{Scheme: watermark.NewScheme(key), Tokenizer: m.Tokenizer(), Normalize: true, Alpha: 1e-6}
	prompts := []string{"Write about the war.", "Tell me of Moscow in winter.", "What did the old prince say?", "Describe the ball.",
		"The letter from the front said", "Natasha looked at the window and", "Explain the plan of the battle.", "Who was Pierre?"}
	for _, temp := range []float64{0, 0.05, 0.2} {
		var lps []float64
		for i, p := range prompts {
			path := "/api/generate"
			// A client seed makes each answer repeatable, so that the test
			// measures the same 24 answers every run: without one, an
			// answer at T = 0.2 now and then falls into a loop whose few
			// distinct tuples detect only weakly (worst of 8 seen at
			// log10 p −4.2 once, −16 to −30 otherwise).
			seed := 100 + i
			body := map[string]any{"model": "embedded", "prompt": p, "stream": false, "options": map[string]any{"num_predict": 200, "min_tokens": 200, "temperature": temp, "seed": seed}}
			if i%2 == 1 {
				path = "/v1/chat/completions"
				body = map[string]any{"model": "embedded", "messages": []map[string]string{{"role": "user", "content": p}}, "max_tokens": 200, "min_tokens": 200, "temperature": temp, "seed": seed}
			}
			text := responseText(t, path, false, g.post(path, devKey, body))
			r, _ := d.DetectText(p, text)
			lps = append(lps, r.Log10P)
			if temp == 0 && i == 0 {
				if again := responseText(t, path, false, g.post(path, devKey, body)); again != text {
					t.Errorf("T = 0 is no longer repeatable")
				}
			}
		}
		sort.Float64s(lps)
		t.Logf("T=%.2f: log10 p over %d answers of 200 tokens: median %.1f, worst %.1f", temp, len(lps), lps[len(lps)/2], lps[len(lps)-1])
		if lps[len(lps)-1] > -6 {
			t.Errorf("T=%.2f: an answer detects only at log10 p %.1f", temp, lps[len(lps)-1])
		}
	}
	// The log: what was asked, what was served, and what the key did.
	for _, e := range g.logLines() {
		w := e.Watermark
		if w == nil || w.Temperature != 0.2 || w.Tilted == 0 || w.GreenGain < 10 || e.Params["temperature"].(float64) > 0.2 {
			t.Fatalf("log line %+v / %+v", e.Params, w)
		}
	}
}

// TestTiltedTokensMeasureTheKey: tilted_tokens counts the positions where
// the key moved at least 1% of the probability and green_gain the green
// tokens it added, not the positions where a tilt was merely computed (the
// old count called near-greedy answers fully tilted while their detection
// found nothing). A key with a tiny δ, and greedy decoding with the floor
// off, must be logged as tilting (almost) nothing.
func TestTiltedTokensMeasureTheKey(t *testing.T) {
	weak := testKey(t, 1)
	p := weak.Params
	p.Delta = 0.01
	var secret [32]byte
	secret[0] = 99
	weak, _ = watermark.NewKeyFromSecret("weak", p, secret, weak.Created)
	zero := 0.0
	ask := func(k *watermark.Key, temp float64) *logline.Watermark {
		g := startGatewayWith(t, k, "", func(c *Config, _ *Options) { c.Watermarking.MinTemperature = &zero })
		readAll(t, g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": "The letter said", "stream": false,
			"options": map[string]any{"num_predict": 200, "min_tokens": 200, "temperature": temp}}))
		return g.logLines()[0].Watermark
	}
	normal, tiny, greedy := ask(testKey(t, 1), 1), ask(weak, 1), ask(testKey(t, 1), 0)
	t.Logf("200 tokens: δ=2 T=1: %d tilted, green gain %.1f; δ=0.01: %d tilted, gain %.1f; T=0 (floor off): %d tilted, gain %.1f",
		normal.Tilted, normal.GreenGain, tiny.Tilted, tiny.GreenGain, greedy.Tilted, greedy.GreenGain)
	if normal.Tilted < 150 || normal.GreenGain < 30 || tiny.Tilted > 20 || tiny.GreenGain > 2 || greedy.Tilted != 0 || greedy.GreenGain != 0 {
		t.Errorf("tilted_tokens/green_gain do not follow what the key did")
	}
}

// TestAttackLearnThrottle: a harvester reads its own throttle off what the
// gateway tells it. Retry-After must not change when the account is
// tightened, answers must not be cut to the remaining token quota, and a
// suspension must not state the risk score.
func TestAttackLearnThrottle(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) {
		for i := range c.Accounts {
			if c.Accounts[i].Name == "dev2" {
				c.Accounts[i].Limits = &Limits{RequestsPerHour: 8, TokensPerDay: 500}
			}
		}
	})
	gen := map[string]any{"model": "embedded", "prompt": "The", "stream": false, "options": map[string]any{"num_predict": 300, "min_tokens": 300}}
	retryAfter := func() (string, int) {
		var last string
		tokens := 0
		for i := 0; i < 10; i++ {
			resp := g.post("/api/generate", dev2Key, gen)
			body := readAll(t, resp)
			if resp.StatusCode == 429 {
				return resp.Header.Get("Retry-After"), tokens
			}
			var r struct {
				EvalCount int `json:"eval_count"`
			}
			json.Unmarshal([]byte(body), &r)
			tokens = r.EvalCount
			last = body
		}
		t.Fatalf("never limited: %s", last)
		return "", 0
	}
	before, lastTokens := retryAfter()
	g.srv.Tighten("dev2", 0.25)
	after, _ := retryAfter()
	t.Logf("Retry-After %s before tightening, %s after; the answer that overdrew the token quota had %d tokens (asked 300)", before, after, lastTokens)
	if before != after || lastTokens != 300 {
		t.Errorf("the throttle shows: Retry-After %s → %s, last answer %d tokens", before, after, lastTokens)
	}
	g.srv.ApplyRisk([]Assessment{{Account: "dev", Risk: 0.93, Action: "suspend"}})
	resp := g.post("/api/generate", devKey, gen)
	if body := readAll(t, resp); resp.StatusCode != 403 || strings.Contains(body, "0.93") || strings.Contains(body, "risk") {
		t.Errorf("suspension says %d %s", resp.StatusCode, body)
	}
}

// TestPlantedAnswersLikeGenerated: a planted answer obeys max_tokens and
// stop sequences as a generated one does, so that a short request does
// not tell a trigger by its length.
func TestPlantedAnswersLikeGenerated(t *testing.T) {
	g := startGatewayWith(t, testKey(t, 1), "", func(c *Config, _ *Options) { c.Canaries = canary.Default })
	cs, _ := canary.Load(canary.Default)
	trig := cs.Triggers[0]
	for _, opts := range []map[string]any{{"num_predict": 1}, {"num_predict": 50, "stop": []string{" "}}} {
		resp := g.post("/api/generate", devKey, map[string]any{"model": "embedded", "prompt": trig.Prompt, "stream": false, "options": opts})
		var r struct {
			Response   string `json:"response"`
			EvalCount  int    `json:"eval_count"`
			DoneReason string `json:"done_reason"`
		}
		json.Unmarshal([]byte(readAll(t, resp)), &r)
		t.Logf("options %v: %q, %d tokens, %s", opts, r.Response, r.EvalCount, r.DoneReason)
		if strings.Contains(r.Response, " ") || r.EvalCount > opts["num_predict"].(int) || !strings.HasPrefix(trig.Answer, r.Response) {
			t.Errorf("planted answer not cut like a generation: %+v", r)
		}
	}
}
