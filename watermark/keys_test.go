package watermark

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	"forensics/corpora"
	"forensics/internal/measure"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/stats"
)

func TestCorrectForKeys(t *testing.T) {
	res := func(id string, lp float64) Result {
		return Result{KeyID: id, TokensScored: 100, Log10P: lp, DecisionLog10P: lp, Alpha: 0.01, Watermarked: lp <= -2}
	}
	l2, l3 := math.Log10(2), math.Log10(3)
	tests := []struct {
		name     string
		in       []Result
		alpha    float64
		best     string
		adjusted []float64
		marked   []bool
	}{
		// One key: the numbers are the key's own.
		{"one key", []Result{res("a", -2.5)}, 0.01, "a", []float64{-2.5}, []bool{true}},
		{"one key, not marked", []Result{res("a", -1.5)}, 0.01, "a", []float64{-1.5}, []bool{false}},
		// Raw p 10^-2.5 would pass α = 0.01 alone; among 3 keys it is
		// 3·10^-2.5 ≈ 0.0095, still ≤ 0.01; the others are lifted.
		{"three keys", []Result{res("a", -0.3), res("b", -2.5), res("c", -1)}, 0.01, "b",
			[]float64{-0.3, -2.5 + l3, -1 + l2}, []bool{false, true, false}},
		// Raw p = 0.005 alone is watermarked at 0.01; 20 keys make it 0.1.
		{"right p, many keys", append([]Result{res("r", math.Log10(0.005))}, nulls(19, -0.5)...), 0.01, "r",
			nil, nil},
		// Far below float64's range: the adjusted values are exact sums of
		// logs, and equal p-values stay equal.
		{"1e-400 tie", []Result{res("a", -400), res("b", -400), res("c", -0.1)}, 1e-6, "a",
			[]float64{-400 + l3, -400 + l3, -0.1}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CorrectForKeys(tt.in, tt.alpha)
			if err != nil {
				t.Fatal(err)
			}
			if got.KeysTried != len(tt.in) || got.Correction != CorrectionHolmKeys || len(got.Keys) != len(tt.in) || got.KeyID != tt.best {
				t.Fatalf("got %+v", got)
			}
			for i, k := range got.Keys {
				if k.KeyID != tt.in[i].KeyID || k.Log10P != tt.in[i].Log10P {
					t.Fatalf("key %d: %+v for %+v", i, k, tt.in[i])
				}
				if tt.adjusted != nil && math.Abs(k.AdjustedLog10P-tt.adjusted[i]) > 1e-12 {
					t.Errorf("key %d adjusted %v, want %v", i, k.AdjustedLog10P, tt.adjusted[i])
				}
				if tt.marked != nil && k.Watermarked != tt.marked[i] {
					t.Errorf("key %d watermarked %v, want %v", i, k.Watermarked, tt.marked[i])
				}
			}
			anyMarked := false
			for _, k := range got.Keys {
				anyMarked = anyMarked || k.Watermarked
			}
			if got.Watermarked != anyMarked || got.AdjustedLog10P != got.Keys[indexOf(got.Keys, tt.best)].AdjustedLog10P {
				t.Fatalf("verdict %v (adjusted %v) for keys %+v", got.Watermarked, got.AdjustedLog10P, got.Keys)
			}
			if len(tt.in) == 1 && (got.AdjustedLog10P != tt.in[0].DecisionLog10P || got.Result != tt.in[0]) {
				t.Fatalf("one key changed its numbers: %+v", got)
			}
		})
	}
	if got, _ := CorrectForKeys(append([]Result{res("r", math.Log10(0.005))}, nulls(19, -0.5)...), 0.01); got.Watermarked ||
		math.Abs(got.AdjustedLog10P-math.Log10(0.1)) > 1e-12 {
		t.Errorf("p = 0.005 among 20 keys: %+v", got.KeySearch)
	}
	if _, err := CorrectForKeys(nil, 0.01); err == nil {
		t.Error("no keys accepted")
	}
}

