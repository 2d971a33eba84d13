package probe

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"forensics/stats"
	"forensics/watermark"
)

// TestDecideCases: each case is one hypothesis with an equal part of the
// attribution test's weight in the weighted Holm, withheld cases count as
// p = 1, and the test rejects when any case does.
func TestDecideCases(t *testing.T) {
	cases := func(lp ...float64) *AttributionDetail {
		d := &AttributionDetail{}
		for i, p := range lp {
			st := StatusNotRejected
			if math.IsNaN(p) {
				st, p = StatusWithheld, -50
			}
			d.Cases = append(d.Cases, CaseResult{Case: Case{ID: string(rune('a' + i))}, Status: st, Log10P: p})
		}
		return d
	}
	for _, tc := range []struct {
		name  string
		radio float64 // log10 p of the other test (weight 0.5)
		att   *AttributionDetail
		want  string // per case: r rejected, n not, w withheld
	}{
		// α = 0.01, attribution weight 0.5 over 4 cases: 0.00125 each first.
		{"one strong case", 0, cases(-10, 0, -1, -0.5), "rnnn"},
		{"at the first level", 0, cases(math.Log10(0.00125), 0, 0, 0), "rnnn"},
		{"just above it", 0, cases(math.Log10(0.0013), 0, 0, 0), "nnnn"},
		// Holm steps down: after the radioactivity test rejects, its 0.5
		// goes to the cases (0.0025 each).
		{"step down after the other test", -10, cases(math.Log10(0.002), 0, 0, 0), "rnnn"},
		{"withheld never rejects", 0, cases(math.NaN(), -10, 0, 0), "wrnn"},
		{"two cases", 0, cases(-8, -7, 0, 0), "rrnn"},
	} {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			res := &Results{Alpha: 0.01, Tests: []TestResult{
				{Name: TestRadioactivity, Weight: 0.5, Status: StatusNotRejected, Log10P: tc.radio},
				{Name: TestAttribution, Weight: 0.5, Status: StatusNotRejected, Attribution: tc.att},
			}}
			if err := decide(res); err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, c := range res.Tests[1].Attribution.Cases {
				got += map[string]string{StatusRejected: "r", StatusNotRejected: "n", StatusWithheld: "w"}[c.Status]
			}
			if got != tc.want {
				t.Errorf("cases %s, want %s", got, tc.want)
			}
			if any := containsR(tc.want); (res.Tests[1].Status == StatusRejected) != any {
				t.Errorf("test status %s with cases %s", res.Tests[1].Status, got)
			}
		})
	}
}

func containsR(s string) bool {
	for _, c := range s {
		if c == 'r' {
			return true
		}
	}
	return false
}

// TestCaseKeysCheckLedger: the case keys derived from the master key must
// have the ledger's commitments, and the ledger's cases must be the
// manifest's, in its order.
func TestCaseKeysCheckLedger(t *testing.T) {
	master, _ := watermark.NewKeyFromSecret("m", watermark.DefaultParams(), [32]byte{1}, time.Time{})
	other, _ := watermark.NewKeyFromSecret("m", watermark.DefaultParams(), [32]byte{2}, time.Time{})
	caseOf := func(k *watermark.Key, id string) Case {
		ck, _ := k.DeriveCase("0123456789abcdef", id, "00112233aabbccdd")
		return Case{ID: id, KeyID: ck.ID, KeyCommitment: ck.Commitment(), Nonce: "00112233aabbccdd"}
	}
	for _, tc := range []struct {
		name  string
		plan  []string
		cases []Case
		ok    bool
	}{
		{"ours", []string{"c1", "c2"}, []Case{caseOf(master, "c1"), caseOf(master, "c2")}, true},
		{"another master's ledger", []string{"c1"}, []Case{caseOf(other, "c1")}, false},
		{"order differs", []string{"c2", "c1"}, []Case{caseOf(master, "c1"), caseOf(master, "c2")}, false},
		{"a case missing", []string{"c1", "c2"}, []Case{caseOf(master, "c1")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &analysis{m: &Manifest{Cases: &CasePlan{Ledger: "0123456789abcdef", Cases: tc.plan}}, in: Inputs{Key: master, Cases: tc.cases}}
			_, err := a.caseKeys()
			if (err == nil) != tc.ok {
				t.Errorf("err = %v, want ok = %v", err, tc.ok)
			}
		})
	}
}

