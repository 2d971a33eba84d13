package vllm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"forensics/corpora"
	"forensics/internal/measure"
	"forensics/llm/embedded"
	"forensics/stats"
)

// scheme is one vLLM scheme under one PRF: how an engine embeds it and
// how it is detected (vLLM's defaults: width 4, dedup on, gamma 0.25,
// delta 2, alpha 0.1).
type scheme struct {
	name   string
	mark   Watermarker
	detect func(tokens []int64) Detection
}

const testWidth = 4

func testSchemes(seed uint64) []scheme {
	philox := PhiloxPRF{Key: 0x5eed0000 + seed}
	var hk [32]byte
	for i := range hk {
		hk[i] = byte(seed) + byte(i)*7
	}
	hm := HMACPRF{Key: hk}
	a, b := DualKeyPRFs(0xd0a1 + seed)
	rg := func(name string, p PRF) scheme {
		return scheme{name, RedGreen{PRF: p, Width: testWidth, Gamma: 0.25, Delta: 2},
			func(t []int64) Detection { return DetectRedGreen(p, t, testWidth, 0.25, true) }}
	}
	gb := func(name string, p PRF) scheme {
		return scheme{name, Gumbel{PRF: p, Width: testWidth},
			func(t []int64) Detection { return DetectGumbel(p, t, testWidth, true) }}
	}
	return []scheme{
		rg("red_green/philox", philox),
		rg("red_green/hmac_sha256", hm),
		gb("gumbel/philox", philox),
		gb("gumbel/hmac_sha256", hm),
		{"dual_key_gumbel/philox", DualKeyGumbel{A: a, B: b, Width: testWidth, Alpha: 0.1},
			func(t []int64) Detection { return DetectDualKeyGumbel(a, b, t, testWidth, 0.1, true) }},
	}
}

