package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"forensics/internal/jsonl"
	"forensics/internal/keyfile"
	"forensics/stats"
	"forensics/watermark"
	"forensics/watermark/engine"
	"forensics/watermark/schemes"
)

// detectKeyFamily reads each key file's scheme: detect takes either this
// project's keys or engine keys in one run, never a mix (their units
// differ: pieces or token ids).
func detectKeyFamily(paths []string) (isEngine bool, err error) {
	var first, firstPath string
	for _, p := range paths {
		data, err := keyfile.Read(p, 64<<10)
		if err != nil {
			return false, fmt.Errorf("load key %s: %w", p, err)
		}
		name, err := schemes.SchemeOf(data)
		if err != nil {
			return false, fmt.Errorf("load key %s: %w", p, err)
		}
		eng := name != watermark.SchemeName
		if first == "" {
			first, firstPath, isEngine = name, p, eng
			continue
		}
		if eng != isEngine {
			return false, fmt.Errorf("%s is a %s key and %s a %s key: detect tests keys of this project's scheme or of engine schemes in one run, not both (run it twice)", firstPath, first, p, name)
		}
	}
	return isEngine, nil
}

// engineDetection is one text's result under several engine keys.
type engineDetection struct {
	engine.Detection
	Alpha       float64 `json:"alpha"`
	Watermarked bool    `json:"watermarked"`
	// KeysTried, AdjustedLog10P and Keys: Holm over keys, as for this
	// project's scheme.
	KeysTried      int                `json:"keys_tried"`
	Correction     string             `json:"correction"`
	AdjustedLog10P float64            `json:"adjusted_log10_p"`
	Keys           []engine.Detection `json:"keys"`
	Adjusted       []float64          `json:"keys_adjusted_log10_p"`
}

// engineRun is the state of a detect run over engine keys.
type engineRun struct {
	opts *detectOptions
	dets []*engine.Detector
	enc  engine.Encoder
	chat *chatTemplate
}

func detectEngineRun(ctx context.Context, opts *detectOptions, paths []string) error {
	if opts.Windows || opts.Tokens {
		return usagef("--windows and --tokens are not available for engine schemes yet")
	}
	run := &engineRun{opts: opts}
	if opts.ChatTemplate != "" {
		if !opts.JSONL || opts.IDs {
			return usagef("--chat-template reads conversations from --jsonl records ({\"messages\": [...]}), as text")
		}
		c, err := loadChatTemplate(opts.ChatTemplate)
		if err != nil {
			return err
		}
		run.chat = c
	}
	seen := map[string]string{}
	for _, p := range paths {
		k, err := engine.LoadKey(p)
		if err != nil {
			return err
		}
		if prev, ok := seen[k.ID]; ok {
			return fmt.Errorf("key id %s is in both %s and %s: give each key once", k.ID, prev, p)
		}
		seen[k.ID] = p
		d, err := engine.NewDetector(k)
		if err != nil {
			return err
		}
		run.dets = append(run.dets, d)
	}
	if err := run.openEncoder(); err != nil {
		return err
	}
	in, _, closeIn, err := openInput(opts.Input, opts.io.In)
	if err != nil {
		return err
	}
	defer closeIn()
	if opts.JSONL {
		return run.jsonl(ctx, in)
	}
	text, err := readBounded(in, opts.MaxBytes)
	if err != nil {
		return err
	}
	ids, err := run.ids(text)
	if err != nil {
		return err
	}
	var prompts [][]int64
	if opts.Prompt != "" {
		p, err := run.ids(opts.Prompt)
		if err != nil {
			return fmt.Errorf("prompt: %w", err)
		}
		prompts = [][]int64{p}
	}
	res := run.combine(func(d *engine.Detector) engine.Detection { return d.DetectPooled(prompts, [][]int64{ids}) })
	if opts.JSON {
		return writeJSON(opts.io.Out, res)
	}
	printEngineDetect(opts.io.Out, res)
	return nil
}

// openEncoder opens --tokenizer (unless --ids), which must give token ids
// and be the one every key names.
func (r *engineRun) openEncoder() error {
	if r.opts.IDs {
		return nil
	}
	tok, err := openTokenizer(r.opts.Tokenizer)
	if err != nil {
		return err
	}
	enc, ok := tok.(engine.Encoder)
	if !ok {
		return fmt.Errorf("tokenizer %s gives no token ids; engine schemes score ids (use a tokenizer file, or --ids)", tok.ID())
	}
	for _, d := range r.dets {
		if err := d.Key().CheckTokenizer(enc.ID()); err != nil {
			return err
		}
	}
	r.enc = enc
	return nil
}

// ids turns an input into token ids: tokenized text, or with --ids the
// ids themselves (a JSON array, or integers separated by white space or
// commas).
func (r *engineRun) ids(text string) ([]int64, error) {
	if !r.opts.IDs {
		if err := checkText(text); err != nil {
			return nil, err
		}
		if !r.opts.NoNormalize {
			text = watermark.Normalize(text)
		}
		got, err := r.enc.Encode(text)
		if err != nil {
			return nil, fmt.Errorf("tokenize: %w", err)
		}
		out := make([]int64, len(got))
		for i, id := range got {
			out[i] = int64(id)
		}
		return out, nil
	}
	return parseIDs(text)
}

