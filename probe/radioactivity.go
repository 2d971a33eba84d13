package probe

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"forensics/llm/tokenizer"
	"forensics/stats"
	"forensics/watermark"
)

// radioactivity scores the suspect's answers under our key, deduplicating
// (context, piece) tuples across all answers and leaving out tuples that
// occur in any prompt; then the same under unused keys and on the controls.
func (a *analysis) radioactivity(ctx context.Context, tr *TestResult) error {
	if a.in.Key == nil {
		a.radioAsRecorded(tr)
		return nil
	}
	promptPieces, suspect, err := a.suspectPieces()
	if err != nil {
		return err
	}
	ours := watermark.NewScheme(a.in.Key)
	r, d := a.scoreSuspect(ours, promptPieces, suspect)
	tr.Radioactivity = d
	tr.N, tr.NUnit = r.TokensScored, "distinct scored tuples"
	tr.Statistic, tr.Log10P = float64(r.Green), r.Log10P
	if r.TokensScored == 0 {
		tr.Status, tr.Reason = StatusNotRun, "no suspect answer had a scorable piece"
		tr.Log10P = 0
		return nil
	}
	if err := radioEffect(tr, r, a.in.Key.Gamma); err != nil {
		return err
	}
	if d.Null, err = a.keySwapNull(ctx, promptPieces, suspect, r.Log10P); err != nil {
		return err
	}
	if d.Controls, err = a.controlScores(ours, promptPieces); err != nil {
		return err
	}
	if a.m.Targets.Reference != "" {
		if d.Relay, err = a.relayCheck(ctx, ours, promptPieces); err != nil {
			return err
		}
	}
	a.radioDecisions(tr)
	return nil
}

// radioAsRecorded is the radioactivity test without the key (verify
// without it): its numbers as recorded, since they need the key, and every
// decision taken from them taken again (radioDecisions), so that a
// recorded flag that contradicts its own numbers fails verify. Name,
// proposition and α share stay the manifest's.
func (a *analysis) radioAsRecorded(tr *TestResult) {
	var rec *TestResult
	if a.in.Recorded != nil {
		rec = testByName(a.in.Recorded.Tests, TestRadioactivity)
	}
	if rec == nil {
		tr.Status, tr.Reason = StatusNotRun, "computed without the key"
		return
	}
	plan := *tr
	*tr = *rec
	tr.Name, tr.Proposition, tr.Weight, tr.AlphaShare = plan.Name, plan.Proposition, plan.Weight, plan.AlphaShare
	tr.Status, tr.Reason = StatusNotRejected, "" // decided again below, and by decide()
	if tr.Radioactivity == nil || tr.N == 0 {
		tr.Status, tr.Reason, tr.Log10P = StatusNotRun, "no suspect answer had a scorable piece", 0
		return
	}
	a.radioDecisions(tr)
}

// suspectPieces are the prompts' pieces (left out of the scoring) and the
// suspect's answers as pieces.
func (a *analysis) suspectPieces() (promptPieces, suspect [][]string, err error) {
	if promptPieces, err = a.promptPieces(); err != nil {
		return nil, nil, err
	}
	suspect, err = a.roleDocs("suspect")
	return promptPieces, suspect, err
}