// TestDecidePooled: with two or more cases the pooled hypothesis takes
// half the attribution weight and the cases share the other half; a
// harvest spread over many cases rejects through it.
func TestDecidePooled(t *testing.T) {
	d := &AttributionDetail{Pooled: &PooledResult{Status: StatusNotRejected, Log10P: math.Log10(0.0024)}}
	for i := range 4 {
		d.Cases = append(d.Cases, CaseResult{Case: Case{ID: string(rune('a' + i))}, Status: StatusNotRejected, Log10P: math.Log10(0.0008)})
	}
	// α = 0.01, attribution weight 0.5: the pooled hypothesis 0.25 and
	// each case 0.0625 of the weight. First step: pooled at 0.0025
	// passes; a case at 0.000625 does not (0.0008). Holm then divides by
	// the weight left (0.75): a case at 0.000833 passes.
	res := &Results{Alpha: 0.01, Tests: []TestResult{
		{Name: TestRadioactivity, Weight: 0.5, Status: StatusNotRejected, Log10P: 0},
		{Name: TestAttribution, Weight: 0.5, Status: StatusNotRejected, Attribution: d},
	}}
	if err := decide(res); err != nil {
		t.Fatal(err)
	}
	if d.Pooled.Status != StatusRejected || res.Tests[1].Status != StatusRejected {
		t.Errorf("pooled %s, test %s", d.Pooled.Status, res.Tests[1].Status)
	}
	for _, c := range d.Cases {
		if c.Status != StatusRejected {
			t.Errorf("case %s: %s after the pooled hypothesis rejected", c.ID, c.Status)
		}
	}
	d.Pooled.Status, d.Pooled.Log10P = StatusWithheld, -50
	for i := range d.Cases {
		d.Cases[i].Status = StatusNotRejected
	}
	res.Tests[1].Status = StatusNotRejected
	if err := decide(res); err != nil {
		t.Fatal(err)
	}
	if d.Pooled.Status != StatusWithheld || res.Tests[1].Status != StatusNotRejected {
		t.Errorf("a withheld pooled hypothesis: pooled %s, test %s", d.Pooled.Status, res.Tests[1].Status)
	}
}

// TestPoolLeavesOutWithheldCases: the pooled p is the exact tail of the
// summed greens over the pooled keys × tuples, and a case withheld on its
// own (here by a control) is not pooled, its controls neither.
func TestPoolLeavesOutWithheldCases(t *testing.T) {
	ctl := func(g int) []ControlScore { return []ControlScore{{Role: "control-1", TokensScored: 100, Green: g}} }
	cs := []CaseResult{
		{Case: Case{ID: "a"}, Status: StatusNotRejected, TokensScored: 100, Green: 30, Controls: ctl(25)},
		{Case: Case{ID: "b"}, Status: StatusWithheld, TokensScored: 100, Green: 90, Controls: ctl(80)},
		{Case: Case{ID: "c"}, Status: StatusNotRejected, TokensScored: 100, Green: 33, Controls: ctl(20)},
	}
	p := pool(cs, 0.25)
	if p.Keys != 2 || p.TokensScored != 200 || p.Green != 63 || len(p.Controls) != 1 || p.Controls[0].Green != 45 || p.Controls[0].TokensScored != 200 {
		t.Fatalf("pool %+v", p)
	}
	if want := stats.Log10BinomUpperTail(63, 200, 0.25); p.Log10P != want {
		t.Errorf("log10 p %v, want %v", p.Log10P, want)
	}
}