// maxTokenID bounds an id read from input: vocabularies have fewer than
// 2^31 tokens, and vLLM's PRFs read ids as int64 (philox: their low 32
// bits).
const maxTokenID = math.MaxInt32

// parseIDs reads token ids.
func parseIDs(text string) ([]int64, error) {
	text = strings.TrimSpace(text)
	text = strings.TrimSuffix(strings.TrimPrefix(text, "["), "]")
	fields := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' || r == '\r' })
	if len(fields) == 0 {
		return nil, errors.New("no token ids in the input")
	}
	out := make([]int64, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 || v > maxTokenID {
			return nil, fmt.Errorf("token id %d is not an integer in 0..%d", i+1, maxTokenID)
		}
		out[i] = v
	}
	return out, nil
}

// combine runs every key and corrects for the search (Holm over keys).
func (r *engineRun) combine(score func(*engine.Detector) engine.Detection) engineDetection {
	res := engineDetection{Alpha: r.opts.Alpha, KeysTried: len(r.dets), Correction: watermark.CorrectionHolmKeys}
	lp := make([]float64, len(r.dets))
	best := 0
	for i, d := range r.dets {
		res.Keys = append(res.Keys, score(d))
		lp[i] = res.Keys[i].Log10P
		if lp[i] < lp[best] {
			best = i
		}
	}
	adj, err := stats.HolmAdjustedLog10(lp)
	if err != nil { // only for NaN, which the tails never give
		adj = make([]float64, len(lp))
	}
	res.Adjusted = adj
	res.Detection, res.AdjustedLog10P = res.Keys[best], adj[best]
	res.Watermarked = res.Scored > 0 && res.AdjustedLog10P <= math.Log10(r.opts.Alpha)
	return res
}

func printEngineDetect(w io.Writer, r engineDetection) {
	fmt.Fprintf(w, "key        %s (%s, %s)%s\n", r.KeyID, r.Scheme, r.PRF, map[bool]string{true: fmt.Sprintf(", the most significant of %d keys (Holm over keys)", r.KeysTried), false: ""}[r.KeysTried > 1])
	fmt.Fprintf(w, "tokens     %d, scored %d\n", r.Tokens, r.Scored)
	fmt.Fprintf(w, "statistic  %s = %.4g\n", r.StatisticName, r.Statistic)
	fmt.Fprintf(w, "null       %s\n", r.Null)
	fmt.Fprintf(w, "log10 p    %.2f (p = %s); adjusted %.2f\n", r.Log10P, stats.FormatP(r.Log10P), r.AdjustedLog10P)
	switch {
	case r.Watermarked && r.KeysTried > 1:
		fmt.Fprintf(w, "verdict    WATERMARKED under key %s: Holm-adjusted p ≤ α = %g (%d keys tried)\n", r.KeyID, r.Alpha, r.KeysTried)
	case r.Watermarked:
		fmt.Fprintf(w, "verdict    WATERMARKED: p ≤ α = %g\n", r.Alpha)
	default:
		fmt.Fprintf(w, "verdict    not shown to be watermarked at α = %g (this is not proof that it is unwatermarked)\n", r.Alpha)
	}
	if r.KeysTried > 1 {
		for i, k := range r.Keys {
			fmt.Fprintf(w, "  %-24s %-15s scored %6d  log10 p %8.2f  adjusted %8.2f\n", k.KeyID, k.Scheme, k.Scored, k.Log10P, r.Adjusted[i])
		}
	}
}

// engineJSONLNotice is said once for every --jsonl run with engine keys.
const engineJSONLNotice = `per-document p-values under one key are not independent: the documents share the key's PRF values (a common context followed by a common token scores the same in every document). Do not count flagged documents as "k of n" evidence; for a verdict on the set, use --pooled: one test over all the documents, each context once across them.`

// engineLine is one line of --jsonl output for engine keys.
type engineLine struct {
	Line  int             `json:"line"`
	ID    json.RawMessage `json:"id,omitempty"`
	Error string          `json:"error,omitempty"`
	*engineDetection
}