// enginePrompts are held-out paragraph openings as token ids.
func enginePrompts(t testing.TB, m *embedded.Model, n int) [][]int32 {
	t.Helper()
	open, err := corpora.Openings(8, 6)
	if err != nil || len(open) < n {
		t.Fatalf("%d openings: %v", len(open), err)
	}
	out := make([][]int32, n)
	for i := range out {
		if out[i], err = m.Vocab().Encode(open[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// tokensToReach is the length of the shortest prefix whose p-value is at
// most 10^log10Alpha, or −1.
func tokensToReach(s scheme, toks []int64, log10Alpha float64) int {
	for k := 1; k <= len(toks); k++ {
		if s.detect(toks[:k]).Log10P <= log10Alpha {
			return k
		}
	}
	return -1
}

// powerRow is one scheme's detection power at one temperature.
type powerRow struct {
	detected, docs, never int
	medianNeed            int
	medianLog10P          float64
}

func measurePower(t *testing.T, m *embedded.Model, s scheme, prompts [][]int32, temp float64) powerRow {
	t.Helper()
	var need []int
	var lps []float64
	row := powerRow{docs: len(prompts)}
	for i, prompt := range prompts {
		e := Engine{Watermarker: s.mark, Temperature: temp, Dedup: true, Ban: []int32{m.EOS()}}
		toks := e.Generate(m, prompt, 200, SoftmaxSampler(rand.New(rand.NewPCG(uint64(i), 18))))
		d := s.detect(toks)
		lps = append(lps, d.Log10P)
		if d.Log10P <= -6 {
			row.detected++
		}
		n := tokensToReach(s, toks, -6)
		if n < 0 {
			row.never++
			n = math.MaxInt32
		}
		need = append(need, n)
	}
	slices.Sort(need)
	slices.Sort(lps)
	row.medianNeed, row.medianLog10P = need[len(need)/2], lps[len(lps)/2]
	return row
}

// TestEngineSchemesPower measures, for each vLLM scheme × PRF, detection
// of simulated engine output (the embedded model, 200 tokens after a
// held-out opening, end-of-text banned, vLLM's defaults) at temperatures
// 1 and 0.8: the share at p ≤ 1e-6 after 200 tokens and the median number
// of tokens to reach it. The measurement (FORENSICS_MEASURE=1) takes 200
// prompts; the unit test 6 at T = 1, with the bar (set before any result
// was seen) that at least 5 of the 6 reach 1e-6 within 200 tokens.
func TestEngineSchemesPower(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	n, temps := 6, []float64{1}
	if measure.Enabled() {
		n, temps = 200, []float64{1, 0.8}
	}
	prompts := enginePrompts(t, m, n)
	for _, s := range testSchemes(1) {
		for _, temp := range temps {
			r := measurePower(t, m, s, prompts, temp)
			t.Logf("%-24s T=%.1f: %d/%d at p ≤ 1e-6 after 200 tokens; median tokens to 1e-6: %s (%d never); median log10 p at 200: %.1f",
				s.name, temp, r.detected, r.docs, needString(r.medianNeed), r.never, r.medianLog10P)
			if !measure.Enabled() && r.detected < 5 {
				t.Errorf("%s: only %d/%d detected", s.name, r.detected, r.docs)
			}
		}
	}
}

func needString(n int) string {
	if n == math.MaxInt32 {
		return "never"
	}
	return fmt.Sprint(n)
}

// humanDocs cuts the corpus's held-out paragraphs, tokenised by the
// embedded tokenizer (each followed by a newline), into consecutive
// documents of 200 token ids.
func humanDocs(t testing.TB, m *embedded.Model, limit int) [][]int64 {
	t.Helper()
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	_, held := corpora.Split(paras)
	var buf []int64
	var docs [][]int64
	for _, p := range held {
		ids, err := m.Vocab().Encode(p + "\n")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			buf = append(buf, int64(id))
		}
		for len(buf) >= 200 && len(docs) < limit {
			docs = append(docs, buf[:200:200])
			buf = buf[200:]
		}
	}
	return docs
}

// TestEngineSchemesFalsePositives measures each scheme × PRF's
// false-positive rate on held-out human text (documents of 200 token ids)
// at α = 1e-2, 1e-3 and 1e-4, with 99% Clopper–Pearson intervals. The
// measurement (FORENSICS_MEASURE=1) tests every held-out document under
// 20 keys (documents under one key share its green lists, so trials are
// not all independent; different keys are); the unit test 100 documents
// under one key, with the bar (set before any result was seen) that each
// interval's lower end is below α.
func TestEngineSchemesFalsePositives(t *testing.T) {
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	limit, keys := 100, 1
	if measure.Enabled() {
		limit, keys = math.MaxInt, 20
	}
	docs := humanDocs(t, m, limit)
	if len(docs) < min(limit, 100) {
		t.Fatalf("only %d documents", len(docs))
	}
	lps := map[string][]float64{}
	var names []string
	for k := range keys {
		for _, s := range testSchemes(uint64(100 + k)) {
			if k == 0 {
				names = append(names, s.name)
			}
			for _, d := range docs {
				lps[s.name] = append(lps[s.name], s.detect(d).Log10P)
			}
		}
	}
	for _, name := range names {
		for _, alpha := range []float64{1e-2, 1e-3, 1e-4} {
			hits := 0
			for _, lp := range lps[name] {
				if lp <= math.Log10(alpha) {
					hits++
				}
			}
			total := len(lps[name])
			lo, hi, _ := stats.ClopperPearson(hits, total, 0.99)
			t.Logf("%-24s α=%g: %d/%d (%d documents × %d keys) = %.2e, 99%% CI [%.2e, %.2e]",
				name, alpha, hits, total, len(docs), keys, float64(hits)/float64(total), lo, hi)
			if lo > alpha {
				t.Errorf("%s α=%g: rate significantly above nominal", name, alpha)
			}
		}
	}
}
