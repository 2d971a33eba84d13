package probe

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"

	"forensics/stats"
	"forensics/watermark"
)

// The attribution test: which case's text the suspect depends on. The
// gateway serves the accounts of a case under a key derived from the master
// key and the case id (watermark.Key.DeriveCase), from the moment the case
// opened; the custody ledger records when and for whom. The suspect's
// answers to the ordinary prompts, scored under a case key exactly as the
// radioactivity test scores them under the master key, show that key's
// watermark only if the suspect depends on text served to that case's
// accounts after the case opened. Each case is one hypothesis; all of
// them share the attribution test's part of α and enter the battery's
// weighted Holm (decide), so the family-wise error bound covers every
// case key searched.

// FileLedger is the bundle's copy of the case ledger the probe tested.
const FileLedger = "case-ledger.jsonl"

// MaxLedgerSize bounds the ledger copy verify reads: 10,000 cases of a
// hundred accounts each is about 40 MiB of ledger.
const MaxLedgerSize = 256 << 20

// MaxCases bounds the cases a manifest may test: each case key scores
// every suspect answer again (linear in keys × tuples; see
// docs/performance.md), and verify repeats it.
const MaxCases = 10_000

// CasePlan is the manifest's commitment to the ledger and the cases
// tested, written before any query.
type CasePlan struct {
	File   string `json:"file"`   // FileLedger
	SHA256 string `json:"sha256"` // of the ledger copy
	Head   string `json:"head"`   // hash of its last event
	// Ledger is the ledger's id, with which every case key is derived.
	Ledger string `json:"ledger_id"`
	// PublicKey is the hex ed25519 key whose signature on every ledger
	// event was checked ("" when only the hash chain was).
	PublicKey string `json:"public_key,omitempty"`
	// Cases are the ids of the cases tested, in ledger order.
	Cases      []string `json:"cases"`
	Correction string   `json:"correction"`
}

// Case is one case as the ledger shows it: evidence reads it from the
// bundle's ledger copy (package caseledger) and hands it to Analyze.
type Case struct {
	ID               string `json:"id"`
	KeyID            string `json:"key_id"`
	KeyCommitment    string `json:"key_commitment"`
	CanaryCommitment string `json:"canary_commitment,omitempty"`
	// Nonce is the case's nonce from its opening, part of its key.
	Nonce  string `json:"nonce"`
	Opened string `json:"opened"`
	Closed string `json:"closed,omitempty"`
	// Accounts are the case's members, each from when it was added.
	Accounts []CaseAccount `json:"accounts"`
	// OpeningEvent is the hash of the ledger event that opened the case.
	OpeningEvent string `json:"opening_event"`
}

// CaseAccount is one account of a case and when it joined (the case's
// opening, or a later extension).
type CaseAccount struct {
	Account string `json:"account"`
	Added   string `json:"added"`
}

// AccountsWithTimes lists a case's accounts, each that joined after the
// opening with the time it did.
func (c Case) AccountsWithTimes() []string {
	out := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		out[i] = a.Account
		if a.Added != c.Opened {
			out[i] += " (from " + a.Added + ")"
		}
	}
	return out
}

// AccountNames lists a case's accounts.
func (c Case) AccountNames() []string {
	out := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		out[i] = a.Account
	}
	return out
}

// AttributionDetail are the attribution test's numbers, case by case.
type AttributionDetail struct {
	// Hypotheses is how many case keys share the test's part of α.
	Hypotheses int          `json:"hypotheses"`
	Ledger     CasePlan     `json:"ledger"`
	Cases      []CaseResult `json:"cases"`
	// Pooled is every case key at once (two or more cases).
	Pooled *PooledResult `json:"pooled,omitempty"`
}

// PooledResult is the suspect's answers scored under the case keys at
// once: the green counts summed over the K keys pooled, against K·n
// trials. Under
// the null that the suspect is independent of every case key, each
// (distinct tuple, key) pair is green with probability γ independently
// (the keys are independent PRF keys), so the sum is Binomial(K·n, γ)
// exactly. It catches a harvest spread thin over many cases (each flagged
// account in its own case), which no single case shows at its share of α.
type PooledResult struct {
	// Keys are the cases pooled: those not withheld or untestable on
	// their own (ids in Cases).
	Keys          int            `json:"keys"`
	Cases         []string       `json:"cases"`
	TokensScored  int            `json:"tokens_scored"` // keys × distinct tuples
	Green         int            `json:"green"`
	GreenFraction float64        `json:"green_fraction"`
	Log10P        float64        `json:"log10_p"`
	Status        string         `json:"status"`
	Reason        string         `json:"reason,omitempty"`
	Controls      []ControlScore `json:"controls,omitempty"`
}

