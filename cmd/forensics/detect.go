package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"forensics/internal/jsonl"
	"forensics/internal/termsafe"
	"forensics/stats"
	"forensics/watermark"
)

type detectOptions struct {
	io          *ioStreams
	KeyPaths    []string
	Keyring     string
	Tokenizer   string
	Prompt      string
	Alpha       float64
	Windows     bool
	Tokens      bool
	NoNormalize bool
	JSON        bool
	JSONL       bool
	Pooled      bool
	MaxBytes    int64
	IDs         bool // engine schemes: the input is token ids
	// ChatTemplate is a tokenizer_config.json whose chat template renders
	// --jsonl conversations (engine schemes).
	ChatTemplate string
	Input        string // file path, or "-" for standard input
	// schemes are the keys' schemes, in the order given; detectJSONL falls
	// back to its detector's Scheme when there are none.
	schemes []*watermark.Scheme
}

const defaultMaxBytes = 32 << 20

// detectLong is detect's --help text.
const detectLong = `Test a text (a file, or standard input) for the watermark of a key.

The text must be split with the tokenizer of the model that wrote it
(--tokenizer; the embedded model's by default). The text is normalised (NFC, zero-width characters removed, look-alike
letters in mixed-script words folded), split into pieces, and every distinct
(context, piece) tuple is scored once: the first h pieces and repeats are
skipped, and with --prompt so are tuples that occur in the prompt. With S
green tuples of N, the p-value is the exact binomial tail P(Bin(N, γ) ≥ S):
the chance that text written without the key is at least this green. The
text is called watermarked when p ≤ --alpha.

--windows also searches windows of 32..1024 scored tuples for a watermarked
passage inside other text; the best window's p-value is multiplied by the
number of windows tried, and the decision splits alpha between the whole
text and the best window (Bonferroni), so the stated rate still holds.

Several keys (--key repeated, and --keyring DIR for every *.yaml key file
in DIR) are a search, and are corrected for as one: the text is tested
under each key, each key's p-value is adjusted by Holm's step-down over
all the keys tried, and the verdict is taken on the adjusted p-value, so
the chance that any key flags unwatermarked text stays at most --alpha.
Each key's raw and adjusted log10 p are shown. With one key the adjusted
p-value is the raw one.

With --jsonl the input has one JSON object per line, {"text": …} with an
optional "prompt" and "id", and one result is written per line as it is
read; a bad line yields {"line": N, "error": …} and the run goes on (exit
status 1 at the end). Per-document p-values under one key are not
independent (the documents share the key's green lists), so the number of
documents flagged is not evidence of anything: --pooled adds one test over
the distinct tuples of all the documents together. A note saying so goes
to standard error, or with --json into a last {"summary": …} line.

Keys of an engine's watermark (vllm-red-green, vllm-gumbel; see
"forensics schemes" and keygen --scheme) score token ids: the text is
split by --tokenizer (a tokenizer file, e.g. exported from a model's
tokenizer.json) into ids, or --ids gives the ids themselves. The tokens
are selected as vLLM's detector selects them (each context once), the
prompt's (context, token) tuples are left out, and the p-value is exact:
the binomial tail against the exact null green share for red-green, a
valid bound of the discrete null's tail for Gumbel. One run takes keys of
one family: this project's or the engines'. With --chat-template (the
model's tokenizer_config.json) --jsonl records are conversations,
{"messages": [{"role": …, "content": …}, …]}: the template renders them as
the model read them, and only the assistant messages' own text is scored
(each as the engine generated it, its context starting afresh), the
rendered text before each left out as its prompt.`

