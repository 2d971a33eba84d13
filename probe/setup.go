package probe

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"forensics/canary"
	"forensics/internal/buildinfo"
	"forensics/llm/tokenizer"
	"forensics/watermark"
)

// Setup is everything one probe needs: Collect runs the queries, and
// evidence.Probe runs them and seals the bundle.
type Setup struct {
	Dir       string
	Key       *watermark.Key
	Tokenizer tokenizer.Tokenizer
	Canaries  *canary.Set
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
	// Tool, Build and Command go into the manifest (chain of custody).
	// Build nil is the running build (buildinfo.Current), which is the
	// one that makes the evidence; Tool then defaults to its String. The
	// manifest records Command with its paths reduced to base names and
	// its target specs replaced by their public names (publicCommand).
	Tool    string
	Build   *buildinfo.Info
	Command []string
	// Created is the manifest's time (default now).
	Created       time.Time
	TargetOptions TargetOptions
	Run           RunOptions
	// Sign signs the bundle when evidence.Probe seals it after Collect
	// (nil: unsigned); the probe itself signs nothing.
	Sign ed25519.PrivateKey
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

	// Cases, if set, is the case ledger whose case keys the attribution
	// test searches (evidence.LoadCases reads and checks it).
	Cases *CaseSetup

	sources map[string][]byte // file targets' contents by role, read once
}

// publicTargets names the targets as the manifest records them
// (PublicName; file targets by the copy read), and maps each spec to its
// name for publicCommand.
func (s *Setup) publicTargets(src map[string][]byte) (Targets, map[string]string, error) {
	names := map[string]string{}
	name := func(role, spec string) (string, error) {
		n, err := publicName(spec, src[role])
		names[spec] = n
		return n, err
	}
	var t Targets
	var err error
	if t.Suspect, err = name("suspect", s.Targets.Suspect); err != nil {
		return Targets{}, nil, err
	}
	if s.Targets.Reference != "" {
		if t.Reference, err = name("reference", s.Targets.Reference); err != nil {
			return Targets{}, nil, err
		}
	}
	for i, c := range s.Targets.Controls {
		n, err := name(ControlRole(i), c)
		if err != nil {
			return Targets{}, nil, err
		}
		t.Controls = append(t.Controls, n)
	}
	return t, names, nil
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
	var cases *CasePlan
	if s.Cases != nil {
		c := s.Cases.Plan
		c.File, c.Correction = FileLedger, CaseCorrection
		cases = &c
	}
	tests := PlanTests(s.Targets, s.Plan, s.Canaries.Secret, len(cases.ids()))
	cs := s.Canaries
	src, err := s.readSources()
	if err != nil {
		return nil, nil, err
	}
	var refs []SourceRef
	for _, role := range s.Targets.Roles() {
		if data, ok := src[role]; ok {
			refs = append(refs, NewSourceRef(role, data))
		}
	}
	targets, names, err := s.publicTargets(src)
	if err != nil {
		return nil, nil, err
	}
	var relayPlan *RelayLogPlan
	if len(s.RequestLogs) > 0 {
		relayPlan = &RelayLogPlan{ExcludedAccount: s.ProbeAccount}
	}
	build, tool := s.Build, s.Tool
	if build == nil {
		build = buildinfo.Current()
	}
	if tool == "" {
		tool = build.String()
	}
	return &Manifest{
		Format: ManifestFormat, Tool: tool, Build: build, Created: created.UTC().Format(time.RFC3339), Command: publicCommand(s.Command, names),
		Propositions: PropositionsFor(tests), Alpha: s.Alpha, Tests: tests, Targets: targets,
		Canaries:  CanaryRef{Name: cs.Name, Version: cs.Version, SHA256: cs.SHA256, File: FileCanaries, Prompts: len(cs.Prompts), Triggers: len(cs.Triggers), Secret: cs.Secret},
		Key:       KeyRef{ID: s.Key.ID, Scheme: watermark.SchemeName, Commitment: s.Key.Commitment(), Params: s.Key.Params},
		Tokenizer: TokenizerRef{ID: s.Tokenizer.ID(), File: tf},
		Sampling:  s.Sampling, Plan: s.Plan, Budget: s.Budget,
		Null:   NullPlan{Keys: s.NullKeys, KSAlpha: 0.01, ControlAlpha: 0.001, RelayAlpha: 0.001, Seed: s.NullSeed},
		Rounds: s.Rounds, Sources: refs, RelayLog: relayPlan, Cases: cases,
	}, tokFile, nil
}

// CaseSetup is the case ledger a probe tests: its bytes, copied into the
// bundle, and the plan (its hash, head, the key its signatures were
// checked with, and the ids of the cases to test).
type CaseSetup struct {
	Ledger []byte
	Plan   CasePlan
}

func (c *CasePlan) ids() []string {
	if c == nil {
		return nil
	}
	return c.Cases
}

// Planned is the case plan of a setup, nil for none.
func (c *CaseSetup) Planned() *CasePlan {
	if c == nil {
		return nil
	}
	return &c.Plan
}
