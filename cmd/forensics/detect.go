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
	"strings"
	"unicode/utf8"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"forensics/internal/jsonl"
	"forensics/internal/termsafe"
	"forensics/watermark"
)

type detectOptions struct {
	io          *ioStreams
	KeyPath     string
	Tokenizer   string
	Prompt      string
	Alpha       float64
	Windows     bool
	Tokens      bool
	NoNormalize bool
	JSON        bool
	JSONL       bool
	MaxBytes    int64
	Input       string // file path, or "-" for standard input
}

const defaultMaxBytes = 32 << 20

func newCmdDetect(io *ioStreams, runF func(context.Context, *detectOptions) error) *cobra.Command {
	opts := &detectOptions{io: io}
	cmd := &cobra.Command{
		Use:   "detect --key KEY.yaml [FILE|-]",
		Short: "Test text for the watermark of a key",
		Long: `Test a text (a file, or standard input) for the watermark of a key.

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

With --jsonl the input has one JSON object per line, {"text": …} with an
optional "prompt" and "id", and one result is written per line as it is
read; a bad line yields {"line": N, "error": …} and the run goes on (exit
status 1 at the end).`,
		Example: `  forensics detect --key key.yaml answer.txt
  cat answer.txt | forensics detect --key key.yaml --json
  forensics detect --key key.yaml --prompt "Explain tides." --windows --tokens answer.txt
  forensics detect --key key.yaml --jsonl responses.jsonl > results.jsonl`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.KeyPath == "" {
				return usagef("--key is required")
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
	f.StringVarP(&opts.KeyPath, "key", "k", "", "watermark key file (required)")
	f.StringVar(&opts.Tokenizer, "tokenizer", "embedded", "the served model's tokenizer: embedded, words-v1, or a file from `forensics tokenizer export`")
	f.StringVar(&opts.Prompt, "prompt", "", "the prompt the text answers; its tuples are not scored")
	f.Float64Var(&opts.Alpha, "alpha", 1e-6, "false-positive rate at which text is called watermarked")
	f.BoolVar(&opts.Windows, "windows", false, "also search windows for a watermarked passage (corrected for the search)")
	f.BoolVar(&opts.Tokens, "tokens", false, "show every piece and how it was scored")
	f.BoolVar(&opts.NoNormalize, "no-normalize", false, "score the text as given, without Unicode normalisation")
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.BoolVar(&opts.JSONL, "jsonl", false, "read one JSON object per line and write one result per line")
	f.Int64Var(&opts.MaxBytes, "max-bytes", defaultMaxBytes, "largest text (or JSONL line) accepted, in bytes")
	return cmd
}

func detectRun(ctx context.Context, opts *detectOptions) error {
	key, err := watermark.LoadKey(opts.KeyPath)
	if err != nil {
		return err
	}
	tok, err := openTokenizer(opts.Tokenizer)
	if err == nil {
		err = key.CheckTokenizer(tok.ID())
	}
	if err != nil {
		return err
	}
	d := &watermark.Detector{
		Scheme:    watermark.NewScheme(key),
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
	res, err := d.DetectText(opts.Prompt, text)
	if err != nil {
		return err
	}
	if opts.JSON {
		out := struct {
			watermark.Result
			Pieces []string `json:"pieces,omitempty"`
		}{Result: res}
		if opts.Tokens {
			// Tokenizing succeeded once already; it is deterministic.
			out.Pieces, _ = d.Pieces(text)
		}
		return writeJSON(opts.io.Out, out)
	}
	printDetect(opts.io.Out, res)
	if opts.Tokens {
		pieces, _ := d.Pieces(text)
		printTokens(opts.io.Out, pieces, res.Mask)
	}
	return nil
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

func detectJSONL(ctx context.Context, opts *detectOptions, d *watermark.Detector, in io.Reader, size int64) error {
	if opts.io.ErrTTY && size > 0 {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(opts.io.ErrOut),
			progressbar.OptionSetDescription("detect"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(100_000_000))
		defer bar.Finish()
		r := progressbar.NewReader(in, bar)
		in = &r
	}
	out := bufio.NewWriter(opts.io.Out)
	defer out.Flush()
	enc := json.NewEncoder(jsonOut(out))
	r := jsonl.NewReader(in, int(min(opts.MaxBytes, math.MaxInt32)))
	total, failed := 0, 0
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
		rec := detectLine{Line: r.Line()}
		var le *jsonl.LineError
		switch {
		case errors.As(err, &le):
			rec.Error = le.Err.Error()
		case err != nil:
			return fmt.Errorf("read input: %w", err)
		default:
			dr, perr := parseDetectRecord(line)
			rec.ID = dr.ID
			if perr != nil {
				rec.Error = perr.Error()
			} else if res, derr := d.DetectText(dr.Prompt, *dr.Text); derr != nil {
				rec.Error = derr.Error()
			} else {
				rec.Result = &res
			}
		}
		if rec.Error != "" {
			failed++
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		// Each result is flushed as it is made: a crash or Ctrl-C loses
		// nothing already scored.
		if err := out.Flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lines could not be scored (see their \"error\" fields)", failed, total)
	}
	return nil
}

// writeJSON prints v as indented JSON, terminal-safe (see jsonOut).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(jsonOut(w))
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printDetect(w io.Writer, r watermark.Result) {
	fmt.Fprintf(w, "key        %s (tokenizer %s)\n", r.KeyID, termsafe.Line(r.Tokenizer))
	fmt.Fprintf(w, "tokens     %d, scored %d (skipped: %d without full context, %d repeated, %d from the prompt)\n",
		r.Tokens, r.TokensScored, r.Skipped.Context, r.Skipped.Repeated, r.Skipped.InPrompt)
	fmt.Fprintf(w, "green      %d of %d = %.3f (%.2f expected without the watermark)\n", r.Green, r.TokensScored, r.GreenFraction, r.Gamma)
	fmt.Fprintf(w, "z          %.2f\n", r.Z)
	fmt.Fprintf(w, "log10 p    %.2f (%s)\n", r.Log10P, formatP(r.Log10P))
	if win := r.Window; win != nil {
		fmt.Fprintf(w, "window     pieces %d–%d (bytes %d–%d): %d of %d green, log10 p %.2f, corrected for %d windows %.2f\n",
			win.Start, win.End, win.ByteStart, win.ByteEnd, win.Green, win.Scored, win.Log10P, win.WindowsTried, win.Log10PCorrected)
		fmt.Fprintf(w, "decision   log10 p %.2f (whole text and best window, Bonferroni)\n", r.DecisionLog10P)
	}
	if r.Watermarked {
		fmt.Fprintf(w, "verdict    WATERMARKED: p ≤ α = %g\n", r.Alpha)
	} else {
		fmt.Fprintf(w, "verdict    not shown to be watermarked at α = %g (this is not proof that it is unwatermarked)\n", r.Alpha)
	}
}

// formatP writes a p-value given as log10 p, in scientific notation even
// where it underflows float64.
func formatP(log10p float64) string {
	if log10p > -300 {
		return fmt.Sprintf("p = %.3g", math.Pow(10, log10p))
	}
	e := math.Floor(log10p)
	return fmt.Sprintf("p = %.3ge%d", math.Pow(10, log10p-e), int(e))
}

func printTokens(w io.Writer, pieces []string, mask string) {
	fmt.Fprintln(w, "\npieces (G green, r red, . no full context, = repeat, p from the prompt):")
	for i, p := range pieces {
		if i < len(mask) {
			fmt.Fprintf(w, "%c %q\n", mask[i], p) // %q escapes controls and bidi overrides
		}
	}
}