func newCmdDetect(io *ioStreams, runF func(context.Context, *detectOptions) error) *cobra.Command {
	opts := &detectOptions{io: io}
	cmd := &cobra.Command{
		Use:   "detect (--key KEY.yaml... | --keyring DIR) [FILE|-]",
		Short: "Test text for the watermark of a key, or of several keys",
		Long:  detectLong,
		Example: `  forensics detect --key key.yaml answer.txt
  cat answer.txt | forensics detect --key key.yaml --json
  forensics detect --key key.yaml --prompt "Explain tides." --windows --tokens answer.txt
  forensics detect --key key.yaml --jsonl responses.jsonl > results.jsonl
  forensics detect --keyring keys/ --key old.yaml answer.txt
  forensics detect --key key.yaml --jsonl --pooled --json responses.jsonl > results.jsonl`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(opts.KeyPaths) == 0 && opts.Keyring == "" {
				return usagef("--key or --keyring is required")
			}
			if !(opts.Alpha > 0 && opts.Alpha < 1) {
				return usagef("--alpha %v is outside (0,1)", opts.Alpha)
			}
			if opts.MaxBytes < 1 {
				return usagef("--max-bytes must be positive")
			}
			if opts.JSONL && (opts.Prompt != "" || opts.Tokens) {
				return usagef("--jsonl takes prompts from its records and cannot be combined with --prompt or --tokens")
			}
			if opts.Pooled && !opts.JSONL {
				return usagef("--pooled pools the documents of --jsonl input; a single text is one test already")
			}
			opts.Input = "-"
			if len(args) == 1 {
				opts.Input = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return detectRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&opts.KeyPaths, "key", "k", nil, "watermark key file `KEY.yaml` (repeatable; several keys are corrected for, Holm over keys)")
	f.StringVar(&opts.Keyring, "keyring", "", "a folder `DIR` of key files: every *.yaml in it is tried, after the --key files (Holm over keys)")
	f.StringVar(&opts.Tokenizer, "tokenizer", "embedded", "the served model's tokenizer: embedded, words-v1, or a file from `forensics tokenizer export`")
	f.StringVar(&opts.Prompt, "prompt", "", "the prompt the text answers; its tuples are not scored")
	f.Float64Var(&opts.Alpha, "alpha", 1e-6, "false-positive rate at which text is called watermarked")
	f.BoolVar(&opts.Windows, "windows", false, "also search windows for a watermarked passage (corrected for the search)")
	f.BoolVar(&opts.Tokens, "tokens", false, "show every piece and how it was scored")
	f.BoolVar(&opts.NoNormalize, "no-normalize", false, "score the text as given, without Unicode normalisation")
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.JSONL, "jsonl", false, "read one JSON object per line and write one result per line")
	f.BoolVar(&opts.Pooled, "pooled", false, "with --jsonl, also test all the documents together (their distinct tuples, as one text; memory grows with them)")
	f.Int64Var(&opts.MaxBytes, "max-bytes", defaultMaxBytes, "largest text (or JSONL line) accepted, in bytes")
	f.StringVar(&opts.ChatTemplate, "chat-template", "", "engine schemes, with --jsonl: the model's `tokenizer_config.json`; records are conversations ({\"messages\": [...]}) and only the assistant messages' text is scored, the rendered text before each left out as its prompt")
	f.BoolVar(&opts.IDs, "ids", false, "engine schemes (vllm-*): the input is token ids (a JSON array or integers; with --jsonl, {\"ids\": [...], \"prompt_ids\": [...]}) instead of text")
	return cmd
}