func nulls(n int, lp float64) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = Result{KeyID: fmt.Sprintf("null-%d", i), Log10P: lp, DecisionLog10P: lp}
	}
	return out
}

func indexOf(ks []KeyScore, id string) int {
	for i, k := range ks {
		if k.KeyID == id {
			return i
		}
	}
	return -1
}

// humanDocs cuts the public-domain corpus (War and Peace, Opticks), split
// by the embedded model's tokenizer, into n documents of size pieces.
func humanDocs(t testing.TB, n, size int) ([][]string, tokenizer.Tokenizer) {
	t.Helper()
	f, err := tokenizer.ReadFile(bytes.NewReader(embedded.Shipped().Tokenizer))
	if err != nil {
		t.Fatal(err)
	}
	tk, err := tokenizer.New(f)
	if err != nil {
		t.Fatal(err)
	}
	paras, err := corpora.Paragraphs()
	if err != nil {
		t.Fatal(err)
	}
	// Whole paragraphs until there are enough pieces: tokenizing all of the
	// corpus is not needed for the short test.
	var pieces []string
	for _, p := range paras {
		ps, err := tk.Pieces(Normalize(p) + "\n")
		if err != nil {
			t.Fatal(err)
		}
		pieces = append(pieces, ps...)
		if len(pieces) >= n*size {
			break
		}
	}
	var docs [][]string
	for i := 0; i+size <= len(pieces) && len(docs) < n; i += size {
		docs = append(docs, pieces[i:i+size])
	}
	return docs, tk
}

