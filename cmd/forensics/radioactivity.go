package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/text/unicode/norm"

	"forensics/internal/jsonl"
	"forensics/internal/termsafe"
	"forensics/stats"
	"forensics/watermark"
	"forensics/watermark/engine"
)

type radioactivityOptions struct {
	io        *ioStreams
	KeyPath   string
	Tokenizer string
	IDs       bool
	Suspect   string
	Controls  []string
	Alpha     float64
	NullKeys  int
	NullSeed  string
	MaxBytes  int64
	JSON      bool
}

const radioactivityLong = `Test whether a suspect model's answers carry an engine watermark (a
vllm-red-green or vllm-gumbel key): the probe's radioactivity test for
the engine schemes, on answers already collected.

--suspect is a JSONL file, one answer a line: {"prompt": …, "text": …}
(with --ids, {"prompt_ids": […], "ids": […]}); every answer needs its
prompt, and each prompt is answered once. The answers are scored as
one body of evidence: tokens are selected as vLLM's detector selects them
within each answer, each context counts once across all answers, and
(context, token) tuples that occur in any prompt are left out, so a model
that repeats our prompts proves nothing. The p-value is exact.

The verdict is stated only when it is calibrated on these very answers:
the same scoring under --null-keys keys nobody watermarked with (derived
from --null-seed, so anyone can re-derive them) must give p-values that
look uniform (Kolmogorov–Smirnov at 0.01), and every --control model's
answers (another provider's model asked the same prompts) must not score
as watermarked (at 1e-3). Otherwise the verdict is "withheld". A
non-rejection says the answers show no significant dependence on the
key; it never says the suspect is independent of it.

What no number here can check, and the output states: the p-value holds
only if the answers were not chosen by their score under our key (every
answer to prompts fixed before asking; answers kept because they scored
well make any model look watermarked), and a rejection shows dependence
on our watermarked text, not how: a relay of our service, copying and
training all explain it. forensics probe plans the prompts before the
first query and runs the relay check; this command cannot.

This project's own keys (kgw-siphash24-v1) are tested by "forensics
probe", which also asks the questions and seals the evidence.`

func newCmdRadioactivity(io *ioStreams, runF func(context.Context, *radioactivityOptions) error) *cobra.Command {
	opts := &radioactivityOptions{io: io}
	cmd := &cobra.Command{
		Use:   "radioactivity --key ENGINE-KEY.yaml --suspect ANSWERS.jsonl",
		Short: "Test a suspect's answers for an engine watermark, with a key-swap null",
		Long:  radioactivityLong,
		Example: `  forensics radioactivity --key vllm.yaml --tokenizer qwen3.json --suspect suspect.jsonl --control other.jsonl
  forensics radioactivity --key vllm.yaml --ids --suspect suspect-ids.jsonl --json`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.KeyPath == "" || opts.Suspect == "" {
				return usagef("--key and --suspect are required")
			}
			if !(opts.Alpha > 0 && opts.Alpha < 1) {
				return usagef("--alpha %v is outside (0,1)", opts.Alpha)
			}
			if opts.NullKeys < 10 || opts.NullKeys > 10000 {
				return usagef("--null-keys %d is outside 10..10000", opts.NullKeys)
			}
			if opts.MaxBytes < 1 {
				return usagef("--max-bytes must be positive")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return radioactivityRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.KeyPath, "key", "k", "", "the engine watermark's key file `KEY.yaml` (required)")
	f.StringVar(&opts.Tokenizer, "tokenizer", "embedded", "the served model's tokenizer: a tokenizer file (or embedded)")
	f.BoolVar(&opts.IDs, "ids", false, "the answers are token ids ({\"prompt_ids\": [...], \"ids\": [...]})")
	f.StringVar(&opts.Suspect, "suspect", "", "the suspect's answers, JSONL `FILE` (required)")
	f.StringArrayVar(&opts.Controls, "control", nil, "a control model's answers to the same prompts, JSONL `FILE` (repeatable)")
	f.Float64Var(&opts.Alpha, "alpha", 1e-6, "level at which the test rejects independence")
	f.IntVar(&opts.NullKeys, "null-keys", 100, "keys in the key-swap null")
	f.StringVar(&opts.NullSeed, "null-seed", "", "seed of the null keys (default: derived from the suspect file's SHA-256)")
	f.Int64Var(&opts.MaxBytes, "max-bytes", defaultMaxBytes, "largest JSONL line accepted, in bytes")
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func radioactivityRun(ctx context.Context, opts *radioactivityOptions) error {
	k, err := engine.LoadKey(opts.KeyPath)
	if err != nil {
		return fmt.Errorf("%w (radioactivity takes an engine scheme's key; this project's keys are tested by forensics probe)", err)
	}
	d, err := engine.NewDetector(k)
	if err != nil {
		return err
	}
	run := &engineRun{opts: &detectOptions{io: opts.io, IDs: opts.IDs, MaxBytes: opts.MaxBytes, Tokenizer: opts.Tokenizer}, dets: []*engine.Detector{d}}
	if err := run.openEncoder(); err != nil {
		return err
	}
	prompts, suspect, sum, err := run.readAnswers(opts.Suspect)
	if err != nil {
		return err
	}
	var controls []engine.Answers
	for i, path := range opts.Controls {
		p, docs, _, err := run.readAnswers(path)
		if err != nil {
			return err
		}
		prompts = append(prompts, p...)
		controls = append(controls, engine.Answers{Name: fmt.Sprintf("control-%d (%s)", i, termsafe.Line(filepath.Base(path))), Docs: docs})
	}
	plan := engine.DefaultRadioPlan(opts.NullSeed)
	if plan.NullSeed == "" {
		plan.NullSeed = "sha256:" + sum
	}
	plan.Alpha, plan.NullKeys = opts.Alpha, opts.NullKeys
	res, err := d.Radioactivity(ctx, plan, prompts, engine.Answers{Name: "suspect", Docs: suspect}, controls)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.io.Out, res)
	}
	printRadioactivity(opts.io.Out, res)
	return nil
}

