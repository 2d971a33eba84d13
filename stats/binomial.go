package stats

import (
	"math"
)

// LogBinomPMF returns log P(X = k) for X ~ Binomial(n, p), using Loader's
// saddle-point expansion (C. Loader, "Fast and Accurate Computation of Binomial
// Probabilities", 2000; the algorithm behind R's dbinom). Unlike a difference
// of log-gamma values it keeps full relative precision for large n, where
// lgamma(n+1) is of order n·log n and cancellation would eat the digits.
func LogBinomPMF(k, n int, p float64) float64 {
	if n < 0 || k < 0 || k > n || math.IsNaN(p) || p < 0 || p > 1 {
		return math.Inf(-1)
	}
	q := 1 - p
	x, nn := float64(k), float64(n)
	switch {
	case p == 0:
		if k == 0 {
			return 0
		}
		return math.Inf(-1)
	case q == 0:
		if k == n {
			return 0
		}
		return math.Inf(-1)
	case k == 0:
		if n == 0 {
			return 0
		}
		if p < 0.1 {
			return -bd0(nn, nn*q) - nn*p
		}
		return nn * math.Log(q)
	case k == n:
		if q < 0.1 {
			return -bd0(nn, nn*p) - nn*q
		}
		return nn * math.Log(p)
	}
	lc := stirlerr(nn) - stirlerr(x) - stirlerr(nn-x) - bd0(x, nn*p) - bd0(nn-x, nn*q)
	lf := math.Log(2*math.Pi) + math.Log(x) + math.Log1p(-x/nn)
	return lc - 0.5*lf
}

// stirlerr(n) = log(n!) - log(sqrt(2πn)·(n/e)^n), the error of Stirling's
// formula. For small n it is computed from lgamma (absolute error ~1e-14,
// which is what matters in log space); above 15 from its asymptotic series.
func stirlerr(n float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if n <= 15 {
		lg, _ := math.Lgamma(n + 1)
		return lg - (n+0.5)*math.Log(n) + n - 0.5*math.Log(2*math.Pi)
	}
	nn := n * n
	switch {
	case n > 500:
		return (s0 - s1/nn) / n
	case n > 80:
		return (s0 - (s1-s2/nn)/nn) / n
	case n > 35:
		return (s0 - (s1-(s2-s3/nn)/nn)/nn) / n
	}
	return (s0 - (s1-(s2-(s3-s4/nn)/nn)/nn)/nn) / n
}

// bd0(x, np) = x·log(x/np) + np - x, the deviance term, computed without
// cancellation when x is close to np.
func bd0(x, np float64) float64 {
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s1
			}
			s = s1
		}
		return s
	}
	return x*math.Log(x/np) + np - x
}

// LogBinomUpperTail returns log P(X ≥ s) for X ~ Binomial(n, p), exactly (no
// normal approximation), in natural-log space so that results far below
// 1e-308 are representable. It returns 0 for s ≤ 0 and -Inf for s > n.
//
// Above the mean it sums the terms P(X=k), k ≥ s, relative to the first one
// using the ratio P(k+1)/P(k) = (n-k)/(k+1)·p/(1-p), stopping when the
// remainder (bounded by a geometric series, since the ratio decreases) is
// below 1e-17 of the sum. At or below the mean it returns log1p(-P(X ≤ s-1)),
// where the lower tail is summed the same way downward.
func LogBinomUpperTail(s, n int, p float64) float64 {
	switch {
	case math.IsNaN(p) || p < 0 || p > 1 || n < 0:
		return math.NaN()
	case s <= 0:
		return 0
	case s > n:
		return math.Inf(-1)
	case p == 0:
		return math.Inf(-1)
	case p == 1:
		return 0
	}
	odds := p / (1 - p)
	if float64(s) > float64(n)*p {
		sum, term := 1.0, 1.0
		for k := s; k < n; k++ {
			r := float64(n-k) / float64(k+1) * odds
			term *= r
			sum += term
			if r < 1 && term*r/(1-r) < 1e-17*sum {
				break
			}
		}
		return LogBinomPMF(s, n, p) + math.Log(sum)
	}
	// Lower tail P(X ≤ s-1), with s-1 below the mean.
	top := s - 1
	sum, term := 1.0, 1.0
	for k := top; k > 0; k-- {
		r := float64(k) / float64(n-k+1) / odds
		term *= r
		sum += term
		if r < 1 && term*r/(1-r) < 1e-17*sum {
			break
		}
	}
	lower := math.Exp(LogBinomPMF(top, n, p)) * sum
	if lower >= 1 {
		// Rounding at the edge: the upper tail is then below what float64
		// resolves next to 1; fall back to summing upward.
		return logSumUpward(s, n, p)
	}
	return math.Log1p(-lower)
}

// logSumUpward sums P(X=k) for k ≥ s in log space term by term; used only in
// the rare case the complement is not resolvable.
func logSumUpward(s, n int, p float64) float64 {
	acc := math.Inf(-1)
	for k := s; k <= n; k++ {
		acc = logAddExp(acc, LogBinomPMF(k, n, p))
	}
	return acc
}

func logAddExp(a, b float64) float64 {
	if a < b {
		a, b = b, a
	}
	if math.IsInf(b, -1) {
		return a
	}
	return a + math.Log1p(math.Exp(b-a))
}

// Log10BinomUpperTail is LogBinomUpperTail in base 10: the form reports use.
func Log10BinomUpperTail(s, n int, p float64) float64 {
	return LogBinomUpperTail(s, n, p) / math.Ln10
}

// BinomZ returns the z-score (s - n·p) / sqrt(n·p·(1-p)) of s successes in n
// trials. It is information for readers used to z-scores; decisions use the
// exact tail. It returns 0 for n = 0.
func BinomZ(s, n int, p float64) float64 {
	if n == 0 {
		return 0
	}
	nn := float64(n)
	return (float64(s) - nn*p) / math.Sqrt(nn*p*(1-p))
}