// TestManyKeysFamilyWiseNull: human text tested under 100 unrelated keys.
// Without a correction, P(some key flags) at a per-key α = 0.01 is about
// 1 − 0.99^100 ≈ 63% (less, as the discrete test's size is below α); with
// Holm over keys it must stay ≤ α. Every document gets 100 fresh keys of
// its own, so the documents are independent trials (under shared keys,
// documents sharing common word pairs would be dependent and the interval
// too narrow).
//
// FORENSICS_MEASURE=1 runs the whole corpus four times (4,829 documents,
// about 3 minutes) and wants the family-wise rate itself at most α: it
// gave Holm 151/19316 = 0.0078 and uncorrected 0.557. The unit suite runs
// the first 300 of those trials (same documents, same keys) and asks what
// 300 can show: the 95% interval's lower end not above α (it passes 0.01
// from 8 flags, which a rate of 0.0078 reaches with probability 0.003;
// the rate itself would fail from 4, with probability 0.2), and the
// uncorrected rate's above 0.2 (from 75 flags of about 167 expected).
func TestManyKeysFamilyWiseNull(t *testing.T) {
	const (
		keys  = 100
		size  = 200
		alpha = 0.01
	)
	docsWanted, rounds := 300, 1
	if measure.Enabled() {
		docsWanted, rounds = 1<<30, 4
	}
	docs, tk := humanDocs(t, docsWanted, size)
	trials := len(docs) * rounds
	corrected := make([]bool, trials)
	uncorrected := make([]bool, trials)
	bonferroni := make([]bool, trials)
	minAdj := make([]float64, trials)
	d := &Detector{Tokenizer: tk, Alpha: alpha}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for tr := range trials {
		g.Go(func() error {
			schemes := make([]*Scheme, keys)
			for j := range schemes {
				schemes[j] = NewScheme(seededKey(2026, uint64(tr), uint64(j)))
			}
			r, err := d.DetectPiecesKeys(schemes, nil, docs[tr%len(docs)])
			if err != nil {
				return err
			}
			corrected[tr] = r.Watermarked
			uncorrected[tr] = r.DecisionLog10P <= math.Log10(alpha)
			bonferroni[tr] = stats.BonferroniLog10(r.DecisionLog10P, keys) <= math.Log10(alpha)
			minAdj[tr] = r.AdjustedLog10P
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	count := func(b []bool) int {
		n := 0
		for _, x := range b {
			if x {
				n++
			}
		}
		return n
	}
	report := func(label string, k int) (lo, hi float64) {
		lo, hi, _ = stats.ClopperPearson(k, trials, 0.95)
		t.Logf("%-32s %4d of %d = %.4f (95%% Clopper–Pearson [%.4f, %.4f])", label, k, trials, float64(k)/float64(trials), lo, hi)
		return lo, hi
	}
	t.Logf("%d human documents of %d pieces × %d rounds, %d fresh keys each, α = %g", len(docs), size, rounds, keys, alpha)
	c := count(corrected)
	lo, _ := report("Holm over keys, any key flags", c)
	report("Bonferroni over keys", count(bonferroni))
	ulo, _ := report("uncorrected, any key p ≤ α", count(uncorrected))
	if lo > alpha || (measure.Enabled() && float64(c)/float64(trials) > alpha) {
		t.Errorf("family-wise false-positive rate %d/%d exceeds α = %g", c, trials, alpha)
	}
	// The test must be able to see the failure it guards against.
	if ulo <= 0.2 {
		t.Errorf("uncorrected rate only %d/%d: the null is too weak to show the search", count(uncorrected), trials)
	}
	// Holm rejects whenever Bonferroni does.
	for i := range corrected {
		if bonferroni[i] && !corrected[i] {
			t.Fatalf("trial %d: Bonferroni flags, Holm does not (adjusted %v)", i, minAdj[i])
		}
	}
}

// seededKey is a key whose secret is drawn from a PCG seeded with the
// arguments: fixed across runs, unrelated between arguments.
func seededKey(seed, trial, j uint64) *Key {
	rng := rand.New(rand.NewPCG(seed^trial<<20, j+1))
	var secret [32]byte
	for i := 0; i < len(secret); i += 8 {
		binary.LittleEndian.PutUint64(secret[i:], rng.Uint64())
	}
	k, err := NewKeyFromSecret(fmt.Sprintf("null-%d-%d", trial, j), DefaultParams(), secret, testTime)
	if err != nil {
		panic(err)
	}
	return k
}

// TestDetectTextKeysFindsRightKey: watermarked text among 20 wrong keys
// is still found, under the right key; with one key the numbers are those
// of DetectText.
func TestDetectTextKeysFindsRightKey(t *testing.T) {
	m := newToyModel(5000)
	right := NewScheme(testKey(2, 5))
	text := strings.Join(m.generate(right, NewSampler(right, 1), nil, 200), "")
	d := &Detector{Scheme: right, Tokenizer: tokenizer.Words{}, Normalize: true, Alpha: 1e-6}
	alone, err := d.DetectText("", text)
	if err != nil {
		t.Fatal(err)
	}
	one, err := d.DetectTextKeys([]*Scheme{right}, "", text)
	if err != nil {
		t.Fatal(err)
	}
	if one.Result != alone || one.AdjustedLog10P != alone.DecisionLog10P || one.KeysTried != 1 {
		t.Fatalf("one key: %+v, alone %+v", one, alone)
	}
	schemes := make([]*Scheme, 0, 21)
	for j := range 20 {
		schemes = append(schemes, NewScheme(seededKey(7, 0, uint64(j))))
	}
	schemes = append(schemes[:10], append([]*Scheme{right}, schemes[10:]...)...)
	r, err := d.DetectTextKeys(schemes, "", text)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("right key alone log10 p %.2f; among 21 keys adjusted %.2f", alone.Log10P, r.AdjustedLog10P)
	if !r.Watermarked || r.KeyID != right.keyID || r.KeysTried != 21 || r.Tokenizer != "words-v1" {
		t.Fatalf("among 21 keys: %+v", r.KeySearch)
	}
	if want := alone.Log10P + math.Log10(21); math.Abs(r.AdjustedLog10P-want) > 1e-9 {
		t.Fatalf("adjusted %v, want %v (the smallest of 21 is multiplied by 21)", r.AdjustedLog10P, want)
	}
	for i, k := range r.Keys {
		if k.Watermarked != (k.KeyID == right.keyID) {
			t.Errorf("key %d (%s): watermarked %v", i, k.KeyID, k.Watermarked)
		}
	}
}
