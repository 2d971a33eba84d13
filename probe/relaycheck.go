package probe

import (
	"context"
	"math"

	"forensics/stats"
	"forensics/watermark"
)

// relayCheck compares the watermark's strength in the suspect's answers
// with the reference's (our service), prompt by prompt: each first answer
// scored alone (its distinct tuples, the prompt's left out), the
// difference reference − suspect per prompt, one-sided sign-flip test
// (see RelayCheck). It is part of the radioactivity test; the relay check
// by request log is another (relaylog.go).
func (a *analysis) relayCheck(ctx context.Context, ours *watermark.Scheme, promptPieces [][]string) (*RelayCheck, error) {
	ref, err := a.roleDocs("reference")
	if err != nil {
		return nil, err
	}
	rc := &RelayCheck{}
	rc.ReferenceLog10P = scoreDocs(ours, promptPieces, ref, nil).Log10P // 0 when nothing scored
	var x []float64
	var sumS, sumR float64
	for i, p := range a.prompts() {
		ss, rs, ok, err := a.firstAnswerScores(ours, promptPieces[i:i+1], p.ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		x = append(x, rs.GreenFraction-ss.GreenFraction)
		sumS += ss.GreenFraction
		sumR += rs.GreenFraction
	}
	rc.Prompts = len(x)
	if len(x) == 0 {
		return rc, nil
	}
	rc.SuspectGreen, rc.ReferenceGreen = sumS/float64(len(x)), sumR/float64(len(x))
	pr, err := stats.SignFlipTest(ctx, x, a.m.Rounds, a.subSeed("relay"))
	if err != nil {
		return nil, err
	}
	rc.Log10P, rc.Rounds = math.Log10(pr.P), pr.Rounds
	return rc, nil // the flags: radioDecisions
}

// firstAnswerScores scores the suspect's and the reference's first
// answers to a prompt, each alone; ok is false unless both answered and
// both have a scored tuple.
func (a *analysis) firstAnswerScores(ours *watermark.Scheme, pp [][]string, promptID string) (suspect, reference watermark.Result, ok bool, err error) {
	s, ok1 := a.answer("suspect", promptID, 0)
	r, ok2 := a.answer("reference", promptID, 0)
	if !ok1 || !ok2 {
		return suspect, reference, false, nil
	}
	sp, err := a.pieces(s)
	if err != nil {
		return suspect, reference, false, err
	}
	rp, err := a.pieces(r)
	if err != nil {
		return suspect, reference, false, err
	}
	suspect, reference = scoreDocs(ours, pp, [][]string{sp}, nil), scoreDocs(ours, pp, [][]string{rp}, nil)
	return suspect, reference, suspect.TokensScored > 0 && reference.TokensScored > 0, nil
}
