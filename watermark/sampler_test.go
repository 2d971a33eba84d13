package watermark

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

func chiSquare(counts []int, probs []float64, n int) (stat float64, df int) {
	for i, c := range counts {
		e := probs[i] * float64(n)
		if e == 0 {
			continue
		}
		stat += (float64(c) - e) * (float64(c) - e) / e
		df++
	}
	return stat, df - 1
}

func testCandidates() []Candidate {
	// 20 candidates with a Zipf-like profile; smallest probability ≈ 0.01
	// so every expected count is large at 200k draws.
	cands := make([]Candidate, 20)
	for i := range cands {
		cands[i] = Candidate{Piece: " c" + string(rune('a'+i)), LogProb: -0.9 * math.Log(float64(i+1))}
	}
	return cands
}

func TestSamplerFollowsQ(t *testing.T) {
	s := NewScheme(testKey(1, 11))
	ctx := []uint64{Fingerprint(" the")}
	cands := testCandidates()
	for _, temp := range []float64{0.7, 1, 1.3} {
		sm := NewSampler(s, 42)
		const n = 200000
		counts := make([]int, len(cands))
		var tl Tilted
		for i := 0; i < n; i++ {
			var j int
			j, tl = sm.Sample(ctx, cands, temp)
			counts[j]++
		}
		if !tl.Watermarked {
			t.Fatal("full context but no watermark")
		}
		stat, df := chiSquare(counts, tl.Q, n)
		p := distuv.ChiSquared{K: float64(df)}.Survival(stat)
		if p < 1e-3 {
			t.Errorf("T=%v: samples do not follow q: χ²=%.1f df=%d p=%.2g", temp, stat, df, p)
		}
		// Power check: the same samples must clearly reject p_T, or the test
		// above could not tell q from p.
		statP, dfP := chiSquare(counts, tl.P, n)
		if pp := (distuv.ChiSquared{K: float64(dfP)}).Survival(statP); pp > 1e-12 {
			t.Errorf("T=%v: samples indistinguishable from unwatermarked p (p=%.2g)", temp, pp)
		}
		t.Logf("T=%v: χ² vs q = %.1f (df %d, p=%.3f); vs p_T = %.0f", temp, stat, df, p, statP)
	}
}

func TestTiltMath(t *testing.T) {
	s := NewScheme(testKey(1, 11))
	ctx := []uint64{Fingerprint(" the")}
	cands := testCandidates()
	tl := s.Tilt(ctx, cands, 1)
	greens := 0
	sumP, sumQ := 0.0, 0.0
	for i := range cands {
		sumP += tl.P[i]
		sumQ += tl.Q[i]
		if tl.Green[i] {
			greens++
		}
	}
	if math.Abs(sumP-1) > 1e-12 || math.Abs(sumQ-1) > 1e-12 {
		t.Fatalf("Σp=%v Σq=%v", sumP, sumQ)
	}
	if greens == 0 || greens == len(cands) {
		t.Fatalf("%d greens: the test case needs both colours", greens)
	}
	// q(x)/p(x) is e^δ/Z on green and 1/Z on red for one normaliser Z.
	var z float64
	for i := range cands {
		if !tl.Green[i] {
			z = tl.P[i] / tl.Q[i]
			break
		}
	}
	for i := range cands {
		want := 1 / z
		if tl.Green[i] {
			want = math.Exp(2) / z
		}
		if r := tl.Q[i] / tl.P[i]; math.Abs(r-want) > 1e-9 {
			t.Fatalf("candidate %d: q/p = %v, want %v", i, r, want)
		}
	}
}

