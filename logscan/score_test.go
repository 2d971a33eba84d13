package logscan

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecades(t *testing.T) {
	ten := dist{Sorted: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, N: 10}
	var hundred dist // 0 … 99
	for i := range 100 {
		hundred.Sorted = append(hundred.Sorted, float64(i))
	}
	hundred.N = 100
	zeros := dist{Sorted: make([]float64, 200), N: 200}
	for _, tc := range []struct {
		name        string
		d           dist
		v           float64
		excl        []float64
		extrapolate bool
		want        float64
	}{
		// p = (count at or above + 1) / (others + 1); evidence log10(0.5/p) ≥ 0.
		{"median is no evidence", ten, 5, nil, true, 0},
		{"second from the top", ten, 9, nil, true, math.Log10(0.5 * 11 / 3)},
		{"top, itself left out, not extrapolated", ten, 10, []float64{10}, false, math.Log10(0.5 * 10)},
		{"too few values to extrapolate from", ten, 15, nil, true, math.Log10(0.5 * 11)},
		// Beyond the largest (99) by a quarter of the spread from the
		// median (50) to it.
		{"extrapolated a little", hundred, 99 + 49.0/4, nil, true, math.Log10(0.5*101) + 0.25},
		{"extrapolated at most two decades", hundred, 1e9, nil, true, math.Log10(0.5*101) + maxExcess},
		{"the log is not extrapolated from", hundred, 1e9, nil, false, math.Log10(0.5 * 101)},
		{"a reference of zeros has no spread", zeros, 0.5, nil, true, math.Log10(0.5 * 201)},
		{"members left out unmask the body", dist{Sorted: []float64{1, 1, 1, 9, 9, 9}, N: 6}, 9, []float64{9, 9, 9}, false, math.Log10(0.5 * 4)},
		{"members kept mask it", dist{Sorted: []float64{1, 1, 1, 9, 9, 9}, N: 6}, 9, nil, false, 0},
		{"empty", dist{}, 3, nil, true, 0},
		{"a sample standing for 100 accounts", dist{Sorted: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, N: 100}, 10, nil, false, math.Log10(0.5 * 101 / 11)},
	} {
		if got := tc.d.decades(tc.v, tc.excl, tc.extrapolate); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: decades(%v) = %v, want %v", tc.name, tc.v, got, tc.want)
		}
	}
	if q := ten.tail(10, []float64{10}); math.Abs(q-0.1) > 1e-12 {
		t.Errorf("tail of the top of ten, itself left out: %v, want 1/10", q)
	}
}

func TestBreadthGate(t *testing.T) {
	for _, tc := range []struct{ share, want float64 }{{0, 0.1}, {0.2, 0.1}, {0.4, 0.5}, {0.6, 1}, {0.95, 1}} {
		if got := breadthGate(tc.share); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("breadthGate(%v) = %v, want %v", tc.share, got, tc.want)
		}
	}
}

func TestActions(t *testing.T) {
	a := DefaultConfig().Actions
	big := dist{N: 10000}
	for i := range 10000 {
		big.Sorted = append(big.Sorted, float64(i)/1000) // scores 0 … 9.999
	}
	small := dist{Sorted: []float64{0, 1, 2}, N: 3}
	small30 := Verdict{Score: 12, What: 6}
	(&reference{scores: big}).act(&small30, a, nil, 9000)
	if small30.Action != "alert" {
		t.Errorf("a pattern on 9,000 answer tokens: %s, want at most an alert", small30.Action)
	}
	for _, tc := range []struct {
		name      string
		scores    dist
		score     float64
		what      float64
		want      string
		wantTrunc bool
	}{
		{"nothing", big, 1, 1, "none", false},
		{"alert needs the top 1%", big, 9.95, 1, "alert", false},
		{"score 3 but not rare in this reference", big, 3, 3, "none", false},
		{"throttle needs what", big, 9.995, 2, "alert", false},
		{"throttle", big, 9.995, 4, "throttle", false},
		{"suspend", big, 12, 6, "suspend", false},
		{"a reference too small to resolve a tail gives no action", small, 9, 6, "none", true},
	} {
		ref := &reference{scores: tc.scores}
		v := Verdict{Score: tc.score, What: tc.what}
		ref.act(&v, a, nil, 1e6)
		if v.Action != tc.want {
			t.Errorf("%s: %s (tail %v), want %s", tc.name, v.Action, v.ReferenceTail, tc.want)
		}
	}
}

