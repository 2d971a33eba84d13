package watermark

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"forensics/internal/measure"
	"forensics/llm/tokenizer"
	"forensics/stats"
)

// falsePositiveBound is the upper end of the 99.9% Clopper-Pearson interval
// for `hits` in `n` trials: the empirical rate is calibrated if the nominal
// rate does not lie below the interval.
func calibrated(t *testing.T, label string, hits, n int, alpha float64) {
	t.Helper()
	lo, hi, err := stats.ClopperPearson(hits, n, 0.999)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d/%d = %.4f at nominal %.4g (99.9%% CI [%.4f, %.4f])", label, hits, n, float64(hits)/float64(n), alpha, lo, hi)
	if lo > alpha {
		t.Errorf("%s: false-positive rate %.4f exceeds nominal %v (CI lower bound %.4f)", label, float64(hits)/float64(n), alpha, lo)
	}
}

// TestNullCalibration: unwatermarked text from the toy model, scored under
// a key it was not generated with: the share of p ≤ α must not exceed α.
// Also the key-swap null: text watermarked under key A, scored under key B.
//
// The measurement (FORENSICS_MEASURE=1, 3,000 documents, about 8 s) gave
// 0.039 and 0.048 at α = 0.05, 0.006 and 0.010 at 0.01, 0.001 and 0.0003
// at 0.001 (unwatermarked, key swap). The unit suite scores 600 of the
// same seeded documents with the same checks: the 99.9% interval's lower
// end passes α only from 50, 16 and 5 hits (8.3%, 2.7%, 0.83%), which a
// calibrated detector reaches with probability below 0.003 and a detector
// of twice the nominal size reaches at α = 0.05 and 0.01; the size check
// wants 6 documents at p ≤ 0.05, of about 23 expected.
func TestNullCalibration(t *testing.T) {
	m := newToyModel(5000)
	keyA := NewScheme(testKey(1, 21))
	keyB := NewScheme(testKey(1, 99))
	rng := rand.New(rand.NewPCG(2026, 11))
	docs := 600
	if measure.Enabled() {
		docs = 3000
	}
	alphas := []float64{0.05, 0.01, 0.001}
	plain := make([]int, len(alphas))
	swapped := make([]int, len(alphas))
	smA := NewSampler(keyA, 3)
	d := &Detector{Scheme: keyB, Alpha: 0.01}
	for i := 0; i < docs; i++ {
		r1 := d.DetectPieces(nil, m.generate(keyA, nil, rng, 200))
		r2 := d.DetectPieces(nil, m.generate(keyA, smA, nil, 200))
		for j, a := range alphas {
			if r1.Log10P <= math.Log10(a) {
				plain[j]++
			}
			if r2.Log10P <= math.Log10(a) {
				swapped[j]++
			}
		}
	}
	for j, a := range alphas {
		calibrated(t, "unwatermarked", plain[j], docs, a)
		calibrated(t, "key swap", swapped[j], docs, a)
	}
	// The binomial test is discrete and so conservative, but not absurdly:
	// at α = 0.05 a dead detector (never rejecting) would pass the bound
	// above, so require some rejections.
	if plain[0] < docs/100 {
		t.Errorf("only %d of %d null documents at p ≤ 0.05: the test has lost its size", plain[0], docs)
	}
}

func TestDetectsWatermark(t *testing.T) {
	m := newToyModel(5000)
	for _, h := range []int{0, 1, 2, 4} {
		s := NewScheme(testKey(h, 33))
		sm := NewSampler(s, uint64(h))
		d := &Detector{Scheme: s, Alpha: 1e-6}
		const docs = 100
		hit := 0
		worst := math.Inf(-1)
		for i := 0; i < docs; i++ {
			r := d.DetectPieces(nil, m.generate(s, sm, nil, 200))
			if r.Watermarked {
				hit++
			}
			worst = math.Max(worst, r.Log10P)
		}
		t.Logf("h=%d: %d/%d documents of 200 tokens at log10 p ≤ -6 (worst %.1f)", h, hit, docs, worst)
		if hit < 95 {
			t.Errorf("h=%d: only %d/%d watermarked documents detected", h, hit, docs)
		}
	}
}

