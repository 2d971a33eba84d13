package stats

import (
	"fmt"
	"math"
	"sort"
)

// The corrections below take log10 p-values, not p-values: forensic p-values
// are often below 1e-308 and would be 0 as float64, which still compares
// correctly but cannot be reported or adjusted. A p-value of 1 is log10 p = 0.

// BonferroniLog10 returns the Bonferroni-adjusted log10 p-value for a
// minimum taken over m tries: min(0, log10p + log10 m). Use it whenever a
// result is the best of a search (windows, keys, payloads).
func BonferroniLog10(log10p float64, m int) float64 {
	if m < 1 {
		m = 1
	}
	return math.Min(0, log10p+math.Log10(float64(m)))
}

// Holm applies Holm's step-down procedure (Holm 1979) at family-wise level
// alpha and reports which hypotheses are rejected. It controls the
// family-wise error rate under any dependence between the tests.
func Holm(log10p []float64, alpha float64) []bool {
	w := make([]float64, len(log10p))
	for i := range w {
		w[i] = 1
	}
	rej, _ := WeightedHolm(log10p, w, alpha)
	return rej
}

// WeightedBonferroni rejects hypothesis i when p_i ≤ w_i·alpha. Weights must
// be non-negative and sum to at most 1 (they are the shares of alpha given
// to each test, fixed in the manifest before any data is seen); a weight of
// 0 means the test is reported but can never reject.
func WeightedBonferroni(log10p, weights []float64, alpha float64) ([]bool, error) {
	if err := checkWeights(log10p, weights, alpha); err != nil {
		return nil, err
	}
	sum := 0.0
	for _, w := range weights {
		sum += w
	}
	if sum > 1+1e-12 {
		return nil, fmt.Errorf("stats: weights sum to %v; Bonferroni shares of alpha must sum to at most 1", sum)
	}
	rej := make([]bool, len(log10p))
	for i, lp := range log10p {
		if weights[i] > 0 {
			rej[i] = lp <= math.Log10(weights[i]*alpha)
		}
	}
	return rej, nil
}

// WeightedHolm is Holm's weighted step-down procedure (Holm 1979, §5): at
// each step, among the hypotheses not yet rejected, take the one with the
// smallest p_i/w_i and reject it if p_i ≤ w_i·alpha / Σ_{j not rejected} w_j;
// stop at the first failure. It rejects everything WeightedBonferroni does,
// and possibly more, with the same family-wise guarantee. Weights are
// relative (they need not sum to 1) but must be non-negative.
func WeightedHolm(log10p, weights []float64, alpha float64) ([]bool, error) {
	if err := checkWeights(log10p, weights, alpha); err != nil {
		return nil, err
	}
	idx := make([]int, 0, len(log10p))
	total := 0.0
	for i, w := range weights {
		if w > 0 {
			idx = append(idx, i)
			total += w
		}
	}
	// Order by p_i / w_i, i.e. by log10 p_i - log10 w_i.
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := idx[a], idx[b]
		return log10p[ia]-math.Log10(weights[ia]) < log10p[ib]-math.Log10(weights[ib])
	})
	rej := make([]bool, len(log10p))
	for k, i := range idx {
		// The weight still in play, summed afresh (subtracting would let
		// rounding drive it to 0 and the threshold to +Inf).
		remaining := 0.0
		for _, j := range idx[k:] {
			remaining += weights[j]
		}
		if log10p[i] > math.Log10(weights[i]*alpha/remaining) {
			break
		}
		rej[i] = true
	}
	return rej, nil
}

func checkWeights(log10p, weights []float64, alpha float64) error {
	if len(log10p) != len(weights) {
		return fmt.Errorf("stats: %d p-values but %d weights", len(log10p), len(weights))
	}
	if !(alpha > 0 && alpha < 1) {
		return fmt.Errorf("stats: alpha %v outside (0,1)", alpha)
	}
	sum := 0.0
	for i, w := range weights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("stats: weight %d is %v; weights must be finite and non-negative", i, w)
		}
		if math.IsNaN(log10p[i]) || log10p[i] > 0 {
			return fmt.Errorf("stats: log10 p-value %d is %v; it must be ≤ 0", i, log10p[i])
		}
		sum += w
	}
	if sum == 0 {
		return fmt.Errorf("stats: all weights are zero")
	}
	return nil
}

// HolmAdjustedLog10 returns Holm's adjusted p-values (Wright 1992), as
// log10, for the p-values given as log10: with them sorted ascending,
// p_(1) ≤ … ≤ p_(m),
//
//	adj_(i) = max_{j ≤ i} min(1, (m − j + 1)·p_(j)),
//
// so that Holm's procedure at family-wise level alpha rejects hypothesis i
// exactly when adj_i ≤ alpha. The result is in the order given. It is
// computed in log space throughout (log10 p_(j) + log10(m − j + 1)), so
// p-values far below 1e-308 keep their value; equal p-values get equal
// adjusted values. A log10 p of −Inf (p = 0) stays −Inf. With one p-value
// the adjusted value is the p-value itself.
func HolmAdjustedLog10(log10p []float64) ([]float64, error) {
	for i, lp := range log10p {
		if math.IsNaN(lp) || lp > 0 {
			return nil, fmt.Errorf("stats: log10 p-value %d is %v; it must be ≤ 0", i, lp)
		}
	}
	m := len(log10p)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return log10p[idx[a]] < log10p[idx[b]] })
	adj := make([]float64, m)
	run := math.Inf(-1)
	for k, i := range idx {
		// k is j − 1: the (k+1)-th smallest is multiplied by m − k.
		run = math.Max(run, math.Min(0, log10p[i]+math.Log10(float64(m-k))))
		adj[i] = run
	}
	return adj, nil
}