func detectRun(ctx context.Context, opts *detectOptions) error {
	paths, err := detectKeyPaths(opts.KeyPaths, opts.Keyring)
	if err != nil {
		return err
	}
	isEngine, err := detectKeyFamily(paths)
	if err != nil {
		return err
	}
	if isEngine {
		return detectEngineRun(ctx, opts, paths)
	}
	if opts.IDs {
		return usagef("--ids is for engine schemes' keys, which score token ids")
	}
	keys, err := loadDetectKeys(opts.KeyPaths, opts.Keyring)
	if err != nil {
		return err
	}
	tok, err := openTokenizer(opts.Tokenizer)
	if err != nil {
		return err
	}
	opts.schemes = make([]*watermark.Scheme, len(keys))
	for i, k := range keys {
		if err := k.CheckTokenizer(tok.ID()); err != nil {
			return err
		}
		opts.schemes[i] = watermark.NewScheme(k)
	}
	d := &watermark.Detector{
		Scheme:    opts.schemes[0],
		Tokenizer: tok,
		Normalize: !opts.NoNormalize,
		KeepMask:  opts.Tokens,
		Alpha:     opts.Alpha,
	}
	if opts.Windows {
		d.Windows = watermark.DefaultWindows
	}
	in, size, closeIn, err := openInput(opts.Input, opts.io.In)
	if err != nil {
		return err
	}
	defer closeIn()
	if opts.JSONL {
		return detectJSONL(ctx, opts, d, in, size)
	}
	text, err := readBounded(in, opts.MaxBytes)
	if err != nil {
		return err
	}
	if err := checkText(text); err != nil {
		return err
	}
	if !utf8.ValidString(opts.Prompt) {
		return errors.New("--prompt is not valid UTF-8")
	}
	res, err := d.DetectTextKeys(opts.schemes, opts.Prompt, text)
	if err != nil {
		return err
	}
	if opts.JSON {
		out := struct {
			watermark.KeysResult
			Pieces []string `json:"pieces,omitempty"`
		}{KeysResult: res}
		if opts.Tokens {
			// Tokenizing succeeded once already; it is deterministic.
			out.Pieces, _ = d.Pieces(text)
		}
		return writeJSON(opts.io.Out, out)
	}
	printDetect(opts.io.Out, res)
	if opts.Tokens {
		pieces, _ := d.Pieces(text)
		printTokens(opts.io.Out, pieces, res.Mask, res.KeyID, res.KeysTried)
	}
	return nil
}

// loadDetectKeys loads the --key files, then every key file in the
// keyring folder (*.yaml or *.yml, by name; hidden files are left out).
// All of them are the family the correction is over, so a file that does
// not load is an error rather than a key quietly not tried, and two keys
// with one id are refused: results name keys by id.
func loadDetectKeys(paths []string, keyring string) ([]*watermark.Key, error) {
	paths, err := detectKeyPaths(paths, keyring)
	if err != nil {
		return nil, err
	}
	keys := make([]*watermark.Key, 0, len(paths))
	from := map[string]string{}
	for _, p := range paths {
		k, err := watermark.LoadKey(p)
		if err != nil {
			return nil, err
		}
		if prev, ok := from[k.ID]; ok {
			return nil, fmt.Errorf("key id %s is in both %s and %s: give each key once", k.ID, prev, p)
		}
		from[k.ID] = p
		keys = append(keys, k)
	}
	return keys, nil
}

// detectKeyPaths are the --key files, then every key file in the keyring
// folder (*.yaml or *.yml, by name; hidden files are left out).
func detectKeyPaths(paths []string, keyring string) ([]string, error) {
	paths = slices.Clone(paths)
	if keyring != "" {
		entries, err := os.ReadDir(keyring)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		n := len(paths)
		for _, e := range entries {
			name := e.Name()
			ext := strings.ToLower(filepath.Ext(name))
			if strings.HasPrefix(name, ".") || e.IsDir() || (ext != ".yaml" && ext != ".yml") {
				continue
			}
			paths = append(paths, filepath.Join(keyring, name))
		}
		if len(paths) == n {
			return nil, fmt.Errorf("keyring %s holds no key files (*.yaml)", keyring)
		}
	}
	return paths, nil
}

func openInput(path string, stdin io.Reader) (io.Reader, int64, func(), error) {
	if path == "-" {
		return stdin, -1, func() {}, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("open input: %w", err)
	}
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return f, size, func() { f.Close() }, nil
}

// readBounded reads all of r, failing once it passes max bytes, so memory
// stays bounded whatever the input's size.
func readBounded(r io.Reader, max int64) (string, error) {
	var b strings.Builder
	n, err := io.Copy(&b, io.LimitReader(r, max+1))
	if err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	if n > max {
		return "", fmt.Errorf("input is larger than --max-bytes (%d bytes): split it, or raise the limit", max)
	}
	return b.String(), nil
}

// checkText rejects input that cannot be scored meaningfully.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("empty input: there is no text to score")
	}
	if !utf8.ValidString(text) {
		off := 0
		for off < len(text) {
			r, size := utf8.DecodeRuneInString(text[off:])
			if r == utf8.RuneError && size == 1 {
				break
			}
			off += size
		}
		return fmt.Errorf("input is not valid UTF-8 (first bad byte at offset %d); convert it to UTF-8 first", off)
	}
	return nil
}

