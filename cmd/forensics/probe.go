package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"forensics/canary"
	"forensics/evidence"
	"forensics/internal/termsafe"
	"forensics/probe"
	"forensics/stats"
	"forensics/watermark"
)

type probeOptions struct {
	io           *ioStreams
	Target       string
	Reference    string
	Controls     []string
	Key          string
	Tokenizer    string
	Canaries     string
	RequestLogs  []string
	ProbeAccount string
	Ledger       string
	LedgerPub    string
	Cases        []string
	Alpha        float64
	Budget       string
	Concurrency  int
	Prompts      int
	Equality     int
	Triggers     int
	Temperature  float64
	MaxTokens    int
	Seed         uint64
	NullKeys     int
	Rounds       int
	HammingLen   int
	APIKeyEnv    string
	Sign         string
	Timeout      time.Duration
	Out          string
	JSON         bool
	// Command is the command line, for the manifest's chain of custody.
	Command []string
}

// probeLong is probe's --help text.
const probeLong = `Send the canary prompts to a suspect model (and to a reference and control
models), keep every raw exchange, and test three propositions, each with its
own tests, at a family-wise false-positive rate ≤ --alpha:

  depends-on-our-outputs   radioactivity: our watermark in the suspect's
                           answers (exact binomial tail over distinct tuples,
                           calibrated by a key-swap null and the controls);
                           canary: the planted answers of the key's secret
                           canary set, suspect vs controls (Fisher)
  trained-on-our-outputs   the same evidence, and a relay of our service
                           ruled out: no other account sent our service the
                           suspect's prompts (--request-log, searched after
                           the queries), and the suspect answers differently
                           from the reference (equality) or carries our
                           watermark more weakly (relay check); needs
                           --reference, our service probed the same way
  serves-our-model         MMD test, suspect vs reference, two answers a
                           prompt; "consistent" states the test's power
  depends-on-a-case        with --ledger: the same answers scored under the
                           key of every case of the gateway's case ledger
                           (or those --cases names), one hypothesis per case
                           in the same family-wise correction; a case key
                           ties the suspect to text served to that case's
                           accounts after the case opened

A non-rejection is never "clean"; answers collected elsewhere (file:) count
only if they answer exactly the planned queries, each once.

Targets:
  ollama://HOST:PORT/MODEL        an Ollama server
  openai://HOST:PORT/v1/MODEL     an OpenAI-compatible server (openais:// for
                                  https; key from --api-key-env)
  embedded:reference              the embedded model (?key=K.yaml watermarks
                                  it, ?plant=1 serves planted trigger answers)
  embedded:FILE.model             an n-gram model file
  file:TRANSCRIPTS.jsonl          answers collected elsewhere, re-scored

Before the first query DIR/manifest.json fixes the plan (tests, α split,
sample sizes, targets, canary-set and tokenizer hashes, key commitment,
seeds). The bundle names no path of this machine: a model file by base name
and SHA-256, a key by id and commitment, and the recorded command line
keeps base names only. Every exchange is appended to DIR/transcripts.jsonl as it arrives;
after Ctrl-C or a crash, the same command resumes where it stopped. At the
end DIR gets results.json, MERKLE_ROOT and SHA256SUMS, which lists every
file of the bundle with its SHA-256 and is signed with --sign
(SHA256SUMS.sig); 'forensics verify DIR' re-derives all of it. Without
--sign the bundle is UNSIGNED; 'forensics report --sign' can sign it later.`

