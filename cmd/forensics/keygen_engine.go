package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"forensics/internal/keyfile"
	"forensics/watermark"
	"forensics/watermark/engine"
	"forensics/watermark/schemes"
)

// keygenCheckScheme checks the flags against the scheme: our scheme's
// parameters, or an engine scheme's (whose context width defaults to the
// engine's 4, and whose Gumbel variant has no γ or δ).
func keygenCheckScheme(cmd *cobra.Command, opts *keygenOptions) error {
	if _, err := schemes.Lookup(opts.Scheme); err != nil {
		return &usageError{err}
	}
	f := cmd.Flags()
	engineOnly := []string{"prf", "import", "engine-config-out"}
	if opts.Scheme == watermark.SchemeName {
		for _, name := range engineOnly {
			if f.Changed(name) {
				return usagef("--%s belongs to the engine schemes (--scheme %s or %s)", name, engine.SchemeRedGreen, engine.SchemeGumbel)
			}
		}
		if err := opts.Params.Validate(); err != nil {
			return &usageError{err}
		}
		return nil
	}
	if opts.Signing {
		return usagef("--signing makes a signing key; it takes no --scheme")
	}
	if f.Changed("payload-bits") {
		return usagef("--payload-bits belongs to %s", watermark.SchemeName)
	}
	if opts.Scheme == engine.SchemeGumbel && (f.Changed("gamma") || f.Changed("delta")) {
		return usagef("--gamma and --delta belong to the red-green scheme; Gumbel-max has neither")
	}
	opts.set = map[string]bool{}
	for _, name := range []string{"prf", "context-width", "gamma", "delta"} {
		opts.set[name] = f.Changed(name)
	}
	if !f.Changed("context-width") {
		opts.Params.ContextWidth = engine.DefaultContextWidth
	}
	if opts.Scheme == engine.SchemeGumbel {
		opts.Params.Gamma, opts.Params.Delta = 0, 0
	}
	return nil
}

// keygenEngine makes (or imports) an engine scheme's key.
func keygenEngine(opts *keygenOptions) error {
	k, err := engineKeyFromOptions(opts)
	if err != nil {
		return err
	}
	if opts.Tokenizer != "" {
		tk, err := openTokenizer(opts.Tokenizer)
		if err != nil {
			return err
		}
		if _, ok := tk.(engine.Encoder); !ok {
			return fmt.Errorf("tokenizer %s gives no token ids; an engine scheme's key needs the served model's tokenizer (a tokenizer file)", tk.ID())
		}
		k.Tokenizer = tk.ID()
	}
	// Both paths are checked before either is written, so that nothing is
	// left half done.
	if opts.EngineConfigOut != "" {
		if opts.EngineConfigOut == opts.Out {
			return usagef("--engine-config-out and --out are the same file")
		}
		for _, p := range []string{opts.Out, opts.EngineConfigOut} {
			if err := keyfile.CheckPath(p); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if _, err := os.Lstat(p); err == nil && !opts.Overwrite {
				return fmt.Errorf("%s: file exists (refusing to overwrite a key without --force)", p)
			}
		}
	}
	if err := k.WriteFile(opts.Out, opts.Overwrite); err != nil {
		return err
	}
	if opts.EngineConfigOut != "" {
		if err := keyfile.Write(opts.EngineConfigOut, []byte(k.VLLMConfig()+"\n"), 0o600, opts.Overwrite); err != nil {
			return fmt.Errorf("write engine config %s: %w", opts.EngineConfigOut, err)
		}
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{
			"key_id": k.ID, "path": opts.Out, "scheme": k.Scheme, "prf": k.PRF, "context_width": k.ContextWidth,
			"gamma": k.Gamma, "delta": k.Delta, "dedup": k.Dedup, "commitment": k.Commitment(), "created": k.Created,
			"imported": opts.Import != "", "engine_config": opts.EngineConfigOut,
		})
	}
	verb := "wrote"
	if opts.Import != "" {
		verb = "imported"
	}
	fmt.Fprintf(opts.io.Out, "%s key %s to %s (mode 0600)\n%s\n", verb, k.ID, opts.Out, k.String())
	fmt.Fprintf(opts.io.Out, "commitment sha256:%s\n", k.Commitment())
	if opts.EngineConfigOut != "" {
		fmt.Fprintf(opts.io.Out, "vLLM's --watermark-config is in %s (mode 0600). Keep it off vLLM's command line, where ps and /proc show it: put it in the YAML file of vllm serve --config (docs/engine-schemes.md)\n", opts.EngineConfigOut)
	}
	return nil
}

// engineKeyFromOptions makes a fresh key, or reads the engine's.
func engineKeyFromOptions(opts *keygenOptions) (*engine.Key, error) {
	if opts.Import == "" {
		k, err := engine.NewKey(opts.ID, opts.Scheme, opts.PRF)
		if err != nil {
			return nil, err
		}
		return engineKeyParams(k, opts)
	}
	imp, err := readEngineImport(opts)
	if err != nil {
		return nil, err
	}
	k, err := engine.Import(opts.ID, imp.scheme, imp.prf, imp.key, imp.width, imp.gamma, imp.delta)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return k, nil
}

// engineKeyParams applies the flags' parameters to a fresh key.
func engineKeyParams(k *engine.Key, opts *keygenOptions) (*engine.Key, error) {
	k.ContextWidth = opts.Params.ContextWidth
	if k.Scheme == engine.SchemeRedGreen {
		k.Gamma, k.Delta = opts.Params.Gamma, opts.Params.Delta
	}
	if err := k.Validate(); err != nil {
		return nil, &usageError{err}
	}
	return k, nil
}