func TestDedupAndSkips(t *testing.T) {
	s := NewScheme(testKey(1, 7))
	d := &Detector{Scheme: s, Alpha: 1e-6, KeepMask: true}
	// "a b a b a b": tuples (a,b) and (b,a) each scored once.
	pieces := strings.Split("a b a b a b", " ")
	r := d.DetectPieces(nil, pieces)
	if r.Tokens != 6 || r.TokensScored != 2 || r.Skipped.Context != 1 || r.Skipped.Repeated != 3 {
		t.Fatalf("got %+v", r)
	}
	if len(r.Mask) != 6 || r.Mask[0] != MaskContext || r.Mask[3] != MaskRepeat {
		t.Fatalf("mask %q", r.Mask)
	}
	// A text that copies its prompt scores nothing from the copy.
	prompt := strings.Split("x y z w", " ")
	r = d.DetectPieces(prompt, strings.Split("x y z w v", " "))
	if r.Skipped.InPrompt != 3 || r.TokensScored != 1 {
		t.Fatalf("prompt copy: %+v", r)
	}
	// A repeat of a text tuple is a repeat, not a prompt tuple.
	r = d.DetectPieces(prompt, strings.Split("q v q v", " "))
	if r.Skipped.Repeated != 1 || r.Skipped.InPrompt != 0 {
		t.Fatalf("repeat vs prompt: %+v", r)
	}
	// Nothing to score: p = 1, not watermarked, finite numbers.
	r = d.DetectPieces(nil, nil)
	if r.Log10P != 0 || r.Watermarked || r.Z != 0 {
		t.Fatalf("empty: %+v", r)
	}
}

func TestRepetitionCannotFakeSignal(t *testing.T) {
	// One green tuple repeated 10,000 times is one scored token, not 10,000.
	s := NewScheme(testKey(1, 7))
	var pair []string
	for i := 0; len(pair) == 0; i++ {
		a, b := " a", " b"+string(rune('a'+i%26))+string(rune('a'+i/26))
		if s.Green([]uint64{Fingerprint(a)}, b) && s.Green([]uint64{Fingerprint(b)}, a) {
			pair = []string{a, b}
		}
	}
	var text []string
	for i := 0; i < 5000; i++ {
		text = append(text, pair...)
	}
	r := (&Detector{Scheme: s, Alpha: 1e-6}).DetectPieces(nil, text)
	if r.TokensScored != 2 || r.Watermarked {
		t.Fatalf("repetition produced a verdict: %+v", r)
	}
}

func TestWindowsFindPassage(t *testing.T) {
	m := newToyModel(5000)
	s := NewScheme(testKey(1, 55))
	rng := rand.New(rand.NewPCG(5, 5))
	before := m.generate(s, nil, rng, 1500)
	marked := m.generate(s, NewSampler(s, 8), nil, 150)
	after := m.generate(s, nil, rng, 1500)
	text := append(append(append([]string{}, before...), marked...), after...)
	plain := &Detector{Scheme: s, Alpha: 1e-6}
	windowed := &Detector{Scheme: s, Alpha: 1e-6, Windows: DefaultWindows}
	rp := plain.DetectPieces(nil, text)
	rw := windowed.DetectPieces(nil, text)
	if rw.Window == nil {
		t.Fatal("no window searched")
	}
	w := rw.Window
	t.Logf("whole text log10 p = %.2f; best window [%d,%d) size %d log10 p = %.2f, corrected %.2f over %d windows; decision %.2f",
		rp.Log10P, w.Start, w.End, w.Size, w.Log10P, w.Log10PCorrected, w.WindowsTried, rw.DecisionLog10P)
	if w.End <= 1500 || w.Start >= 1650 {
		t.Errorf("window [%d,%d) misses the passage [1500,1650)", w.Start, w.End)
	}
	if !rw.Watermarked || rw.DecisionLog10P > rp.Log10P {
		t.Errorf("windows did not sharpen the decision: %.2f vs %.2f", rw.DecisionLog10P, rp.Log10P)
	}
	if w.Log10PCorrected < w.Log10P+math.Log10(float64(w.WindowsTried))-1e-9 {
		t.Error("window p-value not corrected for the search")
	}
}

// TestWindowsNullCalibration: the window search must not inflate false
// positives: over null texts of 1000 tokens, decisions at α must stay at
// or below α.
//
// The measurement (FORENSICS_MEASURE=1, 1,500 texts, about 8 s) gave
// 9/1500 = 0.006 at α = 0.01. The unit suite scores 300 of the same
// seeded texts: the 99.9% interval's lower end passes 0.01 only from 11
// hits (3.7%), which the measured rate reaches with probability 3e-6,
// while a search whose many windows went uncorrected would flag far more.
func TestWindowsNullCalibration(t *testing.T) {
	m := newToyModel(5000)
	s := NewScheme(testKey(1, 56))
	rng := rand.New(rand.NewPCG(6, 6))
	d := &Detector{Scheme: s, Alpha: 0.01, Windows: DefaultWindows}
	docs := 300
	if measure.Enabled() {
		docs = 1500
	}
	hits := 0
	for i := 0; i < docs; i++ {
		if d.DetectPieces(nil, m.generate(s, nil, rng, 1000)).Watermarked {
			hits++
		}
	}
	calibrated(t, "windowed null", hits, docs, 0.01)
}

