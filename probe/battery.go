package probe

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"forensics/llm/tokenizer"
	"forensics/stats"
	"forensics/watermark"
)

// Inputs are everything the battery reads.
type Inputs struct {
	Manifest  *Manifest
	Canaries  *CanarySet
	Records   []Record
	Tokenizer tokenizer.Tokenizer
	// Key is the watermark key; nil skips the radioactivity test (verify
	// without the key), which is then reported as not run.
	Key        *watermark.Key
	MerkleRoot string
	// Recorded are the results stored in a bundle; without the key, the
	// radioactivity test is taken from them as recorded.
	Recorded *Results
	// Sources are the bundle's copies of file targets, by role.
	Sources map[string][]byte
	// RelayLog is the relay check by request log, as stored in the
	// bundle (nil: not planned, or not run yet).
	RelayLog *RelayLogCheck
}

// power is the power minimum detectable effects are stated at.
const power = 0.8

// Analyze runs the test battery. It is deterministic: the same inputs give
// the same Results, whatever order the records arrived in.
func Analyze(ctx context.Context, in Inputs) (*Results, error) {
	m := in.Manifest
	if in.Key != nil && in.Key.Commitment() != m.Key.Commitment {
		return nil, fmt.Errorf("the key %s does not match the manifest's commitment %.16s…", in.Key.ID, m.Key.Commitment)
	}
	if in.Canaries.SHA256 != m.Canaries.SHA256 {
		return nil, fmt.Errorf("canary set sha256 %.16s… is not the manifest's %.16s…", in.Canaries.SHA256, m.Canaries.SHA256)
	}
	if m.Canaries.Secret && in.Key != nil {
		// The set must be the key's own: only then were its answers
		// secret to everyone but us.
		want, err := LoadCanaries(SecretCanaries, in.Key)
		if err != nil {
			return nil, err
		}
		if want.SHA256 != in.Canaries.SHA256 {
			return nil, fmt.Errorf("the manifest says the canary set is the key's secret set, but it is not (sha256 %.16s…, the key's %.16s…)", in.Canaries.SHA256, want.SHA256)
		}
	}
	if in.Tokenizer.ID() != m.Tokenizer.ID {
		return nil, fmt.Errorf("tokenizer %s is not the manifest's %s", in.Tokenizer.ID(), m.Tokenizer.ID)
	}
	// Randomisation seeds come from the manifest's own seeds (drawn at
	// random when a probe starts), so that the same seeds give the same
	// numbers wherever the bundle lives.
	a := &analysis{in: in, m: m, answers: map[string]string{}, seed: fmt.Sprintf("%s/%d", m.Null.Seed, m.Sampling.Seed)}
	res := &Results{
		Format: ResultsFormat, ManifestSHA256: m.SHA256(), Alpha: m.Alpha,
		Correction:  "weighted Holm (Holm 1979, with the manifest's weights): family-wise error ≤ α over all tests",
		Transcripts: a.summarise(),
	}
	for _, ref := range m.Sources {
		ft, err := parseFileTarget(ref.Role, in.Sources[ref.Role])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ref.File, err)
		}
		res.Sources = append(res.Sources, ft.account(ref.Role, m.Queries(in.Canaries)))
	}
	res.RelayLog = in.RelayLog
	for _, tp := range m.Tests {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tr := TestResult{Name: tp.Name, Proposition: tp.Proposition, Weight: tp.Weight, AlphaShare: tp.Weight * m.Alpha, Status: StatusNotRejected}
		var err error
		switch tp.Name {
		case TestRadioactivity:
			err = a.radioactivity(ctx, &tr)
		case TestCanary:
			err = a.canary(&tr)
		case TestEquality:
			err = a.equality(ctx, &tr)
		default:
			err = fmt.Errorf("unknown test %q in the manifest", tp.Name)
		}
		if err != nil {
			return nil, fmt.Errorf("%s test: %w", tp.Name, err)
		}
		res.Tests = append(res.Tests, tr)
	}
	if err := decide(res); err != nil {
		return nil, err
	}
	res.Propositions = verdicts(m, res)
	res.Limitations = limitations(m, res)
	return res, nil
}

type analysis struct {
	in      Inputs
	m       *Manifest
	answers map[string]string // query id → answer text
	seed    string
}