// biasedDocs writes docs of random words; with probability bias at each
// position the next word is resampled until it is green under s (a model
// that learnt s's watermark a little).
func biasedDocs(rng *rand.Rand, s *watermark.Scheme, h, ndocs, length int, bias float64) [][]string {
	vocab := make([]string, 3000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf(" w%d", i)
	}
	var out [][]string
	for range ndocs {
		var d []string
		ctx := watermark.NewContext(h)
		for range length {
			w := vocab[rng.IntN(len(vocab))]
			if s != nil && ctx.Full() && rng.Float64() < bias {
				for !s.Green(ctx.Fingerprints(), w) {
					w = vocab[rng.IntN(len(vocab))]
				}
			}
			d = append(d, w)
			ctx.Push(watermark.Fingerprint(w))
		}
		out = append(out, d)
	}
	return out
}

// TestPoolNotThroughAWithheldCase: case-0001's key shows in a control
// model too, so its own hypothesis is withheld; pooled with 19 silent
// cases, the control's signal was diluted below its gate while the
// suspect's was not, and the pool was "supported" (second adversarial
// review of issue 16). A withheld case is now left out of the pool.
func TestPoolNotThroughAWithheldCase(t *testing.T) {
	master, _ := watermark.NewKeyFromSecret("m", watermark.DefaultParams(), [32]byte{7}, time.Time{})
	const ledger = "0123456789abcdef"
	const K = 20
	var keys []*watermark.Key
	var cases []Case
	var ids []string
	for i := range K {
		id := fmt.Sprintf("case-%04d", i+1)
		ck, _ := master.DeriveCase(ledger, id, "00112233aabbccdd")
		keys = append(keys, ck)
		cases = append(cases, Case{ID: id, KeyID: ck.ID, KeyCommitment: ck.Commitment(), Nonce: "00112233aabbccdd", Opened: "2026-01-01T00:00:00Z", Accounts: []CaseAccount{{Account: "acct-" + id, Added: "2026-01-01T00:00:00Z"}}})
		ids = append(ids, id)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	h := master.ContextWidth
	s0 := watermark.NewScheme(keys[0])
	suspect := biasedDocs(rng, s0, h, 60, 60, 0.20) // strong under case-0001
	control := biasedDocs(rng, s0, h, 60, 60, 0.06) // weaker, but at the control level under case-0001
	m := &Manifest{Alpha: 0.01, Cases: &CasePlan{Ledger: ledger, Cases: ids}, Key: KeyRef{Params: master.Params}}
	m.Null.ControlAlpha = 0.001
	m.Tests = []TestPlan{{Name: TestRadioactivity, Weight: 0.6}, {Name: TestAttribution, Weight: 0.3}}
	d := &AttributionDetail{Hypotheses: K, Ledger: *m.Cases, Cases: make([]CaseResult, K)}
	if err := scoreCases(context.Background(), d, cases, keys, nil, suspect, [][][]string{control}); err != nil {
		t.Fatal(err)
	}
	a := &analysis{m: m}
	tr := TestResult{Name: TestAttribution, Weight: 0.3 / 0.9, Status: StatusNotRejected, Attribution: d, N: K}
	a.attributionDecisions(&tr)
	res := &Results{Alpha: 0.01, Tests: []TestResult{{Name: TestRadioactivity, Weight: 0.6 / 0.9, Status: StatusNotRejected, Log10P: 0}, tr}}
	if err := decide(res); err != nil {
		t.Fatal(err)
	}
	d = res.Tests[1].Attribution
	c0 := d.Cases[0]
	t.Logf("case-0001: suspect log10p %.1f, control log10p %.2f -> %s (%s)", c0.Log10P, c0.Controls[0].Log10P, c0.Status, c0.Reason)
	t.Logf("pooled: suspect log10p %.2f (%d/%d), control log10p %.2f -> %s", d.Pooled.Log10P, d.Pooled.Green, d.Pooled.TokensScored, d.Pooled.Controls[0].Log10P, d.Pooled.Status)
	v, text := caseVerdict(m, res.Tests)
	t.Logf("verdict %s: %s", v, text)
	if c0.Status != StatusWithheld {
		t.Fatalf("case-0001 is %s: the test needs its control gate to withhold it", c0.Status)
	}
	if d.Pooled.Status == StatusRejected || v == VerdictSupported || slices.Contains(d.Pooled.Cases, "case-0001") {
		t.Errorf("the pool went through case-0001's withheld key: pooled %s over %v, verdict %s", d.Pooled.Status, d.Pooled.Cases, v)
	}
}
