package logscan

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

// Baseline holds, per indicator, percentiles of its value over accounts of
// benign traffic (those with enough requests to be judged), so thresholds
// can be stated as "above the 99th percentile of our normal users".
type Baseline struct {
	Accounts    int                           `json:"accounts"`
	Percentiles map[string]map[string]float64 `json:"percentiles"` // indicator → "p50" … → value
	Counts      map[string]int                `json:"counts"`      // accounts judged per indicator
}

// Percentile levels stored in a baseline.
var baselineLevels = []float64{50, 75, 90, 95, 99, 99.5, 99.9}

func levelKey(p float64) string { return fmt.Sprintf("p%g", p) }

// Calibrate reads benign logs and records the indicators' percentiles.
func Calibrate(ctx context.Context, cfg Config, paths []string) (*Baseline, ReadStats, error) {
	s, err := NewScanner(cfg)
	if err != nil {
		return nil, ReadStats{}, err
	}
	st, err := Read(ctx, paths, cfg.Fields, func(r Record) error { s.Add(r); return nil }, nil)
	if err != nil {
		return nil, st, err
	}
	values := map[string][]float64{}
	for _, a := range s.accounts {
		for _, in := range s.judge(a, true) {
			if in.Judged {
				values[in.Name] = append(values[in.Name], in.Value)
			}
		}
	}
	b := &Baseline{Accounts: len(s.accounts), Percentiles: map[string]map[string]float64{}, Counts: map[string]int{}}
	for name, xs := range values {
		sort.Float64s(xs)
		b.Counts[name] = len(xs)
		b.Percentiles[name] = map[string]float64{}
		for _, p := range baselineLevels {
			b.Percentiles[name][levelKey(p)] = round3(percentile(xs, p))
		}
	}
	return b, st, nil
}

// percentile of sorted xs (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

// WriteFile saves the baseline as JSON.
func (b *Baseline) WriteFile(path string) error {
	data, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	return nil
}

// LoadBaseline reads a baseline written by WriteFile.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load baseline %s: %w", path, err)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil || b.Percentiles == nil {
		return nil, fmt.Errorf("baseline %s is not a scan-logs calibrate file", path)
	}
	return &b, nil
}

// Resolve turns percentile thresholds (LoPercentile/HiPercentile) into
// values from the baseline. A rule with percentiles and no baseline, or a
// percentile the baseline lacks, is an error.
func (c *Config) Resolve(b *Baseline) error {
	for name, r := range c.Rules {
		if r.LoPercentile == 0 && r.HiPercentile == 0 {
			continue
		}
		if b == nil {
			return fmt.Errorf("indicator %s has percentile thresholds: give --baseline from scan-logs calibrate", name)
		}
		ps, ok := b.Percentiles[name]
		if !ok {
			return fmt.Errorf("baseline has no values for indicator %s (too few benign accounts with enough requests?)", name)
		}
		get := func(p float64) (float64, error) {
			v, ok := ps[levelKey(p)]
			if !ok {
				return 0, fmt.Errorf("indicator %s: baseline has no p%g (it stores %v)", name, p, baselineLevels)
			}
			return v, nil
		}
		var err error
		if r.LoPercentile > 0 {
			if r.Lo, err = get(r.LoPercentile); err != nil {
				return err
			}
		}
		if r.HiPercentile > 0 {
			if r.Hi, err = get(r.HiPercentile); err != nil {
				return err
			}
		}
		if !(r.Hi > r.Lo) {
			// A flat benign distribution: give the rule a small width so
			// it still orders accounts.
			r.Hi = r.Lo + math.Max(1e-3, math.Abs(r.Lo)*0.1)
		}
		c.Rules[name] = r
	}
	return nil
}