// engineImport is an engine's key and settings, as imported.
type engineImport struct {
	key          *big.Int
	scheme, prf  string
	width        int
	gamma, delta float64
}

// readEngineImport reads --import: a decimal integer (the flags give the
// rest) or vLLM's watermark config JSON, whose fields must agree with any
// flag given. Errors never quote the file: it holds the secret.
func readEngineImport(opts *keygenOptions) (engineImport, error) {
	var data []byte
	var err error
	if opts.Import == "-" {
		data, err = io.ReadAll(io.LimitReader(opts.io.In, 64<<10))
	} else {
		data, err = readCapped(opts.Import, 64<<10)
	}
	if err != nil {
		return engineImport{}, fmt.Errorf("import: %w", err)
	}
	imp := engineImport{scheme: opts.Scheme, prf: opts.PRF, width: opts.Params.ContextWidth, gamma: opts.Params.Gamma, delta: opts.Params.Delta}
	text := strings.TrimSpace(string(data))
	if !strings.HasPrefix(text, "{") {
		n, ok := new(big.Int).SetString(text, 10)
		if !ok || n.Sign() < 0 {
			return imp, errors.New("import: the file holds neither a decimal integer nor a JSON object")
		}
		imp.key = n
		return imp, nil
	}
	return parseVLLMConfig([]byte(text), imp, opts)
}

// vllmConfig is the part of vLLM's WatermarkConfig a key records.
type vllmConfig struct {
	Key          json.Number `json:"key"`
	Algorithm    string      `json:"algorithm"`
	PRF          string      `json:"prf"`
	ContextWidth *int        `json:"context_width"`
	Gamma        *float64    `json:"gamma"`
	Delta        *float64    `json:"delta"`
}

func parseVLLMConfig(data []byte, imp engineImport, opts *keygenOptions) (engineImport, error) {
	var c vllmConfig
	if err := decodeStrictObject(data, &c, "key", "algorithm", "prf", "context_width", "gamma", "delta",
		"alpha", "deduplicate_contexts", "deduplicate_contexts_max_history", "allow_target_only_watermarking"); err != nil {
		return imp, fmt.Errorf("import: %w", err)
	}
	n, ok := new(big.Int).SetString(string(c.Key), 10)
	if !ok || n.Sign() < 0 {
		return imp, errors.New("import: the config's key is not a non-negative integer")
	}
	imp.key = n
	switch c.Algorithm {
	case "", "gumbel":
		imp.scheme = engine.SchemeGumbel
	case "red_green":
		imp.scheme = engine.SchemeRedGreen
	default:
		return imp, errors.New("import: the config's algorithm is not one forensics detects (gumbel, red_green)")
	}
	switch c.PRF {
	case "", "philox":
		imp.prf = engine.PRFPhilox
	case "hmac_sha256":
		imp.prf = engine.PRFHMAC
	default:
		return imp, errors.New("import: the config's prf is not one forensics implements (philox, hmac_sha256)")
	}
	imp.width = engine.DefaultContextWidth
	if c.ContextWidth != nil {
		imp.width = *c.ContextWidth
	}
	if err := importAgrees(imp, c, opts); err != nil {
		return imp, err
	}
	imp.gamma, imp.delta = 0, 0
	if imp.scheme == engine.SchemeRedGreen {
		imp.gamma, imp.delta = engine.DefaultGamma, engine.DefaultDelta
		if c.Gamma != nil {
			imp.gamma = *c.Gamma
		}
		if c.Delta != nil {
			imp.delta = *c.Delta
		}
	}
	return imp, nil
}

// importAgrees refuses an imported config that contradicts --scheme or a
// flag given explicitly: which one was meant cannot be guessed.
func importAgrees(imp engineImport, c vllmConfig, opts *keygenOptions) error {
	if imp.scheme != opts.Scheme {
		return fmt.Errorf("import: the config's algorithm is %s, but --scheme is %s", imp.scheme, opts.Scheme)
	}
	if opts.set["prf"] && imp.prf != opts.PRF {
		return fmt.Errorf("import: the config's prf is %s, but --prf is %s", imp.prf, opts.PRF)
	}
	if opts.set["context-width"] && imp.width != opts.Params.ContextWidth {
		return fmt.Errorf("import: the config's context width differs from --context-width %d", opts.Params.ContextWidth)
	}
	if (opts.set["gamma"] && c.Gamma != nil && *c.Gamma != opts.Params.Gamma) || (opts.set["delta"] && c.Delta != nil && *c.Delta != opts.Params.Delta) {
		return errors.New("import: the config's gamma or delta differs from the flags")
	}
	return nil
}

// decodeStrictObject decodes one JSON object into v, accepting only the
// named fields, each once and spelt exactly (encoding/json alone matches
// names without regard to case and keeps the last of two), and nothing
// after the object. Errors quote no value: the object may hold a key.
func decodeStrictObject(data []byte, v any, fields ...string) error {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return errors.New("not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	seen := map[string]bool{}
	tokens := json.NewDecoder(bytes.NewReader(data))
	if _, err := tokens.Token(); err != nil {
		return errors.New("not a JSON object")
	}
	for tokens.More() {
		t, err := tokens.Token()
		if err != nil {
			return errors.New("not a JSON object")
		}
		name, _ := t.(string)
		if !slices.Contains(fields, name) {
			return errors.New("a field that is not one of " + strings.Join(fields, ", ") + " (names are exact)")
		}
		if seen[name] {
			return errors.New("a field given twice")
		}
		seen[name] = true
		var skip json.RawMessage
		if err := tokens.Decode(&skip); err != nil {
			return errors.New("not a JSON object")
		}
	}
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return errors.New("a field of the wrong type")
	}
	return nil
}

func readCapped(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return data, nil
}