func TestTiltEdges(t *testing.T) {
	s := NewScheme(testKey(2, 11))
	cands := testCandidates()
	tests := []struct {
		name  string
		ctx   []uint64
		cands []Candidate
		temp  float64
		check func(Tilted) bool
	}{
		{"short context leaves p", []uint64{1}, cands, 1, func(tl Tilted) bool {
			return !tl.Watermarked && tl.Q[3] == tl.P[3]
		}},
		{"greedy is a point mass", []uint64{1, 2}, cands, 0, func(tl Tilted) bool {
			return tl.P[0] == 1 && tl.Q[0] == 1 && !tl.Watermarked
		}},
		{"empty", []uint64{1, 2}, nil, 1, func(tl Tilted) bool { return len(tl.Q) == 0 }},
		{"NaN and -Inf get nothing", []uint64{1, 2}, []Candidate{{Piece: "a", LogProb: math.NaN()}, {Piece: "b", LogProb: math.Inf(-1)}, {Piece: "c", LogProb: -1}}, 1,
			func(tl Tilted) bool { return tl.Q[0] == 0 && tl.Q[1] == 0 && tl.Q[2] == 1 }},
		{"all invalid is uniform", []uint64{1, 2}, []Candidate{{Piece: "a", LogProb: math.NaN()}, {Piece: "b", LogProb: math.NaN()}}, 1,
			func(tl Tilted) bool { return tl.Q[0] == 0.5 && tl.Q[1] == 0.5 }},
		{"extreme log-probs stay finite", []uint64{1, 2}, []Candidate{{Piece: "a", LogProb: -1e6}, {Piece: "b", LogProb: -1e6 - 1}}, 0.01,
			func(tl Tilted) bool { return !math.IsNaN(tl.Q[0]) && tl.Q[0] > 0.99 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tl := s.Tilt(tt.ctx, tt.cands, tt.temp); !tt.check(tl) {
				t.Fatalf("unexpected %+v", tl)
			}
		})
	}
}

func TestSamplerDeterministic(t *testing.T) {
	s := NewScheme(testKey(1, 5))
	cands := testCandidates()
	draw := func(seed uint64) []int {
		sm := NewSampler(s, seed)
		var out []int
		for i := 0; i < 50; i++ {
			j, _ := sm.Sample([]uint64{uint64(i)}, cands, 1)
			out = append(out, j)
		}
		return out
	}
	a, b, c := draw(1), draw(1), draw(2)
	same := func(x, y []int) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Fatal("sampler must repeat for a seed and differ across seeds")
	}
}

func TestTiltLeavesEOSAlone(t *testing.T) {
	s := NewScheme(testKey(1, 11))
	cands := append(testCandidates(), Candidate{LogProb: -1.5, EOS: true})
	tl := s.Tilt([]uint64{Fingerprint(" the")}, cands, 1)
	last := len(cands) - 1
	if tl.Green[last] || tl.Q[last] != tl.P[last] {
		t.Fatalf("EOS tilted: p=%v q=%v green=%v", tl.P[last], tl.Q[last], tl.Green[last])
	}
	sum := 0.0
	for _, q := range tl.Q {
		sum += q
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Fatalf("Σq = %v", sum)
	}
}

// TestSpeculateFollowsQ drafts from p_T, as Ollama does, and lets
// Speculate accept or replace each draft: the emitted pieces must follow q
// exactly (chi-square, fixed seed), and the rejection rate must equal the
// total variation distance between p_T and q.
func TestSpeculateFollowsQ(t *testing.T) {
	s := NewScheme(testKey(1, 11))
	cands := append(testCandidates(), Candidate{LogProb: -2, EOS: true})
	tl := s.Tilt([]uint64{Fingerprint(" the")}, cands, 0.9)
	rng := NewRand(99)
	const n = 200000
	counts := make([]int, len(cands))
	rejected := 0
	for i := 0; i < n; i++ {
		draft := Draw(tl.P, rng)
		emit, ok := tl.Speculate(draft, rng)
		if !ok {
			rejected++
		}
		counts[emit]++
	}
	stat, df := chiSquare(counts, tl.Q, n)
	p := distuv.ChiSquared{K: float64(df)}.Survival(stat)
	tv := 0.0
	for i := range tl.P {
		tv += math.Max(0, tl.P[i]-tl.Q[i])
	}
	rate := float64(rejected) / n
	t.Logf("χ²=%.1f df=%d p=%.3f; rejection rate %.4f, TV(p,q) %.4f", stat, df, p, rate, tv)
	if p < 1e-3 {
		t.Errorf("emitted pieces do not follow q (p=%.2g)", p)
	}
	if math.Abs(rate-tv) > 5*math.Sqrt(tv*(1-tv)/n) {
		t.Errorf("rejection rate %.4f, want TV %.4f", rate, tv)
	}
	if counts[len(cands)-1] == 0 {
		t.Error("EOS never emitted")
	}
}