func TestDetectTextNormalizes(t *testing.T) {
	// Zero-width spaces inside watermarked text break its pieces; with
	// normalisation the detector sees the original pieces again.
	m := newToyModel(5000)
	s := NewScheme(testKey(1, 77))
	text := strings.Join(m.generate(s, NewSampler(s, 1), nil, 200), "")
	attacked := strings.ReplaceAll(text, "w", "w\u200b")
	on := &Detector{Scheme: s, Tokenizer: tokenizer.Words{}, Normalize: true, Alpha: 1e-6}
	off := &Detector{Scheme: s, Tokenizer: tokenizer.Words{}, Alpha: 1e-6}
	clean, _ := on.DetectText("", text)
	if !clean.Watermarked || clean.Tokenizer != "words-v1" {
		t.Fatalf("clean text: %+v", clean)
	}
	if r, _ := on.DetectText("", attacked); r.Log10P != clean.Log10P {
		t.Errorf("normalised attacked text: log10 p %.1f, clean %.1f", r.Log10P, clean.Log10P)
	}
	if r, _ := off.DetectText("", attacked); r.Watermarked {
		t.Errorf("without normalisation the attack should break detection here, got %.1f", r.Log10P)
	}
}

// BenchmarkDetectPieces measures zero-bit detection from pieces on one
// goroutine: documents of 1,000 tokens (a long chat answer; the dedup set
// stays in cache) and of 100,000 (a whole transcript set; the set's random
// accesses miss the cache).
func BenchmarkDetectPieces(b *testing.B) {
	m := newToyModel(50000)
	for _, h := range []int{0, 1, 4} {
		s := NewScheme(testKey(h, 1))
		pieces := m.generate(s, NewSampler(s, 1), nil, 100000)
		d := &Detector{Scheme: s, Alpha: 1e-6}
		for _, doc := range []int{1000, 100000} {
			b.Run(fmt.Sprintf("h=%d/doc=%d", h, doc), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					for j := 0; j+doc <= len(pieces); j += doc {
						d.DetectPieces(nil, pieces[j:j+doc])
					}
				}
				b.ReportMetric(float64(len(pieces))*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mtokens/s")
			})
		}
	}
}

func BenchmarkFingerprint(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Fingerprint(" token")
	}
}

// TestScorerStartDocument: across documents the context restarts (the
// first h pieces of each are not scored) and a tuple is counted once for
// the whole set.
func TestScorerStartDocument(t *testing.T) {
	k, err := NewKeyFromSecret("multi", Params{Gamma: 0.25, Delta: 2, ContextWidth: 2}, [32]byte{7}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	s := NewScheme(k)
	doc := []string{"a", "b", "c", "d", "e"}
	sc := s.NewScorer(true)
	sc.AddPieces(doc)
	sc.StartDocument()
	sc.AddPieces(doc)
	sc.StartDocument()
	for _, p := range []string{"x", "y", "c", "d"} {
		sc.Add(p)
	}
	r := sc.Result(0.01)
	// doc 1: 2 context + 3 scored; doc 2: 2 context + 3 repeats;
	// doc 3: 2 context, "c" after (x,y) is new, "d" after (y,c) is new.
	scoredMask := func(m string) bool { return strings.Trim(m, "Gr") == "" }
	if r.Mask[:2] != ".." || !scoredMask(r.Mask[2:5]) || r.Mask[5:10] != "..===" || r.Mask[10:12] != ".." || !scoredMask(r.Mask[12:]) {
		t.Errorf("mask %q", r.Mask)
	}
	if r.TokensScored != 5 || r.Skipped.Context != 6 || r.Skipped.Repeated != 3 {
		t.Errorf("scored %d, context %d, repeated %d; want 5, 6, 3", r.TokensScored, r.Skipped.Context, r.Skipped.Repeated)
	}
	// AddPieces and Add agree across documents.
	sc2 := s.NewScorer(false)
	sc2.AddPieces(doc)
	sc2.StartDocument()
	sc2.AddPieces(doc)
	sc2.StartDocument()
	sc2.AddPieces([]string{"x", "y", "c", "d"})
	if r2 := sc2.Result(0.01); r2.TokensScored != r.TokensScored || r2.Green != r.Green {
		t.Errorf("AddPieces: %d scored %d green; Add: %d, %d", r2.TokensScored, r2.Green, r.TokensScored, r.Green)
	}
}
