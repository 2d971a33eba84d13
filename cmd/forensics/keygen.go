package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/watermark"
	"forensics/watermark/engine"
	"forensics/watermark/schemes"
)

type keygenOptions struct {
	io        *ioStreams
	Out       string
	ID        string
	Params    watermark.Params
	Overwrite bool
	JSON      bool
	Signing   bool
	Tokenizer string
	// Scheme is the registered scheme (watermark/schemes); PRF, Import
	// and EngineConfigOut apply to the engine schemes.
	Scheme          string
	PRF             string
	Import          string
	EngineConfigOut string
	// set names the engine flags given explicitly, which an imported
	// config must agree with.
	set map[string]bool
}

func newCmdKeygen(io *ioStreams, runF func(context.Context, *keygenOptions) error) *cobra.Command {
	opts := &keygenOptions{io: io, Params: watermark.DefaultParams(), Scheme: watermark.SchemeName, PRF: engine.PRFPhilox}
	cmd := &cobra.Command{
		Use:   "keygen --out KEY.yaml",
		Short: "Create a watermark key",
		Long: `Create a watermark key: an id, the scheme parameters and a 32-byte secret
from the operating system's random source, written with mode 0600.

The secret is never printed. keygen prints the key id and its commitment
(SHA-256 of the key material), which reports carry instead of the key.

With --scheme vllm-red-green or vllm-gumbel it makes the key of a
watermark that a serving engine (vLLM) embeds itself: the integer the
engine's --watermark-config takes (64 bits for --prf philox4x32-10-v1,
256 for hmac-sha256-v1), with the scheme's parameters (vLLM's defaults:
context width 4; γ 0.25 and δ 2 for red-green). --engine-config-out
writes the JSON to give vLLM (it holds the secret; mode 0600). --import
reads an engine's existing key instead of making one: a file holding the
decimal integer, or vLLM's watermark config JSON (key, algorithm, prf,
context_width, gamma, delta). "forensics schemes" lists the schemes.

With --signing it makes an ed25519 key pair for signing evidence bundles
instead: the private key at --out (PKCS #8 PEM, mode 0600) and the public
key at --out plus ".pub", to give to whoever verifies.`,
		Example: `  forensics keygen --out key.yaml
  forensics keygen --out acme.yaml --id acme-2026 --gamma 0.25 --delta 2 --context-width 1 --json
  forensics keygen --scheme vllm-gumbel --out vllm.yaml --engine-config-out vllm-watermark.json
  forensics keygen --scheme vllm-red-green --import vllm-watermark.json --out vllm.yaml
  forensics keygen --signing --out signer.key`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Out == "" {
				return usagef("--out is required")
			}
			if err := keygenCheckScheme(cmd, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return keygenRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Out, "out", "o", "", "path of the key file to create (required)")
	f.StringVar(&opts.ID, "id", "", "key id (default: random wk-… id)")
	f.Float64Var(&opts.Params.Gamma, "gamma", opts.Params.Gamma, "green share of the vocabulary, in (0,1)")
	f.Float64Var(&opts.Params.Delta, "delta", opts.Params.Delta, "logit bias on green pieces when embedding")
	f.IntVar(&opts.Params.ContextWidth, "context-width", opts.Params.ContextWidth, fmt.Sprintf("h: preceding pieces the green list depends on (0..%d)", watermark.MaxContextWidth))
	f.IntVar(&opts.Params.PayloadBits, "payload-bits", opts.Params.PayloadBits, "multi-bit payload size (0 = zero-bit watermark)")
	f.BoolVar(&opts.Overwrite, "force", false, "replace an existing key file (the old key is lost)")
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	f.StringVar(&opts.Tokenizer, "tokenizer", "", "record the served model's tokenizer (embedded, words-v1 or a tokenizer file); detect and probe then refuse any other")
	f.BoolVar(&opts.Signing, "signing", false, "make an ed25519 signing key pair for evidence bundles instead")
	f.StringVar(&opts.Scheme, "scheme", opts.Scheme, "watermark scheme: "+strings.Join(schemes.Names(), ", "))
	f.StringVar(&opts.PRF, "prf", opts.PRF, "an engine scheme's PRF: "+engine.PRFPhilox+" or "+engine.PRFHMAC)
	f.StringVar(&opts.Import, "import", "", "an engine scheme's existing key: a `FILE` (or - for standard input) with the decimal integer or vLLM's watermark config JSON")
	f.StringVar(&opts.EngineConfigOut, "engine-config-out", "", "also write vLLM's --watermark-config JSON for the key to `FILE` (mode 0600; it holds the secret)")
	return cmd
}

func keygenRun(_ context.Context, opts *keygenOptions) error {
	if opts.Signing {
		return keygenSigning(opts)
	}
	if opts.Scheme != watermark.SchemeName {
		return keygenEngine(opts)
	}
	return keygenWatermark(opts)
}

func keygenSigning(opts *keygenOptions) error {
	pub, err := evidence.WriteSigningKey(opts.Out, opts.Overwrite)
	if err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{
			"path": opts.Out, "public_key_path": opts.Out + ".pub", "fingerprint": evidence.KeyFingerprint(pub),
		})
	}
	fmt.Fprintf(opts.io.Out, "wrote signing key %s (mode 0600) and public key %s.pub\nfingerprint %s\n", opts.Out, opts.Out, evidence.KeyFingerprint(pub))
	return nil
}

func keygenWatermark(opts *keygenOptions) error {
	k, err := watermark.NewKey(opts.ID, opts.Params)
	if err != nil {
		return err
	}
	if opts.Tokenizer != "" {
		tk, err := openTokenizer(opts.Tokenizer)
		if err != nil {
			return err
		}
		k.Tokenizer = tk.ID()
	}
	if err := k.WriteFile(opts.Out, opts.Overwrite); err != nil {
		return err
	}
	if opts.JSON {
		return json.NewEncoder(jsonOut(opts.io.Out)).Encode(map[string]any{
			"key_id":     k.ID,
			"path":       opts.Out,
			"scheme":     watermark.SchemeName,
			"params":     k.Params,
			"commitment": k.Commitment(),
			"created":    k.Created,
		})
	}
	fmt.Fprintf(opts.io.Out, "wrote key %s to %s (mode 0600)\n", k.ID, opts.Out)
	fmt.Fprintf(opts.io.Out, "scheme %s  γ=%v δ=%v h=%d payload=%d bits\n", watermark.SchemeName, k.Gamma, k.Delta, k.ContextWidth, k.PayloadBits)
	fmt.Fprintf(opts.io.Out, "commitment sha256:%s\n", k.Commitment())
	return nil
}