// maxAnswersBytes bounds one answers file: the selection keeps a few
// words a token, so memory stays within a few GiB.
const maxAnswersBytes = 1 << 30

// readAnswers reads one model's answers: their prompts and answers as
// ids, and the file's SHA-256. Any bad line is an error: a test over a
// silently shortened set of answers would not be the test planned. Every
// answer needs its prompt (a suspect's echo of it must be left out), and
// each prompt is answered once: several answers to one prompt leave room
// to keep the best.
func (r *engineRun) readAnswers(path string) (prompts, docs [][]int64, sum string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, "", fmt.Errorf("answers: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	lim := &io.LimitedReader{R: f, N: maxAnswersBytes + 1}
	rd := jsonl.NewReader(io.TeeReader(lim, h), int(min(r.opts.MaxBytes, math.MaxInt32)))
	asked := map[string]int{}
	for {
		if lim.N <= 0 {
			return nil, nil, "", fmt.Errorf("%s is larger than %d bytes", path, maxAnswersBytes)
		}
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, "", fmt.Errorf("%s line %d: %w", path, rd.Line(), err)
		}
		p, ids, err := r.record(line, &engineLine{})
		if err != nil {
			return nil, nil, "", fmt.Errorf("%s line %d: %w", path, rd.Line(), err)
		}
		if len(p) == 0 || len(p[0]) == 0 {
			return nil, nil, "", fmt.Errorf("%s line %d: no prompt: every answer needs the prompt it answers (\"prompt\", or with --ids \"prompt_ids\"), so that the suspect's echo of it is left out", path, rd.Line())
		}
		pk := fmt.Sprint(p[0])
		if r.opts.IDs {
			pk = "ids:" + pk
		} else if text, ok := promptText(line); ok {
			// Two prompts that differ in case, spacing or Unicode form
			// are one prompt asked twice.
			pk = "text:" + strings.ToLower(strings.Join(strings.Fields(watermark.Normalize(norm.NFKC.String(text))), " "))
		}
		if prev, ok := asked[pk]; ok {
			return nil, nil, "", fmt.Errorf("%s lines %d and %d answer the same prompt: give each prompt's one answer (several answers to a prompt leave room to keep the best)", path, prev, rd.Line())
		}
		asked[pk] = rd.Line()
		prompts, docs = append(prompts, p...), append(docs, ids)
	}
	if len(docs) == 0 {
		return nil, nil, "", fmt.Errorf("%s holds no answers", path)
	}
	return prompts, docs, hex.EncodeToString(h.Sum(nil)), nil
}

// promptText is a text record's prompt.
func promptText(line []byte) (string, bool) {
	var rec struct {
		Prompt *string `json:"prompt"`
	}
	if json.Unmarshal(line, &rec) != nil || rec.Prompt == nil {
		return "", false
	}
	return *rec.Prompt, true
}

func printRadioactivity(w io.Writer, r engine.Radioactivity) {
	fmt.Fprintf(w, "proposition  %s\n", r.Proposition)
	fmt.Fprintf(w, "null         %s\n", r.Null)
	fmt.Fprintf(w, "answers      %d: %d tokens, %d scored (%d left out as in a prompt, %d repeated)\n", r.Answers, r.Tokens, r.Scored, r.SkippedPrompt, r.SkippedRepeat)
	fmt.Fprintf(w, "statistic    %s = %.4g; null %s\n", r.StatisticName, r.Statistic, r.Detection.Null)
	fmt.Fprintf(w, "log10 p      %.2f (p = %s)\n", r.Log10P, stats.FormatP(r.Log10P))
	if ks := r.KeySwap; ks.Keys > 0 {
		fmt.Fprintf(w, "key swap     %d null keys (seed %s): KS p %.3g (uniform: %t); %d of them at least as extreme as ours (empirical p %.3g)\n",
			ks.Keys, ks.Seed, ks.KSP, ks.Uniform, int(math.Round(ks.EmpiricalP*float64(ks.Keys+1)))-1, ks.EmpiricalP)
	}
	for _, c := range r.Controls {
		fmt.Fprintf(w, "control      %s: %d scored, log10 p %.2f\n", c.Name, c.Scored, c.Log10P)
	}
	fmt.Fprintf(w, "verdict      %s: %s\n", r.Status, r.Reason)
	for _, a := range r.Assumptions {
		fmt.Fprintf(w, "assumes      %s\n", a)
	}
}
