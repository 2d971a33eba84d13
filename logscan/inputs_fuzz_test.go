package logscan

import (
	"bytes"
	"math"
	"testing"
)

// FuzzAccountLine: an accounts-file line either parses into an account
// with a name and bounded keys, or is an error; never a panic.
func FuzzAccountLine(f *testing.F) {
	f.Add([]byte(`{"account":"acme-1","tier":"enterprise","contract":true,"kyc":true,"created":"2026-10-01T00:00:00Z","org_id":"org-1","keys_created":["2026-10-01T00:00:00Z"]}`))
	f.Add([]byte(`{"account":"x","contrat":true}`))
	f.Add([]byte(`{"account":""}`))
	f.Add([]byte(`{"account":"a"} {"account":"b"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		a, err := ParseAccountLine(line)
		if err != nil {
			return
		}
		if a.Account == "" || len(a.KeysCreated) > maxKeysPerAcct {
			t.Fatalf("accepted %+v", a)
		}
	})
}

// FuzzBaseline: a baseline either loads with sorted, bounded
// distributions the tails can use, or is an error.
func FuzzBaseline(f *testing.F) {
	f.Add(priorJSON)
	f.Add([]byte(`{"version":2,"accounts":3,"values":{"volume":{"sorted":[1,2,3],"n":3}},"scores":{"sorted":[0,1],"n":2}}`))
	f.Add([]byte(`{"version":2,"values":{"volume":{"sorted":[3,1],"n":2}}}`))
	f.Add([]byte(`{"version":2,"values":{"nope":{"sorted":[],"n":0}}}`))
	f.Add([]byte(`{"version":1,"percentiles":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ReadBaseline(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, d := range append([]dist{b.Scores}, valuesOf(b)...) {
			for _, v := range []float64{-1, 0, 0.5, 1e9} {
				x := d.decades(v, nil, true)
				if math.IsNaN(x) || x < 0 || x > maxExcess+math.Log10(float64(d.N)+1) {
					t.Fatalf("decades %v of %v against %+v", x, v, d)
				}
				if q := d.tail(v, []float64{v}); math.IsNaN(q) || q < 0 || q > 1 {
					t.Fatalf("tail %v", q)
				}
			}
		}
	})
}

func valuesOf(b *Baseline) []dist {
	var out []dist
	for _, d := range b.Values {
		out = append(out, d)
	}
	return out
}