func (a *analysis) summarise() TranscriptSummary {
	s := TranscriptSummary{ByRole: map[string]int{}, MerkleRoot: a.in.MerkleRoot}
	recs := append([]Record(nil), a.in.Records...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
	for _, r := range recs {
		s.Records++
		if !r.OK() {
			s.Failed++
			continue
		}
		if _, dup := a.answers[r.ID]; dup {
			continue // the first answer counts
		}
		a.answers[r.ID] = r.Text
		s.Answered++
		s.ByRole[r.Role]++
		s.Tokens += r.CompletionTokens
	}
	return s
}

func (a *analysis) answer(role, promptID string, repeat int) (string, bool) {
	t, ok := a.answers[role+"/"+promptID+"/"+strconv.Itoa(repeat)]
	return t, ok
}

// subSeed derives a randomization seed from the manifest and a label.
func (a *analysis) subSeed(label string) uint64 {
	d := sha256.Sum256([]byte(a.seed + "\n" + label))
	return binary.LittleEndian.Uint64(d[:])
}

func (a *analysis) prompts() []Prompt {
	ps := a.in.Canaries.Prompts
	return ps[:min(len(ps), a.m.Plan.Prompts)]
}

func (a *analysis) triggers() []Trigger {
	ts := a.in.Canaries.Triggers
	return ts[:min(len(ts), a.m.Plan.Triggers)]
}

func (a *analysis) pieces(text string) ([]string, error) {
	return a.in.Tokenizer.Pieces(watermark.Normalize(text))
}

// radioactivity scores the suspect's answers under our key, deduplicating
// (context, piece) tuples across all answers and leaving out tuples that
// occur in any prompt; then the same under unused keys and on the controls.
func (a *analysis) radioactivity(ctx context.Context, tr *TestResult) error {
	if a.in.Key == nil {
		if a.in.Recorded != nil {
			if rec := testByName(a.in.Recorded.Tests, TestRadioactivity); rec != nil {
				// The measured numbers as recorded; name, proposition and
				// α share stay the manifest's.
				plan := *tr
				*tr = *rec
				tr.Name, tr.Proposition, tr.Weight, tr.AlphaShare = plan.Name, plan.Proposition, plan.Weight, plan.AlphaShare
				tr.Status, tr.Reason = StatusNotRejected, "" // decided again below, and by decide()
				if tr.Radioactivity == nil || tr.N == 0 {
					tr.Status, tr.Reason, tr.Log10P = StatusNotRun, "no suspect answer had a scorable piece", 0
					return nil
				}
				// The numbers are as recorded (they need the key); every
				// decision taken from them is taken again here, so that a
				// recorded flag that contradicts its own numbers fails verify.
				a.radioDecisions(tr)
				return nil
			}
		}
		tr.Status, tr.Reason = StatusNotRun, "computed without the key"
		return nil
	}
	var promptPieces [][]string
	for _, p := range a.prompts() {
		pp, err := a.pieces(p.Text)
		if err != nil {
			return err
		}
		promptPieces = append(promptPieces, pp)
	}
	for _, t := range a.triggers() {
		pp, err := a.pieces(t.Prompt)
		if err != nil {
			return err
		}
		promptPieces = append(promptPieces, pp)
	}
	// A role's answers to the prompts, in plan order (second answers to
	// the equality prompts included; dedup takes care of overlap).
	queries := a.m.Queries(a.in.Canaries)
	docs := func(role string) ([][]string, error) {
		var out [][]string
		for _, q := range queries {
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
	suspect, err := docs("suspect")
	if err != nil {
		return err
	}
	score := func(s *watermark.Scheme, ds [][]string, each func(watermark.Result, int)) watermark.Result {
		return scoreDocs(s, promptPieces, ds, each)
	}
	ours := watermark.NewScheme(a.in.Key)
	d := &RadioDetail{Answers: len(suspect), Gamma: a.in.Key.Gamma}
	r := score(ours, suspect, func(r watermark.Result, i int) {
		d.Curve = append(d.Curve, CurvePoint{Answers: i + 1, Tokens: r.Tokens, Scored: r.TokensScored, Green: r.Green, Log10P: r.Log10P})
		if d.AnswersTo1e6 == 0 && r.Log10P <= -6 {
			d.AnswersTo1e6, d.TokensTo1e6 = i+1, r.Tokens
		}
	})
	d.Tokens, d.TokensScored, d.Green, d.GreenFraction = r.Tokens, r.TokensScored, r.Green, r.GreenFraction
	d.SkippedRepeat, d.SkippedPrompt = r.Skipped.Repeated, r.Skipped.InPrompt
	tr.Radioactivity = d
	tr.N, tr.NUnit = r.TokensScored, "distinct scored tuples"
	tr.Statistic, tr.Log10P = float64(r.Green), r.Log10P
	if r.TokensScored == 0 {
		tr.Status, tr.Reason = StatusNotRun, "no suspect answer had a scorable piece"
		tr.Log10P = 0
		return nil
	}
	lo, hi, err := stats.ClopperPearson(r.Green, r.TokensScored, 0.95)
	if err != nil {
		return err
	}
	g := a.in.Key.Gamma
	tr.Effect = Estimate{Name: "green fraction − γ", Value: r.GreenFraction - g, Lo: lo - g, Hi: hi - g, Confidence: 0.95}
	mde := stats.BinomMinDetectable(r.TokensScored, g, math.Log10(tr.AlphaShare), power) - g
	tr.MinDetectable = &Estimate{Name: "green fraction − γ", Value: mde, Power: power}

	// Key-swap null: the same answers under keys nobody watermarked with.
	nk := a.m.Null.Keys
	d.Null = KeySwapNull{Keys: nk, Log10P: make([]float64, nk), GreenFractions: make([]float64, nk)}
	u := make([]float64, nk)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for j := range nk {
		if err := ctx.Err(); err != nil {
			wg.Wait()
			return err
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			nr := score(watermark.NewScheme(nullKey(a.m, a.in.Key.Params, j)), suspect, nil)
			d.Null.Log10P[j] = nr.Log10P
			d.Null.GreenFractions[j] = nr.GreenFraction
			u[j] = randomizedP(nr.Green, nr.TokensScored, g, a.subSeed("null-u-"+strconv.Itoa(j)))
		}()
	}
	wg.Wait()
	if nk > 0 {
		ks, err := stats.KSUniform(u)
		if err != nil {
			return err
		}
		d.Null.KSD, d.Null.KSP = ks.D, ks.P
		d.Null.Uniform = ks.P > a.m.Null.KSAlpha
		below := 0
		for _, lp := range d.Null.Log10P {
			if lp <= r.Log10P {
				below++
			}
		}
		d.Null.EmpiricalP = float64(1+below) / float64(1+nk)
	}
	for i := range a.m.Targets.Controls {
		role := ControlRole(i)
		cd, err := docs(role)
		if err != nil {
			return err
		}
		cr := score(ours, cd, nil)
		d.Controls = append(d.Controls, ControlScore{Role: role, Answers: len(cd), TokensScored: cr.TokensScored, Green: cr.Green, GreenFraction: cr.GreenFraction, Log10P: cr.Log10P})
	}
	if a.m.Targets.Reference != "" {
		rc, err := a.relayCheck(ctx, ours, promptPieces, docs)
		if err != nil {
			return err
		}
		d.Relay = rc
	}
	a.radioDecisions(tr)
	return nil
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

// relayCheck compares the watermark's strength in the suspect's answers
// with the reference's (our service), prompt by prompt: each first answer
// scored alone (its distinct tuples, the prompt's left out), the
// difference reference − suspect per prompt, one-sided sign-flip test
// (see RelayCheck).
func (a *analysis) relayCheck(ctx context.Context, ours *watermark.Scheme, promptPieces [][]string, docs func(string) ([][]string, error)) (*RelayCheck, error) {
	ref, err := docs("reference")
	if err != nil {
		return nil, err
	}
	rc := &RelayCheck{}
	rc.ReferenceLog10P = scoreDocs(ours, promptPieces, ref, nil).Log10P // 0 when nothing scored
	var x []float64
	var sumS, sumR float64
	for i, p := range a.prompts() {
		s, ok1 := a.answer("suspect", p.ID, 0)
		r, ok2 := a.answer("reference", p.ID, 0)
		if !ok1 || !ok2 {
			continue
		}
		sp, err := a.pieces(s)
		if err != nil {
			return nil, err
		}
		rp, err := a.pieces(r)
		if err != nil {
			return nil, err
		}
		pp := promptPieces[i : i+1]
		ss, rs := scoreDocs(ours, pp, [][]string{sp}, nil), scoreDocs(ours, pp, [][]string{rp}, nil)
		if ss.TokensScored == 0 || rs.TokensScored == 0 {
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

// randomizedP is the randomized upper-tail p-value P(X > s) + V·P(X = s)
// for X ~ Binomial(n, g) and V uniform: exactly Uniform(0,1) under the
// null, so a uniformity test is not fooled by the binomial's discreteness.
func randomizedP(s, n int, g float64, seed uint64) float64 {
	if n == 0 {
		return rand.New(rand.NewPCG(seed, 1)).Float64()
	}
	v := rand.New(rand.NewPCG(seed, 1)).Float64()
	above := math.Exp(stats.LogBinomUpperTail(s+1, n, g))
	at := math.Exp(stats.LogBinomPMF(s, n, g))
	return min(1, above+v*at)
}

// canary compares trigger hits of the suspect with the controls pooled,
// on the triggers every one of them answered: a trigger missing from the
// suspect but not the controls (a failed query) would otherwise shift the
// mix of easy and hard triggers between the groups.
func (a *analysis) canary(tr *TestResult) error {
	roles := []string{"suspect"}
	for i := range a.m.Targets.Controls {
		roles = append(roles, ControlRole(i))
	}
	var complete []Trigger
	for _, t := range a.triggers() {
		all := true
		for _, role := range roles {
			if _, ok := a.answer(role, t.ID, 0); !ok {
				all = false
				break
			}
		}
		if all {
			complete = append(complete, t)
		}
	}
	count := func(role string, ts []Trigger) (HitCount, []string) {
		h := HitCount{Role: role}
		var ids []string
		for _, t := range ts {
			if ans, ok := a.answer(role, t.ID, 0); ok {
				h.Answers++
				if t.Hit(ans) {
					h.Hits++
					ids = append(ids, t.ID)
				}
			}
		}
		return h, ids
	}
	d := &CanaryDetail{}
	d.Suspect, d.SuspectHit = count("suspect", complete)
	var k0, n0 int
	for i := range a.m.Targets.Controls {
		h, _ := count(ControlRole(i), complete)
		d.Controls = append(d.Controls, h)
		k0 += h.Hits
		n0 += h.Answers
	}
	if a.m.Targets.Reference != "" {
		h, _ := count("reference", a.triggers())
		d.Reference = &h
	}
	tr.Canary = d
	tr.N, tr.NUnit = d.Suspect.Answers, "trigger answers"
	if d.Suspect.Answers == 0 || n0 == 0 {
		tr.Status, tr.Reason = StatusNotRun, "no trigger was answered by the suspect and every control"
		return nil
	}
	f, err := stats.FisherGreater(d.Suspect.Hits, d.Suspect.Answers, k0, n0)
	if err != nil {
		return err
	}
	d.OddsRatio = f.OddsRatio
	tr.Statistic, tr.Log10P = float64(d.Suspect.Hits), f.Log10P
	n1 := d.Suspect.Answers
	r1, r0 := float64(d.Suspect.Hits)/float64(n1), float64(k0)/float64(n0)
	lo1, hi1, _ := stats.ClopperPearson(d.Suspect.Hits, n1, 0.975)
	lo0, hi0, _ := stats.ClopperPearson(k0, n0, 0.975)
	tr.Effect = Estimate{Name: "hit rate suspect − controls", Value: r1 - r0, Lo: lo1 - hi0, Hi: hi1 - lo0, Confidence: 0.95}
	// Smallest suspect hit count that rejects with these controls, then
	// the hit rate that reaches it with the stated power.
	kStar := minRejectingHits(n1, k0, n0, math.Log10(tr.AlphaShare))
	mde := 1.0
	if kStar <= n1 {
		lo, hi := 0.0, 1.0
		for range 60 {
			mid := (lo + hi) / 2
			if stats.BinomPower(kStar, n1, mid) >= power {
				hi = mid
			} else {
				lo = mid
			}
		}
		mde = hi
	}
	tr.MinDetectable = &Estimate{Name: "suspect hit rate", Value: mde, Power: power}
	return nil
}

// minRejectingHits is the smallest suspect hit count k ≤ n1 at which the
// Fisher test against k0 hits in n0 rejects (log10 p ≤ la), or n1+1 when
// none does. The p-value falls as k grows (with the controls' hits fixed,
// the controls' share of the hits shrinks), so a binary search finds k
// with about log2(n1) tests of n1 terms each; a scan from 0 took over a
// minute on the 32,768 trigger answers a bundle may have.
func minRejectingHits(n1, k0, n0 int, la float64) int {
	return sort.Search(n1+1, func(k int) bool {
		fk, err := stats.FisherGreater(k, n1, k0, n0)
		return err == nil && fk.Log10P <= la
	})
}

// normalMDE is the smallest mean shift a one-sided level-alpha test on n
// paired values with standard deviation sd detects with the stated power,
// by the normal approximation.
func normalMDE(sd float64, n int, alpha float64) float64 {
	z := distuv.UnitNormal
	return (z.Quantile(1-alpha) + z.Quantile(power)) * sd / math.Sqrt(float64(n))
}

func meanSD(x []float64) (float64, float64) {
	var s float64
	for _, v := range x {
		s += v
	}
	mean := s / float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	if len(x) < 2 {
		return mean, 0
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
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

// equality is the MMD² test on two answers per prompt from suspect and
// reference: under the null the four answers of a prompt are exchangeable,
// so each of its three pairings is equally likely.
func (a *analysis) equality(ctx context.Context, tr *TestResult) error {
	L := a.m.Plan.HammingLength
	if L <= 0 {
		L = 32
	}
	var mvals [][3]float64
	var selfS, selfR, cross float64
	for i, p := range a.prompts() {
		if i >= a.m.Plan.EqualityPrompts {
			break
		}
		var seqs [4][]string
		ok := true
		for j, rr := range [4]struct {
			role string
			rep  int
		}{{"suspect", 0}, {"suspect", 1}, {"reference", 0}, {"reference", 1}} {
			t, found := a.answer(rr.role, p.ID, rr.rep)
			if !found {
				ok = false
				break
			}
			pp, err := a.pieces(t)
			if err != nil {
				return err
			}
			seqs[j] = pp
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
		mvals = append(mvals, [3]float64{
			1.5*(k[0][1]+k[2][3]) - total/2,
			1.5*(k[0][2]+k[1][3]) - total/2,
			1.5*(k[0][3]+k[1][2]) - total/2,
		})
		selfS += k[0][1]
		selfR += k[2][3]
		cross += (k[0][2] + k[0][3] + k[1][2] + k[1][3]) / 4
	}
	n := len(mvals)
	d := &EqualityDetail{Prompts: n, HammingLength: L}
	tr.Equality = d
	tr.N, tr.NUnit = n, "prompts with two answers from each"
	if n == 0 {
		tr.Status, tr.Reason = StatusNotRun, "no prompt has two answers from both the suspect and the reference"
		return nil
	}
	obs := 0.0
	x := make([]float64, n)
	for i, mv := range mvals {
		obs += mv[0]
		x[i] = mv[0]
	}
	pr, err := stats.RandomizationTest(ctx, obs, a.m.Rounds, a.subSeed("equality"), func(rng *rand.Rand) float64 {
		s := 0.0
		for _, mv := range mvals {
			s += mv[rng.IntN(3)]
		}
		return s
	})
	if err != nil {
		return err
	}
	mean, sd := meanSD(x)
	d.MeanMMD2, d.AsLarge, d.Rounds = mean, pr.AsLarge, pr.Rounds
	d.SuspectSelf, d.ReferenceSelf, d.Cross = selfS/float64(n), selfR/float64(n), cross/float64(n)
	tr.Statistic, tr.Log10P = mean, math.Log10(pr.P)
	half := 1.96 * sd / math.Sqrt(float64(n))
	tr.Effect = Estimate{Name: "mean MMD² (Hamming kernel)", Value: mean, Lo: mean - half, Hi: mean + half, Confidence: 0.95}
	if n >= 2 && sd > 0 && 1/float64(a.m.Rounds+1) <= tr.AlphaShare {
		// No power statement from one prompt, from values without spread,
		// or when the rounds cannot reach the test's share of α.
		tr.MinDetectable = &Estimate{Name: "mean MMD² (normal approximation)", Value: normalMDE(sd, n, tr.AlphaShare), Power: power}
	}
	return nil
}

// decide applies weighted Holm over the tests that ran; withheld and not
// run tests count as p = 1, so they can never make another test reject.
func decide(res *Results) error {
	lp := make([]float64, len(res.Tests))
	w := make([]float64, len(res.Tests))
	for i, t := range res.Tests {
		w[i] = t.Weight
		if t.Status == StatusNotRejected {
			lp[i] = t.Log10P
		}
	}
	rej, err := stats.WeightedHolm(lp, w, res.Alpha)
	if err != nil {
		return err
	}
	for i := range res.Tests {
		if rej[i] && res.Tests[i].Status == StatusNotRejected {
			res.Tests[i].Status = StatusRejected
		}
	}
	return nil
}
