package report

import (
	"fmt"
	"strings"

	"forensics/probe"
	"forensics/stats"
)

// whoHarvested is the report's account of the case keys: case by case,
// its accounts, when it opened, the suspect's result under its key, and
// the ledger's hashes that tie the case to the custody record.
func whoHarvested(t *probe.TestResult, rl *probe.RelayLogCheck) []Block {
	d := t.Attribution
	led := d.Ledger
	signed := "its signatures were NOT checked (only the hash chain): anyone could have written it"
	if led.PublicKey != "" {
		signed = "every event's signature was checked with the ledger key " + shortHash(led.PublicKey)
	}
	out := []Block{
		Heading{Level: 2, Text: "Who harvested"},
		Para{Text: fmt.Sprintf("When our log scanner or an operator flagged accounts, the gateway opened a case: from that moment it served those accounts under a watermark key of their own, derived from our main key and the case's id, and recorded the case in a hash-chained custody ledger. A case's key in the suspect's answers shows that text served to that case's accounts after the case opened reached the suspect. %d cases were tested; the ledger copy in this bundle ends at event %s and %s.",
			d.Hypotheses, shortHash(led.Head), signed)},
	}
	served := map[string]string{}
	servedNote := "Responses served under each case's key are not counted here: the probe was given no request log (--request-log)."
	if rl != nil {
		for _, s := range rl.ServedByCase {
			served[s.Case] = fmt.Sprint(s.Responses)
		}
		servedNote = fmt.Sprintf("Responses: the answered requests of each case's accounts while in the case, counted in the request logs the probe searched (%d lines).", rl.Records)
	}
	var rows [][]string
	for _, c := range d.Cases {
		p := "—"
		if c.Status != probe.StatusNotRun {
			p = stats.FormatP(c.Log10P)
		}
		opened := c.Opened
		if c.Closed != "" {
			opened += " (closed " + c.Closed + ")"
		}
		n := served[c.ID]
		if n == "" {
			n = "—"
		}
		rows = append(rows, []string{c.ID, strings.Join(c.AccountsWithTimes(), ", "), opened, n, caseWords(c), fmt.Sprintf("%s of %d", pct(c.GreenFraction), c.TokensScored), p, shortHash(c.OpeningEvent)})
	}
	out = append(out, Table{Header: []string{"Case", "Accounts", "Opened", "Responses", "Finding", "Green (pairs)", "p-value", "Ledger event"}, Rows: rows, Widths: []float64{0.8, 1.8, 1.3, 0.8, 1, 1, 0.8, 0.9}},
		Para{Text: servedNote})
	if p := d.Pooled; p != nil {
		words := map[string]string{
			probe.StatusRejected: "text served under at least one of these keys reached the suspect; which case is not determined",
			probe.StatusWithheld: "withheld (" + p.Reason + ")", probe.StatusNotRun: "not tested (" + p.Reason + ")",
		}[p.Status]
		if words == "" {
			words = "not shown"
		}
		out = append(out, Para{Text: fmt.Sprintf("The keys of the %d cases not withheld on their own (%s) pooled, one more hypothesis for a harvest spread thin over many cases: %d of %d (pair, key) scores green (%s), p = %s: %s.",
			p.Keys, strings.Join(p.Cases, ", "), p.Green, p.TokensScored, pct(p.GreenFraction), stats.FormatP(p.Log10P), words)})
	}
	for _, c := range d.Cases {
		if c.Reason != "" {
			out = append(out, Para{Text: fmt.Sprintf("Case %s: %s.", c.ID, c.Reason)})
		}
	}
	out = append(out, Para{Text: "A case names the set of its accounts, not which of them passed the text on. \"Not attributed\" means no evidence at this power, not evidence that a case's accounts are uninvolved."})
	return out
}

func caseWords(c probe.CaseResult) string {
	switch c.Status {
	case probe.StatusRejected:
		return "attributed"
	case probe.StatusWithheld:
		return "withheld"
	case probe.StatusNotRun:
		return "not tested"
	}
	return "not attributed"
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