// detectRecord is one line of --jsonl input.
type detectRecord struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Text   *string         `json:"text"`
	Prompt string          `json:"prompt"`
}

// detectLine is one line of --jsonl output.
type detectLine struct {
	Line  int             `json:"line"`
	ID    json.RawMessage `json:"id,omitempty"`
	Error string          `json:"error,omitempty"`
	*watermark.Result
	*watermark.KeySearch
}

// jsonlNotice is said once for every --jsonl run (issue 14).
const jsonlNotice = `per-document p-values under one key are not independent: the documents share the key's green lists (a common word pair that is green under the key is green in every document), and the variance of "k of n documents flagged" counts was measured at 5.5 times the binomial's. Do not count flagged documents as "k of n" evidence; for a verdict on the set, use --pooled: one test over the distinct (context, piece) tuples of all the documents, as for a single text.`

// detectSummary is the last line of --jsonl --json output.
type detectSummary struct {
	Summary struct {
		// Lines read, scored, and that could not be scored.
		Lines      int    `json:"lines"`
		Scored     int    `json:"scored"`
		Failed     int    `json:"failed"`
		KeysTried  int    `json:"keys_tried"`
		Correction string `json:"correction"`
		Notice     string `json:"notice"`
		// Pooled is the test over all scored documents' distinct tuples,
		// corrected over keys (with --pooled).
		Pooled *watermark.KeysResult `json:"pooled,omitempty"`
	} `json:"summary"`
}