// CaseResult is the suspect's answers scored under one case key.
type CaseResult struct {
	Case
	Status        string         `json:"status"`
	Reason        string         `json:"reason,omitempty"`
	TokensScored  int            `json:"tokens_scored"`
	Green         int            `json:"green"`
	GreenFraction float64        `json:"green_fraction"`
	Log10P        float64        `json:"log10_p"`
	Controls      []ControlScore `json:"controls,omitempty"`
}

// CaseCorrection states how the attribution test corrects for the case
// keys it searches; a manifest states it in its case plan.
const CaseCorrection = "with two or more cases, the case keys pooled are one hypothesis with half the attribution test's weight and each case key one with an equal part of the other half (one case: all of it), in the battery's weighted Holm: family-wise error ≤ α over all tests, the pooled hypothesis and every case key tested"

// attribution scores the suspect's answers under every case key of the
// plan. Without the key (verify without it) the numbers are taken as
// recorded and every decision is taken again.
func (a *analysis) attribution(ctx context.Context, tr *TestResult) error {
	plan := a.m.Cases
	tr.N, tr.NUnit = len(plan.Cases), "case keys"
	if a.in.Key == nil {
		return a.attributionAsRecorded(tr)
	}
	keys, err := a.caseKeys()
	if err != nil {
		return err
	}
	promptPieces, suspect, err := a.suspectPieces()
	if err != nil {
		return err
	}
	controls := make([][][]string, len(a.m.Targets.Controls))
	for i := range controls {
		if controls[i], err = a.roleDocs(ControlRole(i)); err != nil {
			return err
		}
	}
	d := &AttributionDetail{Hypotheses: len(keys), Ledger: *plan, Cases: make([]CaseResult, len(keys))}
	if err := scoreCases(ctx, d, a.in.Cases, keys, promptPieces, suspect, controls); err != nil {
		return err
	}
	tr.Attribution = d
	a.attributionDecisions(tr)
	return nil
}

// caseKeys derives the key of every case tested from the master key and
// checks each against the ledger's commitment: a ledger written under
// another master key, or edited, fails here rather than testing keys
// nobody served with.
func (a *analysis) caseKeys() ([]*watermark.Key, error) {
	if len(a.in.Cases) != len(a.m.Cases.Cases) {
		return nil, fmt.Errorf("the ledger gives %d of the %d cases the manifest names", len(a.in.Cases), len(a.m.Cases.Cases))
	}
	keys := make([]*watermark.Key, len(a.in.Cases))
	for i, c := range a.in.Cases {
		if c.ID != a.m.Cases.Cases[i] {
			return nil, fmt.Errorf("case %d of the ledger is %s, the manifest names %s", i+1, c.ID, a.m.Cases.Cases[i])
		}
		k, err := a.in.Key.DeriveCase(a.m.Cases.Ledger, c.ID, c.Nonce)
		if err != nil {
			return nil, err
		}
		if k.Commitment() != c.KeyCommitment {
			return nil, fmt.Errorf("case %s: the key derived from %s has commitment %.16s…, the ledger records %.16s… (a ledger of another master key?)", c.ID, a.in.Key.ID, k.Commitment(), c.KeyCommitment)
		}
		keys[i] = k
	}
	return keys, nil
}

// scoreCases scores the suspect's and the controls' answers under every
// case key, with the same deduplication and prompt exclusion as the
// radioactivity test: each answer set's distinct tuples are found once
// (watermark.Tuples) and scored under all keys, linear in keys × tuples
// (docs/performance.md).
func scoreCases(ctx context.Context, d *AttributionDetail, cases []Case, keys []*watermark.Key, promptPieces, suspect [][]string, controls [][][]string) error {
	if len(keys) == 0 {
		return nil
	}
	schemes := make([]*watermark.Scheme, len(keys))
	for i, k := range keys {
		schemes[i] = watermark.NewScheme(k)
	}
	h := keys[0].ContextWidth
	score := func(docs [][]string) ([]watermark.Result, error) {
		t := watermark.NewTuples(h, promptPieces, docs)
		greens, err := watermark.ScoreKeys(ctx, t, schemes, runtime.GOMAXPROCS(0))
		if err != nil {
			return nil, err
		}
		out := make([]watermark.Result, len(keys))
		for i, g := range greens {
			out[i] = t.ResultFor(schemes[i], g)
		}
		return out, nil
	}
	rs, err := score(suspect)
	if err != nil {
		return err
	}
	for i, r := range rs {
		d.Cases[i] = CaseResult{Case: cases[i], Status: StatusNotRejected, TokensScored: r.TokensScored, Green: r.Green, GreenFraction: r.GreenFraction, Log10P: r.Log10P}
	}
	for j, docs := range controls {
		xs, err := score(docs)
		if err != nil {
			return err
		}
		for i, x := range xs {
			d.Cases[i].Controls = append(d.Cases[i].Controls, ControlScore{Role: ControlRole(j), Answers: len(docs), TokensScored: x.TokensScored, Green: x.Green, GreenFraction: x.GreenFraction, Log10P: x.Log10P})
		}
	}
	return nil
}

