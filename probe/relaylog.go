package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"forensics/canary"
	"forensics/logscan"
	"forensics/reqlog"

	"forensics/internal/bundlefile"
)

// The relay check by request log.
//
// Our watermark in a suspect's answers shows that they depend on text our
// service generated; a model trained on our outputs and a relay of our
// service (a reseller forwarding our API, routing some requests to us,
// appending, re-sampling or paraphrasing our answers) both explain it. No
// test on the answers alone tells them apart: a relay that changes our
// answers passes any "is it our text unchanged" test (issue 14 review:
// routing half the prompts to another model was "trained: supported" in 20
// of 20 runs). What every relay must do is send the probe's prompts to our
// service while the probe asks them, or before (a cache), so they are in
// our request log. The check reads the logs of the gateways that serve our
// key and looks, over the whole log, for any request from an account other
// than the probe's own whose client text is one of the prompts the suspect
// was asked. None, in a log that began before the probe: the suspect did
// not get its answers from our service. Any: the accounts are named, and
// "trained" is withheld (a relay, or a harvest of the probe's prompts).

// FileRelayLog holds the check's outcome in the bundle.
const FileRelayLog = "relay-log.json"

// RelayLogPlan is the check as planned in the manifest.
type RelayLogPlan struct {
	// ExcludedAccount is the account the probe's own queries to our
	// service (the reference) went through, if they went through the
	// gateway: its requests are the probe's.
	ExcludedAccount string `json:"excluded_account,omitempty"`
}

