package probe

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"forensics/llm/tokenizer"
	"forensics/watermark"
)

// Setup is everything one probe needs; Probe runs it end to end.
type Setup struct {
	Dir       string
	Key       *watermark.Key
	Tokenizer tokenizer.Tokenizer
	Canaries  *CanarySet
	Targets   Targets
	Plan      Plan
	Alpha     float64
	Sampling  Sampling
	Budget    Budget
	NullKeys  int
	// NullSeed fixes the unused keys and randomisation seeds (default: drawn
	// at random by Prepare; tests and demos pass one to be repeatable).
	NullSeed string
	Rounds   int
	// Tool and Command go into the manifest (chain of custody).
	Tool    string
	Command []string
	// Created is the manifest's time (default now).
	Created       time.Time
	TargetOptions TargetOptions
	Run           RunOptions
	Sign          ed25519.PrivateKey
	// Notice receives one-line messages for the operator (resuming, a
	// repaired transcript line, where the manifest went).
	Notice func(string)

	// RequestLogs are our gateways' request logs, searched after the
	// queries for the prompts the suspect was asked (the relay check by
	// request log); ProbeAccount is the account the reference's queries
	// went through, if they went through a gateway.
	RequestLogs  []string
	ProbeAccount string
	// RelayLogWait is how long the relay check waits for the logs to
	// span the probe (a running gateway writes a checkpoint every
	// interval; default 2 minutes, the default interval's double).
	RelayLogWait time.Duration
	// AfterQueries, if set, runs when every query is answered, before the
	// relay check (experiments close their stand-in log there).
	AfterQueries func() error
	// Open, if set, opens the target of a role in place of OpenTarget
	// (experiments that stand in suspects no server serves: an echo bot,
	// a relay). A nil Target from it falls back to OpenTarget.
	Open func(role, spec string) (Target, error)

	sources map[string][]byte // file targets' contents by role, read once
}

// roleSpecs maps each role to its target spec.
func (s *Setup) roleSpecs() map[string]string {
	specs := map[string]string{"suspect": s.Targets.Suspect}
	if s.Targets.Reference != "" {
		specs["reference"] = s.Targets.Reference
	}
	for i, c := range s.Targets.Controls {
		specs[ControlRole(i)] = c
	}
	return specs
}

// readSources reads every file target's file, once: the bundle keeps the
// copy that was read, and the target answers from that same copy.
func (s *Setup) readSources() (map[string][]byte, error) {
	if s.sources != nil {
		return s.sources, nil
	}
	src := map[string][]byte{}
	for role, spec := range s.roleSpecs() {
		if path := fileTargetPath(spec); path != "" {
			data, err := readSource(path)
			if err != nil {
				return nil, fmt.Errorf("target %s: %w", spec, err)
			}
			src[role] = data
		}
	}
	s.sources = src
	return src, nil
}

// pieceCounter counts text's pieces with our tokenizer, for the token
// budget; text it cannot split counts as its words.
func pieceCounter(tk tokenizer.Tokenizer) func(string) int {
	return func(text string) int {
		ps, err := tk.Pieces(text)
		if err != nil {
			return len(strings.Fields(text))
		}
		return len(ps)
	}
}