// jsonl scores one record a line, and with --pooled all of them together.
func (r *engineRun) jsonl(ctx context.Context, in io.Reader) error {
	if !r.opts.JSON {
		fmt.Fprintf(r.opts.io.ErrOut, "note: %s\n", engineJSONLNotice)
	}
	out := bufio.NewWriter(r.opts.io.Out)
	defer out.Flush()
	enc := json.NewEncoder(jsonOut(out))
	rd := jsonl.NewReader(in, int(min(r.opts.MaxBytes, math.MaxInt32)))
	var prompts, docs [][]int64
	total, failed := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted after %d lines (results so far are written): %w", total, err)
		}
		line, err := rd.Next()
		if err == io.EOF {
			break
		}
		total++
		rec := engineLine{Line: rd.Line()}
		var le *jsonl.LineError
		switch {
		case errors.As(err, &le):
			rec.Error = le.Err.Error()
		case err != nil:
			return fmt.Errorf("read input: %w", err)
		default:
			p, ds, perr := r.anyRecord(ctx, line, &rec)
			if perr != nil {
				rec.Error = perr.Error()
				break
			}
			res := r.combine(func(d *engine.Detector) engine.Detection { return d.DetectPooled(p, ds) })
			rec.engineDetection = &res
			if r.opts.Pooled {
				prompts, docs = append(prompts, p...), append(docs, ds...)
			}
		}
		if rec.Error != "" {
			failed++
		}
		if err := enc.Encode(rec); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
		if err := out.Flush(); err != nil {
			return fmt.Errorf("write output: %w", err)
		}
	}
	if r.opts.Pooled {
		res := r.combine(func(d *engine.Detector) engine.Detection { return d.DetectPooled(prompts, docs) })
		if r.opts.JSON {
			if err := enc.Encode(map[string]any{"summary": map[string]any{"lines": total, "failed": failed, "pooled": res, "notice": engineJSONLNotice}}); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
		} else {
			out.Flush()
			fmt.Fprintf(r.opts.io.ErrOut, "\npooled test over the %d scored documents (each context once across all of them):\n", total-failed)
			printEngineDetect(r.opts.io.ErrOut, res)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d lines could not be scored (see their \"error\" fields)", failed, total)
	}
	return nil
}

// anyRecord reads one --jsonl record: a text with its prompt, or with
// --chat-template a conversation whose assistant messages are the
// documents.
func (r *engineRun) anyRecord(ctx context.Context, line []byte, out *engineLine) (prompts, docs [][]int64, err error) {
	if r.chat == nil {
		p, ids, err := r.record(line, out)
		return p, [][]int64{ids}, err
	}
	var rec struct {
		ID       json.RawMessage `json:"id,omitempty"`
		Messages json.RawMessage `json:"messages"`
	}
	if err := decodeStrictObject(line, &rec, "id", "messages"); err != nil {
		return nil, nil, err
	}
	out.ID = rec.ID
	if rec.Messages == nil {
		return nil, nil, errors.New(`no "messages" (with --chat-template each line holds {"messages": [{"role": …, "content": …}, …]})`)
	}
	ps, ds, err := r.chat.conversation(ctx, rec.Messages)
	if err != nil {
		return nil, nil, err
	}
	for i := range ds {
		p, err := r.ids(ps[i])
		if err != nil {
			return nil, nil, fmt.Errorf("prompt: %w", err)
		}
		d, err := r.ids(ds[i])
		if err != nil {
			return nil, nil, err
		}
		prompts, docs = append(prompts, p), append(docs, d)
	}
	return prompts, docs, nil
}

// engineRecord is one JSONL record for engine keys.
type engineRecord struct {
	ID        json.RawMessage `json:"id,omitempty"`
	Text      *string         `json:"text"`
	Prompt    *string         `json:"prompt"`
	IDs       []int64         `json:"ids"`
	PromptIDs []int64         `json:"prompt_ids"`
}

// record parses one --jsonl line: {"text": …} (or with --ids, {"ids":
// […]}), an optional "prompt" (with --ids, "prompt_ids") and "id". Field
// names are exact and each once, and the other mode's fields are
// refused rather than ignored: a prompt silently dropped would score the
// suspect's echo of it.
func (r *engineRun) record(line []byte, out *engineLine) (prompts [][]int64, ids []int64, err error) {
	var rec engineRecord
	fields := []string{"id", "text", "prompt"}
	if r.opts.IDs {
		fields = []string{"id", "ids", "prompt_ids"}
	}
	if err := decodeStrictObject(line, &rec, fields...); err != nil {
		return nil, nil, err
	}
	out.ID = rec.ID
	if r.opts.IDs {
		if len(rec.IDs) == 0 {
			return nil, nil, errors.New(`no "ids" (with --ids each line holds {"ids": [...], "prompt_ids": [...]})`)
		}
		for _, id := range slicesConcat(rec.IDs, rec.PromptIDs) {
			if id < 0 || id > maxTokenID {
				return nil, nil, fmt.Errorf("token id out of 0..%d", maxTokenID)
			}
		}
		if rec.PromptIDs != nil {
			prompts = [][]int64{rec.PromptIDs}
		}
		return prompts, rec.IDs, nil
	}
	if rec.Text == nil {
		return nil, nil, errors.New(`no "text" field`)
	}
	if ids, err = r.ids(*rec.Text); err != nil {
		return nil, nil, err
	}
	if rec.Prompt != nil {
		p, err := r.ids(*rec.Prompt)
		if err != nil {
			return nil, nil, fmt.Errorf("prompt: %w", err)
		}
		prompts = [][]int64{p}
	}
	return prompts, ids, nil
}

func slicesConcat(a, b []int64) []int64 { return append(append([]int64(nil), a...), b...) }