// pool sums the scores of the cases that passed their own gates (the
// controls and the calibration, which do not depend on the suspect): the
// suspect's, and each control's for the pool's own control gate. A case a
// control gate withheld is left out, or its key would carry into the pool
// the very signal its gate refused (the second adversarial review pooled
// 20 keys with one such case and got "supported").
func pool(cases []CaseResult, gamma float64) *PooledResult {
	p := &PooledResult{Status: StatusNotRejected}
	ctl := map[string]*ControlScore{}
	var roles []string
	for _, c := range cases {
		if c.Status != StatusNotRejected {
			continue
		}
		p.Keys++
		p.Cases = append(p.Cases, c.ID)
		p.TokensScored += c.TokensScored
		p.Green += c.Green
		for _, x := range c.Controls {
			if ctl[x.Role] == nil {
				ctl[x.Role] = &ControlScore{Role: x.Role, Answers: x.Answers}
				roles = append(roles, x.Role)
			}
			ctl[x.Role].TokensScored += x.TokensScored
			ctl[x.Role].Green += x.Green
		}
	}
	finish := func(green, n int) (float64, float64) {
		if n == 0 {
			return 0, 0
		}
		return float64(green) / float64(n), stats.Log10BinomUpperTail(green, n, gamma)
	}
	p.GreenFraction, p.Log10P = finish(p.Green, p.TokensScored)
	for _, r := range roles {
		x := ctl[r]
		x.GreenFraction, x.Log10P = finish(x.Green, x.TokensScored)
		p.Controls = append(p.Controls, *x)
	}
	return p
}

// attributionAsRecorded takes the recorded numbers (they need the key)
// and decides again from them, as radioAsRecorded does.
func (a *analysis) attributionAsRecorded(tr *TestResult) error {
	var rec *TestResult
	if a.in.Recorded != nil {
		rec = testByName(a.in.Recorded.Tests, TestAttribution)
	}
	if rec == nil || rec.Attribution == nil {
		tr.Status, tr.Reason = StatusNotRun, "computed without the key"
		return nil
	}
	// Only the numbers need the key: which cases, their accounts, times
	// and commitments come from the bundle's ledger copy, never from the
	// recorded results (a results file could otherwise name any account).
	if len(rec.Attribution.Cases) != len(a.in.Cases) {
		return fmt.Errorf("results record %d cases, the ledger copy gives %d", len(rec.Attribution.Cases), len(a.in.Cases))
	}
	d := &AttributionDetail{Cases: make([]CaseResult, len(a.in.Cases))}
	for i, c := range a.in.Cases {
		r := rec.Attribution.Cases[i]
		if r.ID != c.ID {
			return fmt.Errorf("results record case %s where the ledger copy has %s", r.ID, c.ID)
		}
		d.Cases[i] = CaseResult{Case: c, TokensScored: r.TokensScored, Green: r.Green, GreenFraction: r.GreenFraction, Log10P: r.Log10P, Controls: r.Controls}
	}
	tr.Attribution = d
	a.attributionDecisions(tr)
	return nil
}