// TokenizerFile returns the definition a tokenizer was built from, for the
// bundle (nil for the built-in word splitter).
func TokenizerFile(tk tokenizer.Tokenizer) ([]byte, error) {
	v, ok := tk.(*tokenizer.Vocab)
	if !ok {
		return nil, nil
	}
	var b bytes.Buffer
	if err := tokenizer.Encode(&b, v.File()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Manifest builds the plan a setup describes (seeds left to Prepare).
func (s *Setup) Manifest() (*Manifest, []byte, error) {
	tokFile, err := TokenizerFile(s.Tokenizer)
	if err != nil {
		return nil, nil, err
	}
	tf := ""
	if tokFile != nil {
		tf = FileTokenizer
	}
	created := s.Created
	if created.IsZero() {
		created = time.Now()
	}
	tests := PlanTests(s.Targets, s.Plan, s.Canaries.Secret)
	cs := s.Canaries
	src, err := s.readSources()
	if err != nil {
		return nil, nil, err
	}
	var refs []SourceRef
	for _, role := range s.Targets.Roles() {
		if data, ok := src[role]; ok {
			refs = append(refs, newSourceRef(role, data))
		}
	}
	var relayPlan *RelayLogPlan
	if len(s.RequestLogs) > 0 {
		relayPlan = &RelayLogPlan{ExcludedAccount: s.ProbeAccount}
	}
	return &Manifest{
		Format: ManifestFormat, Tool: s.Tool, Created: created.UTC().Format(time.RFC3339), Command: s.Command,
		Propositions: PropositionsFor(tests), Alpha: s.Alpha, Tests: tests, Targets: s.Targets,
		Canaries:  CanaryRef{Name: cs.Name, Version: cs.Version, SHA256: cs.SHA256, File: FileCanaries, Prompts: len(cs.Prompts), Triggers: len(cs.Triggers), Secret: cs.Secret},
		Key:       KeyRef{ID: s.Key.ID, Scheme: watermark.SchemeName, Commitment: s.Key.Commitment(), Params: s.Key.Params},
		Tokenizer: TokenizerRef{ID: s.Tokenizer.ID(), File: tf},
		Sampling:  s.Sampling, Plan: s.Plan, Budget: s.Budget,
		Null:   NullPlan{Keys: s.NullKeys, KSAlpha: 0.01, ControlAlpha: 0.001, RelayAlpha: 0.001, Seed: s.NullSeed},
		Rounds: s.Rounds, Sources: refs, RelayLog: relayPlan,
	}, tokFile, nil
}

// Probe opens and checks the targets, prepares (or resumes) the folder,
// asks every query and seals the bundle. On cancellation it returns the
// context's error with everything received so far saved.
func Probe(ctx context.Context, s Setup) (*Results, RunStats, error) {
	notice := s.Notice
	if notice == nil {
		notice = func(string) {}
	}
	if err := s.Key.CheckTokenizer(s.Tokenizer.ID()); err != nil {
		return nil, RunStats{}, err
	}
	m, tokFile, err := s.Manifest()
	if err != nil {
		return nil, RunStats{}, err
	}
	if m.Targets.Reference != "" && 1/float64(m.Rounds+1) > m.Null.RelayAlpha {
		notice(fmt.Sprintf("note: with %d rounds the relay check's smallest p-value is %.2g, above its level %g: it cannot tell a model trained on our outputs from a relay of our service; raise --rounds to at least %.0f",
			m.Rounds, 1/float64(m.Rounds+1), m.Null.RelayAlpha, math.Ceil(1/m.Null.RelayAlpha)-1))
	}
	for _, t := range m.Tests {
		if t.Name == TestEquality && 1/float64(m.Rounds+1) > t.Weight*m.Alpha {
			notice(fmt.Sprintf("note: with %d rounds the %s test's smallest p-value is %.2g, above its share of α (%.2g): it cannot reject; raise --rounds to at least %.0f",
				m.Rounds, t.Name, 1/float64(m.Rounds+1), t.Weight*m.Alpha, math.Ceil(1/(t.Weight*m.Alpha))))
		}
	}
	tgs := map[string]Target{}
	to := s.TargetOptions
	to.Canaries = s.Canaries
	for role, spec := range s.roleSpecs() {
		var t Target
		if s.Open != nil {
			t, err = s.Open(role, spec)
		}
		switch data, ok := s.sources[role]; {
		case err != nil || t != nil:
		case ok:
			t, err = newFileTarget(spec, data)
		default:
			t, err = OpenTarget(spec, to)
		}
		if err != nil {
			return nil, RunStats{}, err
		}
		if err := t.Check(ctx); err != nil {
			return nil, RunStats{}, err
		}
		tgs[role] = t
	}
	files := map[string][]byte{}
	for _, ref := range m.Sources {
		files[ref.File] = s.sources[ref.Role]
	}
	m, resumed, err := prepare(s.Dir, m, s.Canaries, tokFile, files)
	if err != nil {
		return nil, RunStats{}, err
	}
	st, rep, err := OpenStore(filepath.Join(s.Dir, FileTranscripts), m.SHA256())
	if err != nil {
		return nil, RunStats{}, err
	}
	defer st.Close()
	if rep.DroppedLine > 0 {
		notice(fmt.Sprintf("transcripts.jsonl: dropped a cut-off last line (line %d, %d bytes) left by an interrupted run; that query is asked again", rep.DroppedLine, rep.DroppedBytes))
	}
	if resumed {
		notice(fmt.Sprintf("resuming the probe in %s (%d records so far)", s.Dir, len(st.Records())))
	} else {
		notice(fmt.Sprintf("manifest %s written to %s", m.SHA256()[:16], filepath.Join(s.Dir, FileManifest)))
	}
	run := s.Run
	if run.CountTokens == nil {
		run.CountTokens = pieceCounter(s.Tokenizer)
	}
	stats, err := Run(ctx, m, s.Canaries, tgs, st, run)
	if err != nil {
		return nil, stats, err
	}
	if err := st.Close(); err != nil {
		return nil, stats, err
	}
	if s.AfterQueries != nil {
		if err := s.AfterQueries(); err != nil {
			return nil, stats, err
		}
	}
	if m.RelayLog != nil {
		c, err := s.relayCheck(ctx, m, st.Records(), notice)
		if err != nil {
			return nil, stats, err
		}
		if err := writeRelayLog(s.Dir, c); err != nil {
			return nil, stats, err
		}
	}
	res, err := Finish(ctx, s.Dir, s.Key, s.Tokenizer, s.Sign)
	return res, stats, err
}

// relayCheck runs CheckRelayLog after the queries (a relay's forwarded
// requests are logged when they end, before it can answer the probe). If
// only the logs' end is short of the probe's last answer, it waits up to
// RelayLogWait for every live log file to be written after it (the
// gateway's next checkpoint), watching the files' times rather than
// reading them again, and then searches once more.
func (s *Setup) relayCheck(ctx context.Context, m *Manifest, recs []Record, notice func(string)) (*RelayLogCheck, error) {
	c, err := CheckRelayLog(ctx, s.RequestLogs, m, s.Canaries, recs)
	if err != nil || c.Covers() || !c.Chains || c.Records == 0 || c.First.After(c.ProbeStart) {
		return c, err
	}
	wait := s.RelayLogWait
	if wait == 0 {
		wait = 2 * time.Minute
	}
	notice(fmt.Sprintf("waiting up to %s for the request log to pass the probe's end (the gateway's next checkpoint)", wait))
	deadline := time.Now().Add(wait)
	for !writtenAfter(s.RequestLogs, c.ProbeEnd.Add(ClockSkew)) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	return CheckRelayLog(ctx, s.RequestLogs, m, s.Canaries, recs)
}

// writtenAfter reports whether every file was modified after t.
func writtenAfter(paths []string, t time.Time) bool {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil || !st.ModTime().After(t) {
			return false
		}
	}
	return true
}