func newCmdProbe(io *ioStreams, runF func(context.Context, *probeOptions) error) *cobra.Command {
	opts := &probeOptions{io: io}
	cmd := &cobra.Command{
		Use:   "probe --target TARGET --key KEY.yaml --out DIR",
		Short: "Question a suspect model and test whether it derives from ours",
		Long:  probeLong,
		Example: `  forensics probe --target ollama://127.0.0.1:11434/suspect:7b --key key.yaml \
      --tokenizer teacher.tok.json --reference ollama://127.0.0.1:11434/ours:7b \
      --control ollama://127.0.0.1:11434/llama3.2:3b --out case-17/
  forensics probe --target embedded:student.model --key key.yaml \
      --reference 'embedded:reference?key=key.yaml' --control embedded:other.model --out probe/
  forensics probe --target file:collected.jsonl --key key.yaml --out rescore/`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			opts.Command = commandLine(cmd)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return probeRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Target, "target", "t", "", "the suspect model (required)")
	f.StringVar(&opts.Reference, "reference", "", "our model, as served (for the style and equality tests)")
	f.StringArrayVar(&opts.Controls, "control", nil, "an independent model (repeatable; for the canary and style tests)")
	f.StringVarP(&opts.Key, "key", "k", "", "our watermark key (required)")
	f.StringVar(&opts.Tokenizer, "tokenizer", "embedded", "our model's tokenizer: embedded, words-v1 or a file from 'tokenizer export'")
	f.StringVar(&opts.Canaries, "canaries", canary.Secret, "canary set: secret (derived from --key, as the gateway's canaries: secret plants it), default (the public demo set: prompts only, no canary test) or a YAML file (prompts only)")
	f.Float64Var(&opts.Alpha, "alpha", 0.01, "family-wise false-positive rate over all tests")
	f.StringVar(&opts.Budget, "budget", "", `spending cap: "N" requests or "N tokens" (default: none)`)
	f.IntVar(&opts.Concurrency, "concurrency", 4, "queries in flight at once")
	f.IntVar(&opts.Prompts, "prompts", 0, "how many of the set's prompts to ask (default: all)")
	f.IntVar(&opts.Equality, "equality-prompts", 100, "prompts asked twice of suspect and reference for the equality test")
	f.IntVar(&opts.Triggers, "triggers", -1, "how many trigger prompts to ask (default: all)")
	f.Float64Var(&opts.Temperature, "temperature", 0.8, "sampling temperature (above 0: greedy answers carry no watermark)")
	f.IntVar(&opts.MaxTokens, "max-tokens", 200, "answer length cap, in tokens")
	f.Uint64Var(&opts.Seed, "seed", 0, "sampling seed (default: random, recorded in the manifest)")
	f.IntVar(&opts.NullKeys, "null-keys", 100, "unused keys in the key-swap null (0 = none)")
	f.IntVar(&opts.Rounds, "rounds", 9999, "random re-assignments in the permutation tests")
	f.IntVar(&opts.HammingLen, "hamming-length", 32, "leading pieces the equality kernel compares")
	f.StringVar(&opts.APIKeyEnv, "api-key-env", "", "environment variable with the API key of openai:// targets")
	f.StringArrayVar(&opts.RequestLogs, "request-log", nil, "our gateways' request log (repeatable; plain or gzip; every gateway that serves the key): searched after the queries for the prompts the suspect was asked, which a relay of our service must send us; without it \"trained on our outputs\" is withheld")
	f.StringVar(&opts.Ledger, "ledger", "", "the gateway's case ledger (cases.ledger): test the suspect under every case's key (--key must be the master key the cases derive from)")
	f.StringVar(&opts.LedgerPub, "ledger-pub", "", "the public key the ledger is signed with (the gateway's log signing key; keygen --signing wrote it): without it only the hash chain is checked, and the manifest says so")
	f.StringSliceVar(&opts.Cases, "cases", nil, "test only these case ids of the ledger (comma-separated; default: every case)")
	f.StringVar(&opts.ProbeAccount, "probe-account", "", "the account the reference's queries went through, if --reference is our gateway (its requests are the probe's own)")
	f.StringVar(&opts.Sign, "sign", "", "ed25519 private key to sign the bundle's SHA256SUMS with (keygen --signing)")
	f.DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "time limit per request")
	f.StringVarP(&opts.Out, "out", "o", "", "the evidence folder (required; created, or resumed)")
	f.BoolVar(&opts.JSON, "json", false, "print results.json and run statistics as JSON")
	return cmd
}