// attributionDecisions withholds cases the way the radioactivity test is
// withheld: when its key-swap null shows the scoring uncalibrated on these
// answers (every case: the answers are the same), or when a control
// scores as watermarked under the case's key (that case). The cases'
// rejections are decide's.
func (a *analysis) attributionDecisions(tr *TestResult) {
	d := tr.Attribution
	d.Hypotheses, d.Ledger = len(d.Cases), *a.m.Cases
	radio := testByName(a.done, TestRadioactivity)
	uncalibrated := radio != nil && radio.Radioactivity != nil && radio.Radioactivity.Null.Keys > 0 && !radio.Radioactivity.Null.Uniform
	level := math.Log10(a.m.Null.ControlAlpha)
	for i := range d.Cases {
		c := &d.Cases[i]
		c.Status, c.Reason = StatusNotRejected, ""
		switch {
		case c.TokensScored == 0:
			c.Status, c.Reason, c.Log10P = StatusNotRun, "no suspect answer had a scorable piece", 0
		case uncalibrated:
			c.Status, c.Reason = StatusWithheld, "the radioactivity test's key-swap null is not uniform on these answers"
		}
		for _, x := range c.Controls {
			if c.Status == StatusNotRejected && x.TokensScored > 0 && x.Log10P <= level {
				c.Status = StatusWithheld
				c.Reason = fmt.Sprintf("control %s also scores as watermarked under this case's key (log10 p = %.2f)", x.Role, x.Log10P)
			}
		}
	}
	d.Pooled = nil
	if len(d.Cases) > 1 {
		d.Pooled = pool(d.Cases, a.m.Key.Params.Gamma)
		p := d.Pooled
		switch {
		case uncalibrated:
			p.Status, p.Reason = StatusWithheld, "the radioactivity test's key-swap null is not uniform on these answers"
		case p.TokensScored == 0:
			p.Status, p.Reason, p.Log10P = StatusNotRun, "no case left to pool (each withheld or untestable)", 0
		}
		for _, x := range p.Controls {
			if p.Status == StatusNotRejected && x.TokensScored > 0 && x.Log10P <= level {
				p.Status = StatusWithheld
				p.Reason = fmt.Sprintf("control %s also scores as watermarked under the case keys pooled (log10 p = %.2f)", x.Role, x.Log10P)
			}
		}
	}
	tr.Status, tr.Reason = StatusNotRejected, ""
	tr.Log10P = caseBonferroni(d)
	tr.Statistic = 0
	if tr.N == 0 || allNotTestable(d.Cases) && (d.Pooled == nil || d.Pooled.Status == StatusNotRun) {
		tr.Status, tr.Reason = StatusNotRun, "no case key could be tested"
	}
}

// caseBonferroni is log10 of the weighted Bonferroni p-value of the
// attribution test's hypotheses that could be tested: min over them of
// p_i / (w_i / w), the test's p-value for "no case's text reached the
// suspect", for display (decide rejects hypothesis by hypothesis).
func caseBonferroni(d *AttributionDetail) float64 {
	testable := func(st string) bool { return st == StatusNotRejected || st == StatusRejected }
	h := 0
	for _, c := range d.Cases {
		if testable(c.Status) {
			h++
		}
	}
	best := 0.0
	share := float64(len(d.Cases)) // 1 / (a case's share of the weight)
	if p := d.Pooled; p != nil {
		share *= 2
		if testable(p.Status) {
			best = min(best, p.Log10P+math.Log10(2))
		}
	}
	for _, c := range d.Cases {
		if testable(c.Status) {
			best = min(best, c.Log10P+math.Log10(share))
		}
	}
	return min(0, best)
}

func allNotTestable(cs []CaseResult) bool {
	for _, c := range cs {
		if c.Status == StatusNotRejected || c.Status == StatusRejected {
			return false
		}
	}
	return true
}

// attributedCases lists the cases whose hypothesis decide rejected.
func attributedCases(d *AttributionDetail) []CaseResult {
	var out []CaseResult
	for _, c := range d.Cases {
		if c.Status == StatusRejected {
			out = append(out, c)
		}
	}
	return out
}

// pooledEvidence is the pooled hypothesis in a clause.
func pooledEvidence(p *PooledResult) string {
	return fmt.Sprintf("the %d case keys pooled (%s): %d of %d (distinct tuple, key) pairs green (%.4f), p = %s",
		p.Keys, strings.Join(p.Cases, ", "), p.Green, p.TokensScored, p.GreenFraction, stats.FormatP(p.Log10P))
}

// caseEvidence is one attributed case in a clause.
func caseEvidence(c CaseResult) string {
	return fmt.Sprintf("case %s (accounts %s; opened %s): %d of %d distinct scored tuples green under its key (%.3f), p = %s",
		c.ID, strings.Join(c.AccountsWithTimes(), ", "), c.Opened, c.Green, c.TokensScored, c.GreenFraction, stats.FormatP(c.Log10P))
}
