package reasoning

import "math"

// sigmoid is the logistic function, computed with expDet so that training
// gives the same bits on every platform (math.Exp has per-architecture
// assembly).
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + expDet(-z))
	}
	e := expDet(z)
	return e / (1 + e)
}

// expDet is e^x for x ≤ 0 by range reduction (x = k·ln2 + r, |r| ≤ ln2/2)
// and a degree-13 Taylor polynomial, every product rounded explicitly (an
// explicit conversion forbids fused multiply-add).
func expDet(x float64) float64 {
	if x < -700 {
		return 0
	}
	const ln2 = 0.6931471805599453
	k := math.Floor(float64(x/ln2) + 0.5)
	r := x - float64(k*ln2)
	p := 1.0
	for i := 13; i >= 1; i-- {
		p = 1 + float64(float64(r*p)/float64(i))
	}
	return math.Ldexp(p, int(k))
}