// promptPieces are the pieces of every prompt and trigger asked, whose
// tuples the scoring leaves out.
func (a *analysis) promptPieces() ([][]string, error) {
	var out [][]string
	for _, p := range a.prompts() {
		pp, err := a.pieces(p.Text)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	for _, t := range a.triggers() {
		pp, err := a.pieces(t.Prompt)
		if err != nil {
			return nil, err
		}
		out = append(out, pp)
	}
	return out, nil
}

// roleDocs are a role's answers to the prompts as pieces, in plan order
// (second answers to the equality prompts included; dedup takes care of
// overlap).
func (a *analysis) roleDocs(role string) ([][]string, error) {
	var out [][]string
	for _, q := range a.queries {
		if q.Role != role || q.Kind != "prompt" {
			continue
		}
		if t, ok := a.answers[q.ID]; ok {
			pp, err := a.pieces(t)
			if err != nil {
				return nil, err
			}
			out = append(out, pp)
		}
	}
	return out, nil
}

// scoreSuspect scores the suspect's answers under our key, with the curve
// of evidence as they accumulate.
func (a *analysis) scoreSuspect(ours *watermark.Scheme, promptPieces, suspect [][]string) (watermark.Result, *RadioDetail) {
	d := &RadioDetail{Answers: len(suspect), Gamma: a.in.Key.Gamma}
	r := scoreDocs(ours, promptPieces, suspect, func(r watermark.Result, i int) {
		d.Curve = append(d.Curve, CurvePoint{Answers: i + 1, Tokens: r.Tokens, Scored: r.TokensScored, Green: r.Green, Log10P: r.Log10P})
		if d.AnswersTo1e6 == 0 && r.Log10P <= -6 {
			d.AnswersTo1e6, d.TokensTo1e6 = i+1, r.Tokens
		}
	})
	d.Tokens, d.TokensScored, d.Green, d.GreenFraction = r.Tokens, r.TokensScored, r.Green, r.GreenFraction
	d.SkippedRepeat, d.SkippedPrompt = r.Skipped.Repeated, r.Skipped.InPrompt
	return r, d
}

// radioEffect states the green fraction's excess over γ with its 95%
// interval, and the smallest excess the test detects with the stated
// power.
func radioEffect(tr *TestResult, r watermark.Result, g float64) error {
	lo, hi, err := stats.ClopperPearson(r.Green, r.TokensScored, 0.95)
	if err != nil {
		return err
	}
	tr.Effect = Estimate{Name: "green fraction − γ", Value: r.GreenFraction - g, Lo: lo - g, Hi: hi - g, Confidence: 0.95}
	mde := stats.BinomMinDetectable(r.TokensScored, g, math.Log10(tr.AlphaShare), power) - g
	tr.MinDetectable = &Estimate{Name: "green fraction − γ", Value: mde, Power: power}
	return nil
}

// keySwapNull scores the same answers under keys nobody watermarked with,
// in parallel: the uniformity of their randomized p-values (exactly
// uniform under the null) and where ours (log10 p) falls among them.
func (a *analysis) keySwapNull(ctx context.Context, promptPieces, suspect [][]string, ours float64) (KeySwapNull, error) {
	nk, g := a.m.Null.Keys, a.in.Key.Gamma
	null := KeySwapNull{Keys: nk, Log10P: make([]float64, nk), GreenFractions: make([]float64, nk)}
	u := make([]float64, nk)
	// No errgroup.WithContext: it would ask ctx for its Done channel,
	// which nothing here needs (each key checks ctx.Err).
	var eg errgroup.Group
	eg.SetLimit(runtime.GOMAXPROCS(0))
	for j := range nk {
		if ctx.Err() != nil {
			break
		}
		eg.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			nr := scoreDocs(watermark.NewScheme(nullKey(a.m, a.in.Key.Params, j)), promptPieces, suspect, nil)
			null.Log10P[j] = nr.Log10P
			null.GreenFractions[j] = nr.GreenFraction
			v := rand.New(rand.NewPCG(a.subSeed("null-u-"+strconv.Itoa(j)), 1)).Float64()
			u[j] = stats.BinomRandomizedP(nr.Green, nr.TokensScored, g, v)
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return null, err
	}
	if err := ctx.Err(); err != nil {
		return null, err
	}
	if nk == 0 {
		return null, nil
	}
	ks, err := stats.KSUniform(u)
	if err != nil {
		return null, err
	}
	null.KSD, null.KSP = ks.D, ks.P
	null.Uniform = ks.P > a.m.Null.KSAlpha
	below := 0
	for _, lp := range null.Log10P {
		if lp <= ours {
			below++
		}
	}
	null.EmpiricalP = float64(1+below) / float64(1+nk)
	return null, nil
}

// controlScores are the controls' answers scored under our key.
func (a *analysis) controlScores(ours *watermark.Scheme, promptPieces [][]string) ([]ControlScore, error) {
	var out []ControlScore
	for i := range a.m.Targets.Controls {
		role := ControlRole(i)
		cd, err := a.roleDocs(role)
		if err != nil {
			return nil, err
		}
		cr := scoreDocs(ours, promptPieces, cd, nil)
		out = append(out, ControlScore{Role: role, Answers: len(cd), TokensScored: cr.TokensScored, Green: cr.Green, GreenFraction: cr.GreenFraction, Log10P: cr.Log10P})
	}
	return out, nil
}

// radioDecisions takes the radioactivity test's decisions from its
// numbers and the manifest's levels: withheld when the key-swap null is
// not uniform or a control scores as watermarked, and the relay check's
// flags. Verify without the key runs it on the recorded numbers.
func (a *analysis) radioDecisions(tr *TestResult) {
	d := tr.Radioactivity
	if d.Null.Keys > 0 {
		d.Null.Uniform = d.Null.KSP > a.m.Null.KSAlpha
		if !d.Null.Uniform {
			tr.Status = StatusWithheld
			tr.Reason = fmt.Sprintf("the key-swap null's p-values do not look uniform (KS p = %.3g ≤ %g): the scoring is not calibrated on these answers", d.Null.KSP, a.m.Null.KSAlpha)
		}
	}
	for i, c := range d.Controls {
		if c.TokensScored > 0 && c.Log10P <= math.Log10(a.m.Null.ControlAlpha) && tr.Status != StatusWithheld {
			spec := ""
			if i < len(a.m.Targets.Controls) {
				spec = a.m.Targets.Controls[i]
			}
			tr.Status = StatusWithheld
			tr.Reason = fmt.Sprintf("control %s (%s) also scores as watermarked (log10 p = %.2f): controls must be independent of our key", c.Role, spec, c.Log10P)
		}
	}
	if rc := d.Relay; rc != nil {
		level := math.Log10(a.m.Null.RelayAlpha)
		rc.ReferenceWatermarked = rc.ReferenceLog10P <= level
		rc.Weaker = rc.ReferenceWatermarked && rc.Prompts > 0 && rc.Log10P <= level
	}
}

// scoreDocs scores answers as one body of evidence: tuples that occur in
// any prompt are left out, each distinct tuple counts once across all
// answers, and each answer starts its own context. each, if set, sees the
// running result after every answer.
func scoreDocs(s *watermark.Scheme, promptPieces, docs [][]string, each func(watermark.Result, int)) watermark.Result {
	sc := s.NewScorer(false)
	for _, pp := range promptPieces {
		sc.ExcludePrompt(pp)
	}
	for i, d := range docs {
		sc.StartDocument()
		sc.AddPieces(d)
		if each != nil {
			each(sc.Result(0), i)
		}
	}
	return sc.Result(0)
}

// ScoreAnswers is the radioactivity scoring on its own, for experiments:
// the answers' watermark evidence under a scheme, with the prompts' tuples
// left out, and the curve of evidence as answers accumulate.
func ScoreAnswers(s *watermark.Scheme, tk tokenizer.Tokenizer, prompts, answers []string) (watermark.Result, []CurvePoint, error) {
	var pp, docs [][]string
	for _, p := range prompts {
		pieces, err := tk.Pieces(watermark.Normalize(p))
		if err != nil {
			return watermark.Result{}, nil, err
		}
		pp = append(pp, pieces)
	}
	for _, a := range answers {
		pieces, err := tk.Pieces(watermark.Normalize(a))
		if err != nil {
			return watermark.Result{}, nil, err
		}
		docs = append(docs, pieces)
	}
	var curve []CurvePoint
	r := scoreDocs(s, pp, docs, func(r watermark.Result, i int) {
		curve = append(curve, CurvePoint{Answers: i + 1, Tokens: r.Tokens, Scored: r.TokensScored, Green: r.Green, Log10P: r.Log10P})
	})
	return r, curve, nil
}

// nullKey is the j-th key of the key-swap null: derived from the
// manifest's null seed, so anyone can re-derive it, and never used to
// watermark anything.
func nullKey(m *Manifest, p watermark.Params, j int) *watermark.Key {
	secret := sha256.Sum256([]byte("forensics-null-key-v1\n" + m.Null.Seed + "\n" + strconv.Itoa(j)))
	k, err := watermark.NewKeyFromSecret(fmt.Sprintf("null-%03d", j), p, secret, time.Time{})
	if err != nil {
		panic(err) // the params come from a validated key
	}
	return k
}