// validate checks the flags that are required or bounded.
func (opts *probeOptions) validate() error {
	switch {
	case opts.Target == "":
		return usagef("--target is required")
	case opts.Key == "":
		return usagef("--key is required")
	case opts.Out == "":
		return usagef("--out is required")
	case !(opts.Alpha > 0 && opts.Alpha < 1):
		return usagef("--alpha must be in (0,1)")
	case opts.Concurrency < 1:
		return usagef("--concurrency must be at least 1")
	case opts.NullKeys != 0 && (opts.NullKeys < 20 || opts.NullKeys > 1000):
		return usagef("--null-keys must be 0 or 20..1000 (a uniformity test needs a sample)")
	case opts.Rounds < 99:
		return usagef("--rounds must be at least 99")
	}
	return nil
}

// commandLine is the invocation for the manifest's chain of custody: a
// repeated flag once for each value, as it was given (probe.Setup then
// reduces the values' paths to base names and targets to public names).
func commandLine(cmd *cobra.Command) []string {
	line := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		values := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			values = sv.GetSlice()
		}
		for _, v := range values {
			line = append(line, "--"+f.Name+"="+v)
		}
	})
	return line
}

func probeRun(ctx context.Context, opts *probeOptions) error {
	key, err := watermark.LoadKey(opts.Key)
	if err != nil {
		return err
	}
	tk, err := openTokenizer(opts.Tokenizer)
	if err != nil {
		return err
	}
	cs, err := probe.LoadCanaries(opts.Canaries, key)
	if err != nil {
		return err
	}
	if !cs.Secret {
		fmt.Fprintln(opts.io.ErrOut, termsafe.Line(fmt.Sprintf("note: canary set %q is not the key's secret set, so the canary test is not planned: its planted answers may be known to others (the default set is a public demo set every copy of forensics ships). Use --canaries secret with the key your gateway plants.", opts.Canaries)))
	}
	budget, err := probe.ParseBudget(opts.Budget)
	if err != nil {
		return &usageError{err}
	}
	var sign ed25519.PrivateKey
	if opts.Sign != "" {
		if sign, err = evidence.LoadSigningKey(opts.Sign); err != nil {
			return err
		}
	}
	cases, err := loadProbeCases(opts)
	if err != nil {
		return err
	}
	plan := probePlan(opts, cs)
	setup := probe.Setup{
		Dir: opts.Out, Key: key, Tokenizer: tk, Canaries: cs,
		Targets: probe.Targets{Suspect: opts.Target, Reference: opts.Reference, Controls: opts.Controls},
		Plan:    plan, Alpha: opts.Alpha, Budget: budget, NullKeys: opts.NullKeys, Rounds: opts.Rounds,
		Sampling: probe.Sampling{Temperature: opts.Temperature, MaxTokens: opts.MaxTokens, Seed: opts.Seed},
		Tool:     toolName(), Command: opts.Command,
		TargetOptions: probe.TargetOptions{APIKeyEnv: opts.APIKeyEnv, Timeout: opts.Timeout},
		Run:           probe.RunOptions{Concurrency: opts.Concurrency},
		Sign:          sign,
		RequestLogs:   opts.RequestLogs, ProbeAccount: opts.ProbeAccount, Cases: cases,
		Notice: func(msg string) { fmt.Fprintln(opts.io.ErrOut, termsafe.Line(msg)) },
	}
	bar := progressBar(opts.io, "probe", barCount, func() int64 {
		m, _, err := setup.Manifest()
		if err != nil {
			return -1 // a spinner; probe.Probe reports the error
		}
		return int64(len(m.Queries(cs)))
	})
	if bar != nil {
		setup.Run.Progress = func(done, _ int) { bar.Set(done) }
	}
	res, run, err := evidence.Probe(ctx, setup)
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		switch {
		case errors.Is(err, context.Canceled):
			return fmt.Errorf("interrupted: %d answers are saved in %s; run the same command again to resume", run.Answered+run.AlreadyAnswered, filepath.Join(opts.Out, probe.FileTranscripts))
		case run.Planned > 0:
			return fmt.Errorf("probe stopped (%d answers saved; the same command resumes): %w", run.Answered+run.AlreadyAnswered, err)
		}
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{"run": run, "results": res, "bundle": opts.Out})
	}
	printProbe(opts.io, opts.Out, run, res)
	return nil
}

