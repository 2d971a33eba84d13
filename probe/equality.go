package probe

import (
	"context"
	"math"
	"math/rand/v2"

	"forensics/stats"
)

// equality is the MMD² test on two answers per prompt from suspect and
// reference: under the null the four answers of a prompt are exchangeable,
// so each of its three pairings is equally likely.
func (a *analysis) equality(ctx context.Context, tr *TestResult) error {
	L := a.m.Plan.HammingLength
	if L <= 0 {
		L = 32
	}
	kernels, err := a.equalityKernels(L)
	if err != nil {
		return err
	}
	n := len(kernels)
	d := &EqualityDetail{Prompts: n, HammingLength: L}
	tr.Equality = d
	tr.N, tr.NUnit = n, "prompts with two answers from each"
	if n == 0 {
		tr.Status, tr.Reason = StatusNotRun, "no prompt has two answers from both the suspect and the reference"
		return nil
	}
	var selfS, selfR, cross, obs float64
	x := make([]float64, n)
	for i, k := range kernels {
		selfS += k.selfS
		selfR += k.selfR
		cross += k.cross
		obs += k.mmd[0]
		x[i] = k.mmd[0]
	}
	pr, err := stats.RandomizationTest(ctx, obs, a.m.Rounds, a.subSeed("equality"), func(rng *rand.Rand) float64 {
		s := 0.0
		for _, k := range kernels {
			s += k.mmd[rng.IntN(3)]
		}
		return s
	})
	if err != nil {
		return err
	}
	mean, sd := stats.MeanSD(x)
	d.MeanMMD2, d.AsLarge, d.Rounds = mean, pr.AsLarge, pr.Rounds
	d.SuspectSelf, d.ReferenceSelf, d.Cross = selfS/float64(n), selfR/float64(n), cross/float64(n)
	tr.Statistic, tr.Log10P = mean, math.Log10(pr.P)
	half := 1.96 * sd / math.Sqrt(float64(n))
	tr.Effect = Estimate{Name: "mean MMD² (Hamming kernel)", Value: mean, Lo: mean - half, Hi: mean + half, Confidence: 0.95}
	if n >= 2 && sd > 0 && 1/float64(a.m.Rounds+1) <= tr.AlphaShare {
		// No power statement from one prompt, from values without spread,
		// or when the rounds cannot reach the test's share of α.
		tr.MinDetectable = &Estimate{Name: "mean MMD² (normal approximation)", Value: stats.NormalMinDetectable(sd, n, tr.AlphaShare, power), Power: power}
	}
	return nil
}

// promptKernels are one equality prompt's numbers: MMD² under its three
// pairings of the four answers, the real one ({suspect | reference})
// first, and the mean kernel within suspect, within reference and across.
type promptKernels struct {
	mmd                 [3]float64
	selfS, selfR, cross float64
}

// equalityKernels are the kernels of every equality prompt with two
// answers from each of suspect and reference, in plan order.
func (a *analysis) equalityKernels(L int) ([]promptKernels, error) {
	var out []promptKernels
	for i, p := range a.prompts() {
		if i >= a.m.Plan.EqualityPrompts {
			break
		}
		seqs, ok, err := a.equalityAnswers(p.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var k [4][4]float64
		total := 0.0
		for x := range 4 {
			for y := x + 1; y < 4; y++ {
				k[x][y] = hamming(seqs[x], seqs[y], L)
				total += k[x][y]
			}
		}
		// Pairings {01|23} (the real one), {02|13}, {03|12}: MMD² with two
		// answers a side is within − cross/2 = 1.5·within − total/2.
		out = append(out, promptKernels{
			mmd: [3]float64{
				1.5*(k[0][1]+k[2][3]) - total/2,
				1.5*(k[0][2]+k[1][3]) - total/2,
				1.5*(k[0][3]+k[1][2]) - total/2,
			},
			selfS: k[0][1],
			selfR: k[2][3],
			cross: (k[0][2] + k[0][3] + k[1][2] + k[1][3]) / 4,
		})
	}
	return out, nil
}

// equalityAnswers are the pieces of a prompt's two answers from the
// suspect, then two from the reference; ok is false when one is missing.
func (a *analysis) equalityAnswers(promptID string) (seqs [4][]string, ok bool, err error) {
	for j, rr := range [4]struct {
		role string
		rep  int
	}{{"suspect", 0}, {"suspect", 1}, {"reference", 0}, {"reference", 1}} {
		t, found := a.answer(rr.role, promptID, rr.rep)
		if !found {
			return seqs, false, nil
		}
		if seqs[j], err = a.pieces(t); err != nil {
			return seqs, false, err
		}
	}
	return seqs, true, nil
}

// hamming is the share of the first L positions where two piece sequences
// agree; positions past both ends agree, past one end do not. Its time is
// the longer sequence's length, whatever L is.
func hamming(x, y []string, L int) float64 {
	n := min(L, max(len(x), len(y)))
	same := L - n // the positions past both ends
	for i := range min(n, len(x), len(y)) {
		if x[i] == y[i] {
			same++
		}
	}
	return float64(same) / float64(L)
}
