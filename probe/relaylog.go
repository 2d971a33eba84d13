package probe

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"forensics/monitor"
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
	// Prompts is how many distinct prompts the suspect was asked.
	Prompts         int    `json:"prompts"`
	ExcludedAccount string `json:"excluded_account,omitempty"`
	// Requests from other accounts with one of those prompts, by account:
	// any time for the ordinary prompts, during the probe for the
	// triggers.
	Matches  int              `json:"matches"`
	Accounts []AccountMatches `json:"accounts,omitempty"`
	// TriggerHarvest are requests with the suspect's trigger prompts from
	// before the probe: the harvest through which planted answers reach a
	// model (how a canary works), not a relay. Listed as evidence of who
	// asked them.
	TriggerHarvest []AccountMatches `json:"trigger_harvest,omitempty"`
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

// Covers reports whether the log began before the probe did, so that a
// relay forwarding the probe's prompts (or a cache filled before) would be
// in it.
func (c *RelayLogCheck) Covers() bool {
	return c != nil && c.Records > 0 && !c.First.After(c.ProbeStart)
}

// Excludes reports whether the check rules a relay of our service out.
func (c *RelayLogCheck) Excludes() bool { return c.Covers() && c.Matches == 0 }

// CheckRelayLog reads request logs (plain or gzip) and looks for the
// prompts the suspect was asked, from accounts other than the excluded
// one.
func CheckRelayLog(ctx context.Context, paths []string, m *Manifest, cs *CanarySet, recs []Record) (*RelayLogCheck, error) {
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
	prompts := map[string]string{} // text → kind
	for _, q := range m.Queries(cs) {
		if q.Role == "suspect" {
			prompts[strings.TrimSpace(q.Prompt)] = q.Kind
		}
	}
	c.Prompts = len(prompts)
	for _, p := range paths {
		ref, err := hashLogFile(p)
		if err != nil {
			return nil, err
		}
		c.Files = append(c.Files, ref)
	}
	byAccount, harvest := map[string]*AccountMatches{}, map[string]*AccountMatches{}
	_, err := monitor.Read(ctx, paths, monitor.DefaultLayout(), func(r monitor.Record) error {
		c.Records++
		ts := r.TS.UTC()
		if c.First.IsZero() || ts.Before(c.First) {
			c.First = ts
		}
		if ts.After(c.Last) {
			c.Last = ts
		}
		if r.Account == c.ExcludedAccount && c.ExcludedAccount != "" {
			return nil
		}
		hit, kind := "", ""
		for _, part := range append([]string{r.Prompt}, r.Context...) {
			t := strings.TrimSpace(part)
			if k, ok := prompts[t]; ok {
				hit, kind = t, k
				break
			}
		}
		if hit == "" {
			return nil
		}
		into := byAccount
		if kind == "trigger" && ts.Before(c.ProbeStart) {
			into = harvest
		} else {
			c.Matches++
		}
		a := into[r.Account]
		if a == nil {
			a = &AccountMatches{Account: r.Account, First: ts, Example: hit}
			into[r.Account] = a
		}
		a.Requests++
		if ts.Before(a.First) {
			a.First = ts
		}
		if ts.After(a.Last) {
			a.Last = ts
		}
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("request log: %w", err)
	}
	c.Accounts, c.TriggerHarvest = ranked(byAccount), ranked(harvest)
	return c, nil
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

func hashLogFile(path string) (LogFileRef, error) {
	f, err := os.Open(path)
	if err != nil {
		return LogFileRef{}, fmt.Errorf("request log: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return LogFileRef{}, fmt.Errorf("request log %s: %w", path, err)
	}
	return LogFileRef{Name: filepath.Base(path), SHA256: hex.EncodeToString(h.Sum(nil)), Bytes: n}, nil
}

// writeRelayLog stores the check in the bundle.
func writeRelayLog(dir string, c *RelayLogCheck) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileSync(filepath.Join(dir, FileRelayLog), append(b, '\n'))
}

// readRelayLog reads the stored check (nil when the probe planned none or
// it has not run).
func readRelayLog(dir string, m *Manifest) (*RelayLogCheck, error) {
	if m.RelayLog == nil {
		return nil, nil
	}
	data, err := ReadBundleFile(dir, FileRelayLog)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c RelayLogCheck
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", FileRelayLog, err)
	}
	bad := func(a AccountMatches) bool { return a.Requests <= 0 }
	if len(c.Accounts) > 100 || len(c.TriggerHarvest) > 100 || slices.ContainsFunc(c.Accounts, bad) || slices.ContainsFunc(c.TriggerHarvest, bad) {
		return nil, fmt.Errorf("%s: malformed account list", FileRelayLog)
	}
	return &c, nil
}

// Summary says what the check showed, in one sentence (nil: not run).
func (c *RelayLogCheck) Summary() string { return relayLogText(c) }

// relayLogText says what the check showed, for a verdict.
func relayLogText(c *RelayLogCheck) string {
	switch {
	case c == nil:
		return "our request log was not searched for the probe's prompts (probe with --request-log, the logs of every gateway that serves our key)"
	case !c.Covers():
		return fmt.Sprintf("our request log (%d records, from %s) does not begin before the probe (%s), so a relay during the probe could be missing from it",
			c.Records, c.First.Format(time.RFC3339), c.ProbeStart.Format(time.RFC3339))
	case c.Matches > 0:
		var names []string
		for _, a := range c.Accounts[:min(5, len(c.Accounts))] {
			names = append(names, fmt.Sprintf("%s (%d, %s to %s)", a.Account, a.Requests, a.First.Format(time.RFC3339), a.Last.Format(time.RFC3339)))
		}
		return fmt.Sprintf("%d requests to our service carried prompts the suspect was asked, from %d accounts other than the probe's: %s; a relay of our service (or a harvest of these prompts) explains the evidence",
			c.Matches, len(c.Accounts), strings.Join(names, "; "))
	}
	s := fmt.Sprintf("no account other than the probe's sent our service any of the %d prompts the suspect was asked (request log of %d records from %s to %s, begun before the probe; trigger questions counted from the probe's start), so the suspect did not get its answers from our service",
		c.Prompts, c.Records, c.First.Format(time.RFC3339), c.Last.Format(time.RFC3339))
	if len(c.TriggerHarvest) > 0 {
		var names []string
		for _, a := range c.TriggerHarvest[:min(5, len(c.TriggerHarvest))] {
			names = append(names, fmt.Sprintf("%s (%d)", a.Account, a.Requests))
		}
		s += fmt.Sprintf("; before the probe, the trigger questions were asked by %d accounts: %s (the harvest through which planted answers reach a model)", len(c.TriggerHarvest), strings.Join(names, ", "))
	}
	return s
}