// probePlan is the plan the options and the canary set give.
func probePlan(opts *probeOptions, cs *canary.Set) probe.Plan {
	plan := probe.Plan{Prompts: len(cs.Prompts), EqualityPrompts: opts.Equality, Triggers: len(cs.Triggers), HammingLength: opts.HammingLen}
	if opts.Prompts > 0 {
		plan.Prompts = min(opts.Prompts, len(cs.Prompts))
	}
	plan.EqualityPrompts = min(plan.EqualityPrompts, plan.Prompts)
	if opts.Reference == "" {
		plan.EqualityPrompts = 0
	}
	if opts.Triggers >= 0 {
		plan.Triggers = min(opts.Triggers, len(cs.Triggers))
	}
	return plan
}

// loadProbeCases reads --ledger (nil without it).
func loadProbeCases(opts *probeOptions) (*probe.CaseSetup, error) {
	if opts.Ledger == "" {
		if opts.LedgerPub != "" || len(opts.Cases) > 0 {
			return nil, usagef("--ledger-pub and --cases need --ledger")
		}
		return nil, nil
	}
	var pub ed25519.PublicKey
	if opts.LedgerPub != "" {
		var err error
		if pub, err = evidence.LoadPublicKey(opts.LedgerPub); err != nil {
			return nil, err
		}
	} else {
		fmt.Fprintln(opts.io.ErrOut, "note: no --ledger-pub: only the ledger's hash chain is checked, not who wrote it; the manifest and report say so")
	}
	return evidence.LoadCases(opts.Ledger, pub, opts.Cases)
}

func printProbe(io *ioStreams, dir string, run probe.RunStats, res *probe.Results) {
	fmt.Fprintf(io.Out, "%d queries planned, %d answered earlier, %d now, %d failed; %d completion tokens", run.Planned, run.AlreadyAnswered, run.Answered, run.Failed, run.Tokens)
	if run.BudgetExhausted {
		fmt.Fprint(io.Out, " (budget reached)")
	}
	fmt.Fprintln(io.Out)
	tw := tabwriter.NewWriter(io.Out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TEST\tSTATUS\tN\tp\tEFFECT (95% CI)\tα SHARE")
	for _, t := range res.Tests {
		p := "-"
		if t.Status != probe.StatusNotRun {
			p = stats.FormatP(t.Log10P)
		}
		eff := "-"
		if t.Effect.Name != "" {
			eff = fmt.Sprintf("%.4f [%.4f, %.4f] %s", t.Effect.Value, t.Effect.Lo, t.Effect.Hi, t.Effect.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%.4g\n", termsafe.Line(t.Name), termsafe.Line(t.Status), t.N, p, termsafe.Line(eff), t.AlphaShare)
	}
	tw.Flush()
	fmt.Fprintln(io.Out)
	for _, p := range res.Propositions {
		fmt.Fprintf(io.Out, "%s — %s\n  %s\n", termsafe.Line(p.Statement), strings.ToUpper(p.Verdict), termsafe.Line(p.Text))
	}
	fmt.Fprintf(io.Out, "\nevidence bundle: %s (merkle root %s); check it with: forensics verify %s\n", dir, res.Transcripts.MerkleRoot, dir)
}
