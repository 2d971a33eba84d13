package stats

import (
	"fmt"
	"math"
	"slices"
)

// KSResult is a one-sample Kolmogorov–Smirnov test against Uniform(0,1).
type KSResult struct {
	N int     `json:"n"`
	D float64 `json:"d"` // sup |F_n(u) - u|
	P float64 `json:"p"` // P(D_n ≥ D) under uniformity
}

// KSUniform tests whether u looks like an i.i.d. sample from Uniform(0,1).
// The p-value is the exact finite-n Kolmogorov distribution computed with
// the algorithm of Marsaglia, Tsang & Wang (2003), "Evaluating Kolmogorov's
// distribution", J. Stat. Softw. 8(18), not the asymptotic formula, which
// is off by several percent at the n ≈ 100 a key-swap null uses.
func KSUniform(u []float64) (KSResult, error) {
	n := len(u)
	if n == 0 {
		return KSResult{}, fmt.Errorf("stats: KS test on an empty sample")
	}
	s := slices.Clone(u)
	for _, v := range s {
		if math.IsNaN(v) || v < 0 || v > 1 {
			return KSResult{}, fmt.Errorf("stats: KS test value %v outside [0,1]", v)
		}
	}
	slices.Sort(s)
	d := 0.0
	for i, v := range s {
		d = max(d, float64(i+1)/float64(n)-v, v-float64(i)/float64(n))
	}
	return KSResult{N: n, D: d, P: 1 - KolmogorovCDF(n, d)}, nil
}

// KolmogorovCDF is P(D_n < d) for the two-sided one-sample statistic,
// exact (Marsaglia, Tsang & Wang 2003): the (2k-1)-square matrix H raised
// to the n-th power, with exponent bookkeeping against overflow.
func KolmogorovCDF(n int, d float64) float64 {
	if d <= 0 {
		return 0
	}
	if d >= 1 {
		return 1
	}
	// Far in the tail the matrix would be large and the answer is 1 to
	// many digits; Marsaglia, Tsang & Wang give this formula for it.
	if s := d * d * float64(n); s > 7.24 || (s > 3.76 && n > 99) {
		return 1 - 2*math.Exp(-(2.000071+0.331/math.Sqrt(float64(n))+1.409/float64(n))*s)
	}
	nd := float64(n) * d
	k := int(nd) + 1
	m := 2*k - 1
	h := float64(k) - nd
	H := make([]float64, m*m)
	for i := range m {
		for j := range m {
			if i-j+1 >= 0 {
				H[i*m+j] = 1
			}
		}
	}
	for i := range m {
		H[i*m] -= math.Pow(h, float64(i+1))
		H[(m-1)*m+i] -= math.Pow(h, float64(m-i))
	}
	if 2*h-1 > 0 {
		H[(m-1)*m] += math.Pow(2*h-1, float64(m))
	}
	for i := range m {
		for j := range m {
			if i-j+1 > 0 {
				for g := 1; g <= i-j+1; g++ {
					H[i*m+j] /= float64(g)
				}
			}
		}
	}
	Q, eQ := matPow(H, m, n)
	s := Q[(k-1)*m+k-1]
	for i := 1; i <= n; i++ {
		s = s * float64(i) / float64(n)
		if s < 1e-140 {
			s *= 1e140
			eQ -= 140
		}
	}
	return s * math.Pow(10, float64(eQ))
}

// matPow returns A^p as a matrix and a base-10 exponent: A^p = V·10^e.
func matPow(A []float64, m, p int) ([]float64, int) {
	if p == 1 {
		return slices.Clone(A), 0
	}
	V, eV := matPow(A, m, p/2)
	B := matMul(V, V, m)
	eB := 2 * eV
	if p%2 == 1 {
		B = matMul(A, B, m)
	}
	if B[(m/2)*m+m/2] > 1e140 {
		for i := range B {
			B[i] *= 1e-140
		}
		eB += 140
	}
	return B, eB
}

func matMul(x, y []float64, m int) []float64 {
	z := make([]float64, m*m)
	for i := range m {
		for j := range m {
			s := 0.0
			for k := range m {
				s += x[i*m+k] * y[k*m+j]
			}
			z[i*m+j] = s
		}
	}
	return z
}
