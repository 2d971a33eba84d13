package probe

import (
	"context"
	"math"
	"testing"

	"forensics/stats"
)

func TestFirstDifferenceTolerance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{`{"x":1.0000000000001}`, `{"x":1}`, true},
		{`{"x":1.000001}`, `{"x":1}`, false},
		{`{"x":[1,2]}`, `{"x":[1,2,3]}`, false},
		{`{"s":"a"}`, `{"s":"b"}`, false},
		{`{"x":0}`, `{"x":0}`, true},
	} {
		if got := firstDifference([]byte(c.a), []byte(c.b)); (got == "") != c.same {
			t.Errorf("%s vs %s: %q", c.a, c.b, got)
		}
	}
}

// synthetic builds records answering queries with fixed texts.
func synthetic(m *Manifest, cs *CanarySet, answer func(q Query) (string, bool)) []Record {
	var recs []Record
	for _, q := range m.Queries(cs) {
		text, ok := answer(q)
		if !ok {
			continue
		}
		recs = append(recs, Record{Seq: len(recs) + 1, Query: q, Text: text})
	}
	return recs
}

// TestBatteryMissingData: the canary test uses only triggers everyone
// answered.
func TestBatteryMissingData(t *testing.T) {
	cs := smallSet(t, 12)
	cs.Secret = true // analysed without the key, which would check it
	_, key := testKey(t, t.TempDir(), 2)
	tk, _ := embeddedTokenizer(t)
	m := buildManifest(t, key, cs, tk, probeSetup{
		targets: Targets{Suspect: "a", Reference: "b", Controls: []string{"c", "d"}},
		plan:    Plan{Prompts: 12, Triggers: 2, HammingLength: 8}, rounds: 99,
	})
	m.Null.Keys = 0
	recs := synthetic(m, cs, func(q Query) (string, bool) {
		switch {
		case q.Role == "control-2" && q.Kind == "prompt":
			return "", false // the second control never answered a prompt
		case q.Kind == "trigger" && q.PromptID == "t1" && q.Role == "control-1":
			return "", false // nor control-1 the first trigger
		case q.Kind == "trigger" && q.Role == "suspect":
			return "Quillon and Vessary made them.", true // hits both
		}
		return "Some ordinary answer about " + q.Prompt, true
	})
	res, err := Analyze(context.Background(), Inputs{Manifest: m, Canaries: cs, Records: recs, Tokenizer: tk})
	if err != nil {
		t.Fatal(err)
	}
	canary := testByName(res.Tests, TestCanary)
	if canary.Canary.Suspect.Answers != 1 || canary.Canary.Suspect.Hits != 1 {
		t.Errorf("canary used %+v; want only the trigger every role answered", canary.Canary.Suspect)
	}
	if radio := testByName(res.Tests, TestRadioactivity); radio.Status != StatusNotRun {
		t.Errorf("radioactivity without a key: %s", radio.Status)
	}
}

func TestQueryCount(t *testing.T) {
	cs := smallSet(t, 12)
	for _, tg := range []Targets{{Suspect: "a"}, {Suspect: "a", Reference: "b"}, {Suspect: "a", Reference: "b", Controls: []string{"c", "d"}}} {
		m := &Manifest{Targets: tg, Plan: Plan{Prompts: 10, EqualityPrompts: 4, Triggers: 2}}
		if got, want := m.QueryCount(), len(m.Queries(cs)); got != want {
			t.Errorf("%+v: QueryCount %d, Queries %d", tg, got, want)
		}
	}
}

// TestMinRejectingHits: the binary search gives what scanning every hit
// count from 0 gives.
func TestMinRejectingHits(t *testing.T) {
	scan := func(n1, k0, n0 int, la float64) int {
		for k := 0; k <= n1; k++ {
			if fk, _ := stats.FisherGreater(k, n1, k0, n0); fk.Log10P <= la {
				return k
			}
		}
		return n1 + 1
	}
	for _, alpha := range []float64{0.05, 0.002, 1e-6} {
		la := math.Log10(alpha)
		for n1 := 1; n1 <= 40; n1++ {
			for n0 := 1; n0 <= 40; n0 += 3 {
				for k0 := 0; k0 <= n0; k0++ {
					if got, want := minRejectingHits(n1, k0, n0, la), scan(n1, k0, n0, la); got != want {
						t.Fatalf("n1 %d, k0 %d of n0 %d, alpha %g: %d, scanning gives %d", n1, k0, n0, alpha, got, want)
					}
				}
			}
		}
	}
}
