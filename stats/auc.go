package stats

import (
	"errors"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// AUCResult is an area under the ROC curve with its DeLong interval.
type AUCResult struct {
	AUC    float64 `json:"auc"`
	SE     float64 `json:"se"`
	Lo, Hi float64 // confidence interval, clipped to [0,1]
	NPos   int     `json:"n_pos"`
	NNeg   int     `json:"n_neg"`
}

// AUC is the area under the ROC curve of a score that should be higher for
// positives: the Mann–Whitney probability P(X > Y) + ½·P(X = Y) for X a
// positive's score and Y a negative's. Its standard error is DeLong's
// (DeLong, DeLong & Clarke-Pearson 1988),
//
//	Var = S10/n + S01/m,
//
// with S10 and S01 the sample variances of the structural components
// V10(x_i) = P(Y < x_i) + ½P(Y = x_i) and V01(y_j) = P(X > y_j) + ½P(X = y_j),
// computed from midranks in O((n+m) log(n+m)) (Sun & Xu 2014). The interval
// is AUC ± z·SE at confidence conf. An AUC of 0.5 is a score that tells
// positives from negatives no better than chance: the measure used for
// side-channel tests.
func AUC(pos, neg []float64, conf float64) (AUCResult, error) {
	n, m := len(pos), len(neg)
	if n < 2 || m < 2 {
		return AUCResult{}, errors.New("stats: AUC needs at least two positives and two negatives")
	}
	if !(conf > 0 && conf < 1) {
		return AUCResult{}, errors.New("stats: confidence outside (0,1)")
	}
	all := append(append(make([]float64, 0, n+m), pos...), neg...)
	rz := midranks(all)
	rx, ry := midranks(pos), midranks(neg)
	sum := 0.0
	v10 := make([]float64, n)
	for i := range pos {
		sum += rz[i]
		v10[i] = (rz[i] - rx[i]) / float64(m)
	}
	v01 := make([]float64, m)
	for j := range neg {
		v01[j] = 1 - (rz[n+j]-ry[j])/float64(n)
	}
	auc := (sum - float64(n)*float64(n+1)/2) / (float64(n) * float64(m))
	se := math.Sqrt(variance(v10)/float64(n) + variance(v01)/float64(m))
	z := distuv.UnitNormal.Quantile(1 - (1-conf)/2)
	return AUCResult{AUC: auc, SE: se, Lo: math.Max(0, auc-z*se), Hi: math.Min(1, auc+z*se), NPos: n, NNeg: m}, nil
}

// midranks returns the 1-based ranks of x, ties sharing their mean rank.
func midranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && x[idx[j+1]] == x[idx[i]] {
			j++
		}
		mid := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mid
		}
		i = j + 1
	}
	return r
}

func variance(x []float64) float64 {
	mean := 0.0
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - mean) * (v - mean)
	}
	return s / float64(len(x)-1)
}
