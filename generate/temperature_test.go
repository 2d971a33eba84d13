package generate

import (
	"context"
	"math"
	"sort"
	"testing"
	"time"

	"forensics/internal/measure"
	"forensics/llm/embedded"
	"forensics/watermark"
)

// TestMeasureLowTemperaturePolicy is the measurement behind the
// temperature policy of issue 13 (FORENSICS_MEASURE=1, make measure): 200-
// piece answers of the embedded model to 40 held-out openings, h = 2,
// for three ways of serving a low temperature T: the bias added after the
// temperature (the scheme before the change, δ fixed), the bias added
// before it (δ/T, as the spec now says below T = 1), and that with the
// gateway's floor of 0.2. For each it reports detection (median and worst
// log10 p) and two measures of quality: the mean log-likelihood per piece
// under the unwatermarked model at T = 1, and the share of distinct
// 4-grams (near-greedy text repeats itself, and repeats are not scored).
func TestMeasureLowTemperaturePolicy(t *testing.T) {
	measure.Require(t, "the low-temperature policy, about 2 minutes")
	m, err := embedded.Load()
	if err != nil {
		t.Fatal(err)
	}
	prompts := promptsFromCorpus(t, 40)
	var secret [32]byte
	secret[0] = 40
	keyWith := func(delta float64) *watermark.Scheme {
		p := watermark.DefaultParams()
		p.Delta = delta
		k, err := watermark.NewKeyFromSecret("temp", p, secret, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return watermark.NewScheme(k)
	}
	d := &watermark.Detector{Scheme: keyWith(2), Tokenizer: m.Tokenizer(), Normalize: true, Alpha: 1e-6}
	quality := func(prompt, text string) (float64, float64) {
		pp, _ := m.Tokenizer().Pieces(prompt)
		ps, _ := m.Tokenizer().Pieces(text)
		prefix := append([]string{}, pp...)
		sum := 0.0
		for _, p := range ps {
			c, _ := m.Next(context.Background(), prefix, 4096)
			lp := -20.0
			for _, x := range c {
				if x.Piece == p {
					lp = x.LogProb
				}
			}
			sum += lp
			prefix = append(prefix, p)
		}
		seen := map[[4]string]bool{}
		for i := 0; i+4 <= len(ps); i++ {
			seen[[4]string{ps[i], ps[i+1], ps[i+2], ps[i+3]}] = true
		}
		return sum / float64(len(ps)), float64(len(seen)) / math.Max(1, float64(len(ps)-3))
	}
	// run serves prompts at temperature temp with a scheme whose δ is the
	// bias the policy applies after the temperature (Tilt applies
	// δ/min(T,1), so δ·min(T,1) gives an after-temperature bias of δ).
	run := func(name string, s *watermark.Scheme, temp float64) {
		var lps []float64
		var q, dist float64
		for i, prompt := range prompts {
			out, err := Run(context.Background(), m, s, prompt, Options{MaxTokens: 200, MinTokens: 200, Temperature: temp, Seed: uint64(i)})
			if err != nil {
				t.Fatal(err)
			}
			r, _ := d.DetectText(prompt, out.Text)
			lps = append(lps, r.Log10P)
			a, b := quality(prompt, out.Text)
			q, dist = q+a, dist+b
		}
		sort.Float64s(lps)
		n := float64(len(prompts))
		t.Logf("| %-34s | %.2f | %7.1f | %7.1f | %.3f | %.3f |", name, temp, lps[len(lps)/2], lps[len(lps)-1], q/n, dist/n)
	}
	t.Logf("| policy | T | median log10 p | worst log10 p | log-likelihood per piece | distinct 4-grams |")
	for _, temp := range []float64{0.05, 0.2, 0.5, 0.8} {
		run("unwatermarked", nil, temp)
		run("bias after the temperature (δ = 2)", keyWith(2*math.Min(temp, 1)), temp)
		run("bias before the temperature (δ/T)", keyWith(2), temp)
	}
	run("unwatermarked greedy", nil, 0)
	run("δ/T at the floor (a request for T < 0.2)", keyWith(2), 0.2)
}