// parseDetectRecord decodes and checks one --jsonl line.
func parseDetectRecord(line []byte) (detectRecord, error) {
	var rec detectRecord
	if !utf8.Valid(line) {
		return rec, errors.New("line is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&rec); err != nil {
		return rec, fmt.Errorf("not a JSON object: %v", err)
	}
	if dec.More() {
		return rec, errors.New("more than one JSON value on the line")
	}
	if rec.Text == nil {
		return rec, errors.New(`no "text" field`)
	}
	if err := checkText(*rec.Text); err != nil {
		return rec, err
	}
	if len(rec.ID) > 0 && rec.ID[0] != '"' && (rec.ID[0] < '0' || rec.ID[0] > '9') && rec.ID[0] != '-' {
		return rec, errors.New(`"id" must be a string or a number`)
	}
	return rec, nil
}

func detectJSONL(ctx context.Context, opts *detectOptions, d *watermark.Detector, in io.Reader, size int64) (err error) {
	schemes := opts.schemes
	if len(schemes) == 0 {
		schemes = []*watermark.Scheme{d.Scheme}
	}
	if !opts.JSON {
		fmt.Fprintf(opts.io.ErrOut, "note: %s\n", jsonlNotice)
	}
	if size > 0 {
		if bar := progressBar(opts.io, "detect", barBytes, func() int64 { return size }); bar != nil {
			defer bar.Finish()
			r := progressbar.NewReader(in, bar)
			in = &r
		}
	}
	var pooled []*watermark.Scorer
	if opts.Pooled {
		pooled = pooledScorers(schemes)
	}
	out := bufio.NewWriter(opts.io.Out)
	defer out.Flush()
	enc := json.NewEncoder(jsonOut(out))
	r := jsonl.NewReader(in, int(min(opts.MaxBytes, math.MaxInt32)))
	total, failed := 0, 0
	// The summary is written however the run ends, but not over a failed
	// write.
	writeFailed := false
	defer func() {
		if writeFailed {
			return
		}
		if serr := detectJSONLSummary(opts, d, enc, out, schemes, pooled, total, failed); serr != nil && err == nil {
			err = serr
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			out.Flush()
			return fmt.Errorf("interrupted after %d lines (results so far are written): %w", total, err)
		}
		line, err := r.Next()
		if err == io.EOF {
			break
		}
		total++
		var le *jsonl.LineError
		if err != nil && !errors.As(err, &le) {
			return fmt.Errorf("read input: %w", err)
		}
		rec := detectJSONLLine(d, schemes, pooled, r.Line(), line, le)
		if rec.Error != "" {
			failed++
		}
		if err := enc.Encode(rec); err != nil {
			writeFailed = true
			return fmt.Errorf("write output: %w", err)
		}
		// Each result is flushed as it is made: a crash or Ctrl-C loses
		// nothing already scored.
		if err := out.Flush(); err != nil {
			writeFailed = true
			return fmt.Errorf("write output: %w", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lines could not be scored (see their \"error\" fields)", failed, total)
	}
	return nil
}

// pooledScorers makes the pooled test: one scorer a key over every
// document, which counts a tuple repeated across documents once
// (Scorer.StartDocument).
func pooledScorers(schemes []*watermark.Scheme) []*watermark.Scorer {
	pooled := make([]*watermark.Scorer, len(schemes))
	for i, s := range schemes {
		pooled[i] = s.NewScorer(false)
	}
	return pooled
}

// detectJSONLLine scores one --jsonl line (number n) into its output
// line; le is the reader's error for a line it could not read.
func detectJSONLLine(d *watermark.Detector, schemes []*watermark.Scheme, pooled []*watermark.Scorer, n int, line []byte, le *jsonl.LineError) detectLine {
	rec := detectLine{Line: n}
	if le != nil {
		rec.Error = le.Err.Error()
		return rec
	}
	dr, err := parseDetectRecord(line)
	rec.ID = dr.ID
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	res, err := detectRecordKeys(d, schemes, pooled, dr)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	rec.Result, rec.KeySearch = &res.Result, &res.KeySearch
	return rec
}

// detectRecordKeys scores one --jsonl document under every key, and adds
// it to the pooled scorers.
func detectRecordKeys(d *watermark.Detector, schemes []*watermark.Scheme, pooled []*watermark.Scorer, dr detectRecord) (watermark.KeysResult, error) {
	pp, err := d.Pieces(dr.Prompt)
	if err != nil {
		return watermark.KeysResult{}, fmt.Errorf("tokenize prompt: %w", err)
	}
	pieces, err := d.Pieces(*dr.Text)
	if err != nil {
		return watermark.KeysResult{}, fmt.Errorf("tokenize text: %w", err)
	}
	res, err := d.DetectPiecesKeys(schemes, pp, pieces)
	if err != nil {
		return res, err
	}
	for _, sc := range pooled {
		sc.StartDocument()
		sc.ExcludePrompt(pp)
		sc.AddPieces(pieces)
	}
	return res, nil
}

// detectJSONLSummary ends a --jsonl run: with --json a last line carrying
// the notice (and the pooled test), else the pooled test on standard
// error, where the notice went at the start.
func detectJSONLSummary(opts *detectOptions, d *watermark.Detector, enc *json.Encoder, out *bufio.Writer, schemes []*watermark.Scheme, pooled []*watermark.Scorer, total, failed int) error {
	var pr *watermark.KeysResult
	if len(pooled) > 0 {
		results := make([]watermark.Result, len(pooled))
		for i, sc := range pooled {
			results[i] = sc.Result(d.Alpha)
			if d.Tokenizer != nil {
				results[i].Tokenizer = d.Tokenizer.ID()
			}
		}
		r, err := watermark.CorrectForKeys(results, d.Alpha)
		if err != nil {
			return err
		}
		pr = &r
	}
	if !opts.JSON {
		if pr != nil {
			fmt.Fprintf(opts.io.ErrOut, "\npooled test over the %d scored documents (their distinct tuples, as one text):\n", total-failed)
			printDetect(opts.io.ErrOut, *pr)
		}
		return nil
	}
	var sum detectSummary
	sum.Summary.Lines, sum.Summary.Scored, sum.Summary.Failed = total, total-failed, failed
	sum.Summary.KeysTried, sum.Summary.Correction = len(schemes), watermark.CorrectionHolmKeys
	sum.Summary.Notice = jsonlNotice
	sum.Summary.Pooled = pr
	if err := enc.Encode(sum); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// writeJSON prints v as indented JSON, terminal-safe (see jsonOut).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(jsonOut(w))
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printDetect(w io.Writer, r watermark.KeysResult) {
	if r.KeysTried == 1 {
		fmt.Fprintf(w, "keys       1 key tried (Holm over keys: with 1 key the adjusted p is the raw p)\n")
		fmt.Fprintf(w, "key        %s (tokenizer %s)\n", r.KeyID, termsafe.Line(r.Tokenizer))
	} else {
		fmt.Fprintf(w, "keys       %d keys tried, corrected by Holm over keys (the chance that any key flags unwatermarked text is ≤ α)\n", r.KeysTried)
		fmt.Fprintf(w, "key        %s, the most significant of the %d (tokenizer %s)\n", r.KeyID, r.KeysTried, termsafe.Line(r.Tokenizer))
	}
	fmt.Fprintf(w, "tokens     %d, scored %d (skipped: %d without full context, %d repeated, %d from the prompt)\n",
		r.Tokens, r.TokensScored, r.Skipped.Context, r.Skipped.Repeated, r.Skipped.InPrompt)
	fmt.Fprintf(w, "green      %d of %d = %.3f (%.2f expected without the watermark)\n", r.Green, r.TokensScored, r.GreenFraction, r.Gamma)
	fmt.Fprintf(w, "z          %.2f\n", r.Z)
	fmt.Fprintf(w, "log10 p    %.2f (p = %s)\n", r.Log10P, stats.FormatP(r.Log10P))
	if win := r.Window; win != nil {
		fmt.Fprintf(w, "window     pieces %d–%d (bytes %d–%d): %d of %d green, log10 p %.2f, corrected for %d windows %.2f\n",
			win.Start, win.End, win.ByteStart, win.ByteEnd, win.Green, win.Scored, win.Log10P, win.WindowsTried, win.Log10PCorrected)
		fmt.Fprintf(w, "decision   log10 p %.2f (whole text and best window, Bonferroni)\n", r.DecisionLog10P)
	}
	fmt.Fprintf(w, "adjusted   log10 p %.2f (p = %s), Holm over %s\n", r.AdjustedLog10P, stats.FormatP(r.AdjustedLog10P), plural(r.KeysTried, "key"))
	switch {
	case r.Watermarked && r.KeysTried == 1:
		fmt.Fprintf(w, "verdict    WATERMARKED: p ≤ α = %g\n", r.Alpha)
	case r.Watermarked:
		fmt.Fprintf(w, "verdict    WATERMARKED under key %s: Holm-adjusted p ≤ α = %g (%d keys tried)\n", r.KeyID, r.Alpha, r.KeysTried)
	case r.KeysTried == 1:
		fmt.Fprintf(w, "verdict    not shown to be watermarked at α = %g (this is not proof that it is unwatermarked)\n", r.Alpha)
	default:
		fmt.Fprintf(w, "verdict    not shown to be watermarked under any of the %d keys at α = %g, Holm over keys (this is not proof that it is unwatermarked)\n", r.KeysTried, r.Alpha)
	}
	if r.KeysTried > 1 {
		fmt.Fprintf(w, "\nevery key, in the order given (raw and Holm-adjusted log10 p):\n")
		fmt.Fprintf(w, "  %-24s %8s %8s %10s %10s %10s  %s\n", "key", "scored", "green", "log10 p", "decision", "adjusted", "verdict")
		for _, k := range r.Keys {
			v := "-"
			if k.Watermarked {
				v = "WATERMARKED"
			}
			fmt.Fprintf(w, "  %-24s %8d %8d %10.2f %10.2f %10.2f  %s\n", k.KeyID, k.TokensScored, k.Green, k.Log10P, k.DecisionLog10P, k.AdjustedLog10P, v)
		}
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func printTokens(w io.Writer, pieces []string, mask, keyID string, keys int) {
	under := ""
	if keys > 1 {
		under = " under key " + keyID
	}
	fmt.Fprintf(w, "\npieces%s (G green, r red, . no full context, = repeat, p from the prompt):\n", under)
	for i, p := range pieces {
		if i < len(mask) {
			fmt.Fprintf(w, "%c %q\n", mask[i], p) // %q escapes controls and bidi overrides
		}
	}
}