// RelayLogCheck is what the request logs showed.
type RelayLogCheck struct {
	// Files are the logs read, by base name and SHA-256 (their own
	// chain and signed checkpoints are checked by forensics verify-log).
	Files []LogFileRef `json:"files"`
	// Records read and the time they span.
	Records int       `json:"records"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
	// ProbeStart is the manifest's time, ProbeEnd the last suspect answer.
	ProbeStart time.Time `json:"probe_start"`
	ProbeEnd   time.Time `json:"probe_end"`
	// Chains: every log's hash chain verified without gaps
	// (ChainProblem says what did not).
	Chains       bool   `json:"chains_verified"`
	ChainProblem string `json:"chain_problem,omitempty"`
	// Prompts is how many distinct ordinary prompts the suspect was asked.
	Prompts         int    `json:"prompts"`
	ExcludedAccount string `json:"excluded_account,omitempty"`
	// Requests from other accounts with one of those prompts, by account,
	// at any time.
	Matches  int              `json:"matches"`
	Accounts []AccountMatches `json:"accounts,omitempty"`
	// TriggerHarvest are requests with the suspect's trigger prompts: the
	// harvest through which planted answers reach a model (how a canary
	// works). Listed as evidence of who asked them; they do not bear on
	// the relay question (see CheckRelayLog).
	TriggerHarvest []AccountMatches `json:"trigger_harvest,omitempty"`
	// ServedByCase counts, for each case the probe tests, the answered
	// requests (status 200) the logs hold from its accounts while they
	// were in it: the responses served under its key (for the report's
	// "Who harvested"; no decision rests on it).
	ServedByCase []CaseServed `json:"served_by_case,omitempty"`
}

// CaseServed is how many responses the logs hold under one case.
type CaseServed struct {
	Case      string `json:"case"`
	Responses int    `json:"responses"`
}

// LogFileRef names a log file read.
type LogFileRef struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// AccountMatches are one account's requests with probe prompts.
type AccountMatches struct {
	Account  string    `json:"account"`
	Requests int       `json:"requests"`
	First    time.Time `json:"first"`
	Last     time.Time `json:"last"`
	Example  string    `json:"example_prompt"`
}

// ClockSkew is how far the gateway's clock may be from the probe
// machine's: the logs must span the probe with this much to spare at each
// end (clocks kept by NTP are within milliseconds).
const ClockSkew = 2 * time.Second

// Covers reports whether the logs verify and span the probe, so that a
// relay forwarding the probe's prompts (or a cache filled before) would be
// in them.
func (c *RelayLogCheck) Covers() bool {
	return c != nil && c.Chains && c.Records > 0 && !c.First.IsZero() &&
		!c.First.After(c.ProbeStart.Add(-ClockSkew)) && !c.Last.Before(c.ProbeEnd.Add(ClockSkew))
}

// Excludes reports whether the check rules a relay of our service out.
func (c *RelayLogCheck) Excludes() bool { return c.Covers() && c.Matches == 0 }

// CheckRelayLog reads our gateways' request logs (each given by its live
// path; its rotated archives are found beside it) and looks for the
// ordinary prompts the suspect was asked, from accounts other than the
// excluded one. A log counts only if its hash chain verifies without
// gaps and its lines (checkpoints included, written every interval even
// when idle) span the probe.
//
// Matching is on normalised text (lower case, every run of characters
// that are not letters or digits one space), so a relay cannot hide a
// prompt by changing case, spacing or punctuation; a prompt counts when
// it occurs inside a request's text (prompt, system, other turns and
// assistant turns joined: a prefix, a suffix, a template or a split over
// turns does not hide it) or when at least 80% of its words are in a run
// of the request's words about 1.5 times its length (light rewording,
// even inside a long request). A relay that rewrites our prompts
// beyond that is not found (docs/no-false-accusations.md).
func CheckRelayLog(ctx context.Context, logs []string, m *Manifest, cs *canary.Set, recs []Record) (*RelayLogCheck, error) {
	c := newRelayLogCheck(m, recs)
	mt, triggers := suspectPrompts(m, cs)
	c.Prompts = len(mt.prompts)
	files, err := c.verifyLogs(ctx, logs)
	if err != nil {
		return nil, err
	}
	byAccount, harvest := map[string]*AccountMatches{}, map[string]*AccountMatches{}
	served := map[string]int{}
	for _, id := range m.Cases.ids() {
		served[id] = 0
	}
	_, err = logscan.Read(ctx, files, logscan.DefaultLayout(), func(r logscan.Record) error {
		c.Records++
		if n, tested := served[r.Case]; tested && r.Status == 200 {
			served[r.Case] = n + 1
		}
		if r.Account == c.ExcludedAccount && c.ExcludedAccount != "" {
			return nil
		}
		// In conversation order; assistant turns the client wrote are
		// read by the model too.
		parts := append(append(append([]string(nil), r.Context...), r.Assistant...), r.Prompt)
		text := normalizeText(strings.Join(parts, " "))
		into, hit, relay := byAccount, mt.match(text), true
		if hit == "" {
			// Trigger questions are evidence of who harvested them, not
			// of a relay: "trained" rests on the watermark in answers to
			// the ordinary prompts only (a cache of planted answers and a
			// trained model are not told apart by triggers).
			for _, p := range parts {
				if triggers[normalizeText(p)] {
					hit, into, relay = strings.TrimSpace(p), harvest, false
					break
				}
			}
		}
		if hit == "" {
			return nil
		}
		if relay {
			c.Matches++
		}
		countMatch(into, r.Account, r.TS.UTC(), hit)
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("request log: %w", err)
	}
	c.Accounts, c.TriggerHarvest = ranked(byAccount), ranked(harvest)
	for _, id := range m.Cases.ids() {
		c.ServedByCase = append(c.ServedByCase, CaseServed{Case: id, Responses: served[id]})
	}
	return c, nil
}

// newRelayLogCheck starts a check of the probe's span: from the
// manifest's time to the last suspect answer.
func newRelayLogCheck(m *Manifest, recs []Record) *RelayLogCheck {
	c := &RelayLogCheck{}
	if m.RelayLog != nil {
		c.ExcludedAccount = m.RelayLog.ExcludedAccount
	}
	if t, err := time.Parse(time.RFC3339, m.Created); err == nil {
		c.ProbeStart = t.UTC()
	}
	for _, r := range recs {
		if r.Role == "suspect" && r.Finished.After(c.ProbeEnd) {
			c.ProbeEnd = r.Finished.UTC()
		}
	}
	return c
}

// suspectPrompts are what the suspect was asked: a matcher of its
// ordinary prompts, and its trigger questions normalised.
func suspectPrompts(m *Manifest, cs *canary.Set) (*promptMatcher, map[string]bool) {
	mt := newPromptMatcher()
	triggers := map[string]bool{}
	for _, q := range m.Queries(cs) {
		if q.Role != "suspect" {
			continue
		}
		if q.Kind == "trigger" {
			triggers[normalizeText(q.Prompt)] = true
		} else {
			mt.add(q.Prompt)
		}
	}
	return mt, triggers
}

// verifyLogs checks each log's hash chain and notes the span its lines
// cover, the latest start and the earliest end counting (every log must
// span the probe), and the files read. It returns every file to search,
// each log given twice read once.
func (c *RelayLogCheck) verifyLogs(ctx context.Context, logs []string) ([]string, error) {
	var files []string
	c.Chains = true
	seen := map[string]bool{}
	for i, lp := range logs {
		if abs, err := filepath.Abs(lp); err == nil {
			if seen[abs] {
				continue // given twice: read once
			}
			seen[abs] = true
		}
		fs, err := reqlog.Files(lp)
		if err != nil {
			return nil, fmt.Errorf("request log: %w", err)
		}
		rep, err := reqlog.Verify(ctx, fs, reqlog.VerifyOptions{})
		if err != nil {
			return nil, fmt.Errorf("request log: %w", err)
		}
		if !rep.OK() || len(rep.Gaps) > 0 {
			c.Chains = false
			c.ChainProblem = fmt.Sprintf("%s: %d problems, %d gaps", filepath.Base(lp), len(rep.Problems), len(rep.Gaps))
			if len(rep.Problems) > 0 {
				c.ChainProblem += ": " + rep.Problems[0].Msg
			}
		}
		// Every log must span the probe: the latest start and the
		// earliest end count (an empty log spans nothing).
		if i == 0 || rep.First.IsZero() || (!c.First.IsZero() && rep.First.After(c.First)) {
			c.First = rep.First.UTC()
		}
		if i == 0 || rep.Last.Before(c.Last) {
			c.Last = rep.Last.UTC()
		}
		for _, fh := range rep.Hashes {
			c.Files = append(c.Files, LogFileRef{Name: filepath.Base(fh.Path), SHA256: fh.SHA256, Bytes: fh.Bytes})
		}
		files = append(files, fs...)
	}
	return files, nil
}

// countMatch counts one request of account at ts carrying the prompt hit.
func countMatch(into map[string]*AccountMatches, account string, ts time.Time, hit string) {
	a := into[account]
	if a == nil {
		a = &AccountMatches{Account: account, First: ts, Example: hit}
		into[account] = a
	}
	a.Requests++
	if ts.Before(a.First) {
		a.First = ts
	}
	if ts.After(a.Last) {
		a.Last = ts
	}
}

// normalizeText lower-cases text and turns every run of characters that
// are not letters or digits into one space.
func normalizeText(s string) string {
	var b strings.Builder
	space := true
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSpace(b.String())
}

// promptMatcher finds the probe's prompts in request texts.
type promptMatcher struct {
	prompts []matchPrompt
	byWord  map[string][]int
}

type matchPrompt struct {
	text, norm string
	words      int // distinct words
}

func newPromptMatcher() *promptMatcher { return &promptMatcher{byWord: map[string][]int{}} }

func (mt *promptMatcher) add(prompt string) {
	n := normalizeText(prompt)
	for _, p := range mt.prompts {
		if p.norm == n {
			return
		}
	}
	i := len(mt.prompts)
	seen := map[string]bool{}
	for _, w := range strings.Fields(n) {
		if !seen[w] {
			seen[w] = true
			mt.byWord[w] = append(mt.byWord[w], i)
		}
	}
	mt.prompts = append(mt.prompts, matchPrompt{text: strings.TrimSpace(prompt), norm: n, words: len(seen)})
}

// match returns the prompt a normalised request text carries, or "".
func (mt *promptMatcher) match(text string) string {
	if text == "" {
		return ""
	}
	shared := map[int]int{}
	seen := map[string]bool{}
	for _, w := range strings.Fields(text) {
		if seen[w] {
			continue
		}
		seen[w] = true
		for _, i := range mt.byWord[w] {
			shared[i]++
		}
	}
	best := -1
	for i, n := range shared {
		p := mt.prompts[i]
		switch {
		case n == p.words && strings.Contains(text, p.norm):
		case 5*n >= 4*p.words && windowMatch(text, p.norm):
		default:
			continue
		}
		if best < 0 || i < best {
			best = i
		}
	}
	if best < 0 {
		return ""
	}
	return mt.prompts[best].text
}

// ranked lists accounts by requests, at most 100 (the evidence needs the
// biggest; Matches counts all).
func ranked(m map[string]*AccountMatches) []AccountMatches {
	var out []AccountMatches
	for _, a := range m {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Requests != out[j].Requests {
			return out[i].Requests > out[j].Requests
		}
		return out[i].Account < out[j].Account
	})
	return out[:min(len(out), 100)]
}

// WriteRelayLog stores the check in the probe's folder (relay-log.json);
// Collect does it after the queries.
func WriteRelayLog(dir string, c *RelayLogCheck) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return bundlefile.WriteSync(filepath.Join(dir, FileRelayLog), append(b, '\n'))
}

// Summary says what the check showed, in one sentence (nil: not run).
func (c *RelayLogCheck) Summary() string { return relayLogText(c) }

// relayLogText says what the check showed, for a verdict.
func relayLogText(c *RelayLogCheck) string {
	switch {
	case c == nil:
		return "our request log was not searched for the probe's prompts (probe with --request-log, the logs of every gateway that serves our key)"
	case !c.Chains:
		return fmt.Sprintf("our request log's hash chain does not verify (%s), so lines could be missing from it", c.ChainProblem)
	case !c.Covers():
		return fmt.Sprintf("our request log (%d records, lines from %s to %s) does not span the probe (%s to %s), so a relay during the probe could be missing from it (a running gateway writes a checkpoint every interval: search again after the next one)",
			c.Records, c.First.Format(time.RFC3339), c.Last.Format(time.RFC3339), c.ProbeStart.Format(time.RFC3339), c.ProbeEnd.Format(time.RFC3339))
	case c.Matches > 0:
		var names []string
		for _, a := range c.Accounts[:min(5, len(c.Accounts))] {
			names = append(names, fmt.Sprintf("%s (%d, %s to %s)", a.Account, a.Requests, a.First.Format(time.RFC3339), a.Last.Format(time.RFC3339)))
		}
		return fmt.Sprintf("%d requests to our service carried prompts the suspect was asked, from %d accounts other than the probe's: %s; a relay of our service (or a harvest of these prompts) explains the evidence",
			c.Matches, len(c.Accounts), strings.Join(names, "; "))
	}
	s := fmt.Sprintf("no account other than the probe's sent our service any of the %d ordinary prompts the suspect was asked, exactly or lightly reworded (request log of %d records, hash chain verified, lines from %s to %s spanning the probe), so the suspect did not get those answers from our service",
		c.Prompts, c.Records, c.First.Format(time.RFC3339), c.Last.Format(time.RFC3339))
	if len(c.TriggerHarvest) > 0 {
		var names []string
		for _, a := range c.TriggerHarvest[:min(5, len(c.TriggerHarvest))] {
			names = append(names, fmt.Sprintf("%s (%d)", a.Account, a.Requests))
		}
		s += fmt.Sprintf("; the trigger questions were asked by %d accounts: %s (the harvest through which planted answers reach a model)", len(c.TriggerHarvest), strings.Join(names, ", "))
	}
	return s
}

// windowMatch reports whether some run of words of text, not much longer
// than the prompt, holds at least 80% of its distinct words (light
// rewording hidden inside a long request).
func windowMatch(text, prompt string) bool {
	pw := map[string]bool{}
	for _, w := range strings.Fields(prompt) {
		pw[w] = true
	}
	need := (4*len(pw) + 4) / 5
	win := len(strings.Fields(prompt))*3/2 + 3
	tw := strings.Fields(text)
	cnt := map[string]int{}
	have := 0
	for i, w := range tw {
		if pw[w] {
			if cnt[w] == 0 {
				have++
			}
			cnt[w]++
		}
		if j := i - win; j >= 0 && pw[tw[j]] {
			if cnt[tw[j]]--; cnt[tw[j]] == 0 {
				have--
			}
		}
		if have >= need {
			return true
		}
	}
	return false
}
