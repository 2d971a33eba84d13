package logscan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// Baseline is benign traffic's distribution of every indicator and of the
// score, so that a scan's evidence means "rarer than that among our
// normal users" rather than "rarer than among the accounts in this log".
type Baseline struct {
	Version  int             `json:"version"`
	Accounts int             `json:"accounts"`
	Values   map[string]dist `json:"values"` // indicator → its values over benign accounts judged
	Scores   dist            `json:"scores"` // the accounts' scores, each against the others
	// Features, in the shipped prior, is a hash of what the build that
	// made it computes on a small fixed log: a test tells a stale prior
	// from a current one without recomputing it.
	Features string `json:"features,omitempty"`
}

// baselineVersion is the format: 2 since issue 19 (whole distributions;
// version 1 stored seven percentiles for the old thresholds).
const baselineVersion = 2

// maxBaselineValues bounds a stored distribution: larger ones keep
// evenly spaced order statistics (with N the accounts they stand for).
const maxBaselineValues = 20001

// Calibrate reads benign logs and records the distributions.
func Calibrate(ctx context.Context, cfg Config, opts Options, paths []string) (*Baseline, ReadStats, error) {
	// Each benign account against the others, with no prior mixed in.
	opts.Baseline, opts.Reference = nil, RefLog
	rep, err := ScanWith(ctx, cfg, opts, paths, nil)
	if err != nil {
		return nil, ReadStats{}, err
	}
	b := &Baseline{Version: baselineVersion, Accounts: len(rep.Accounts), Values: map[string]dist{}}
	values := map[string][]float64{}
	var scores []float64
	for _, a := range rep.Accounts {
		scores = append(scores, a.Score)
		for _, in := range a.Indicators {
			if in.Judged {
				values[in.Name] = append(values[in.Name], in.Value)
			}
		}
	}
	for name, xs := range values {
		b.Values[name] = thin(xs)
	}
	b.Scores = thin(scores)
	return b, rep.Read, nil
}

// thin sorts xs and keeps at most maxBaselineValues order statistics.
func thin(xs []float64) dist {
	sort.Float64s(xs)
	n := len(xs)
	if n <= maxBaselineValues {
		return dist{Sorted: xs, N: n}
	}
	out := make([]float64, maxBaselineValues)
	for i := range out {
		out[i] = xs[i*(n-1)/(maxBaselineValues-1)]
	}
	return dist{Sorted: out, N: n}
}

// WriteFile saves the baseline as JSON.
func (b *Baseline) WriteFile(path string) error {
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	return nil
}

// maxBaselineBytes bounds a baseline file (a few dozen distributions of
// at most maxBaselineValues numbers).
const maxBaselineBytes = 64 << 20

// LoadBaseline reads a baseline written by WriteFile.
func LoadBaseline(path string) (*Baseline, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load baseline: %w", err)
	}
	defer f.Close()
	b, err := ReadBaseline(f)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return b, nil
}

// ReadBaseline reads a baseline (at most maxBaselineBytes) and checks it.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBaselineBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBaselineBytes {
		return nil, fmt.Errorf("more than %d bytes", maxBaselineBytes)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("not a scan-logs calibrate file: %w", err)
	}
	if err := b.check(); err != nil {
		return nil, err
	}
	return &b, nil
}

// check refuses a baseline of another version or with distributions that
// would mislead the tails (unsorted, more values than accounts).
func (b *Baseline) check() error {
	if b.Version != baselineVersion {
		return fmt.Errorf("format version %d; this build reads %d (run scan-logs calibrate again)", b.Version, baselineVersion)
	}
	for name, d := range b.Values {
		if _, ok := familyOf[name]; !ok && name != IndAnswerShare && name != IndPublic {
			return fmt.Errorf("unknown indicator %q", name)
		}
		if err := d.check(); err != nil {
			return fmt.Errorf("indicator %s: %w", name, err)
		}
	}
	return b.Scores.check()
}

func (d dist) check() error {
	if d.N < len(d.Sorted) || len(d.Sorted) > maxBaselineValues || (d.N > 0 && len(d.Sorted) == 0) || d.N > 1<<40 {
		return fmt.Errorf("%d values standing for %d accounts", len(d.Sorted), d.N)
	}
	if !sort.Float64sAreSorted(d.Sorted) {
		return fmt.Errorf("values not sorted")
	}
	return nil
}