func TestBusinessCapsActions(t *testing.T) {
	first := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	old, fresh := first.Add(-60*24*time.Hour), first.Add(-24*time.Hour)
	for _, tc := range []struct {
		info       *AccountInfo
		action     string
		want       string
		wantCapped bool
	}{
		{nil, "suspend", "suspend", false},
		{&AccountInfo{Contract: true}, "throttle", "throttle", false}, // a contract without KYC vouches for nothing
		{&AccountInfo{Contract: true, KYC: true, Created: old}, "throttle", "alert", true},
		{&AccountInfo{Contract: true, KYC: true, Created: fresh}, "throttle", "throttle", false}, // a shell company signed up yesterday
		{&AccountInfo{Contract: true, KYC: true}, "throttle", "throttle", false},                 // tenure unknown
		{&AccountInfo{Allowlist: true}, "suspend", "alert", true},
		{&AccountInfo{Allowlist: true}, "alert", "alert", false},
	} {
		v := Verdict{Action: tc.action, Throttle: 0.3}
		capByBusiness(&v, tc.info, first)
		if v.Action != tc.want || (v.Capped != "") != tc.wantCapped {
			t.Errorf("%+v %s: %s capped %q", tc.info, tc.action, v.Action, v.Capped)
		}
	}
}

// TestCampaignBreadth: heads that each take a disjoint shard of the topics
// cover them as a body; colleagues with overlapping favourites do not.
func TestCampaignBreadth(t *testing.T) {
	const topics = 40
	withTopics := func(hit ...int) *account {
		a := newAccount("x", topics)
		for _, h := range hit {
			a.topicHits[h] += 10
		}
		return a
	}
	var shards, colleagues []*account
	for h := range 20 {
		shards = append(shards, withTopics(2*h, 2*h+1))
		colleagues = append(colleagues, withTopics(h%5, 5+h%3, 10))
	}
	value := func(members []*account) float64 {
		inds := []Indicator{{Name: IndCoverage}}
		campaignBreadth(inds, members)
		return inds[0].Value
	}
	if v := value(shards); v < 0.9 {
		t.Errorf("sharded campaign's breadth %v", v)
	}
	if v := value(colleagues); v > 0.2 {
		t.Errorf("colleagues' breadth %v", v)
	}
}

func TestLoadConfigRefusesOldThresholds(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ yaml, wantErr string }{
		{"rules:\n  volume: {lo: 1, hi: 2}\n", "no longer used"},
		{"rules:\n  volume: {strength: 0.5}\n", "no longer used"},
		{"rules:\n  volume: {floor: -1}\n", "≥ 0"},
		{"rules:\n  volume: {flor: 3}\n", "flor"},
		{"actions: {alert: 9, throttle: 5, suspend: 8}\n", "alert ≤ throttle"},
		{"rules:\n  volume: {floor: 50}\nflagship_models: [big-model]\nactions: {alert: 2}\n", ""},
	} {
		p := filepath.Join(dir, "c.yaml")
		os.WriteFile(p, []byte(tc.yaml), 0o644)
		c, err := LoadConfig(p)
		if tc.wantErr == "" {
			if err != nil || c.Rules[IndVolume].Floor != 50 || c.Rules[IndVolume].MinRequests != 20 || c.Actions.Alert != 2 ||
				c.Actions.Throttle != 5 || c.FlagshipModels[0] != "big-model" {
				t.Errorf("%q: %v %+v", tc.yaml, err, c)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: %v, want %q", tc.yaml, err, tc.wantErr)
		}
	}
}

func TestIsFlagship(t *testing.T) {
	for _, tc := range []struct {
		model string
		want  bool
	}{{"big", true}, {"big:70b", true}, {"big-instruct", true}, {"bigger", false}, {"small", false}, {"", false}} {
		if got := isFlagship(tc.model, []string{"big"}); got != tc.want {
			t.Errorf("%q: %v", tc.model, got)
		}
	}
}
