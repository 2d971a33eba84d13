package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"forensics/evidence"
	"forensics/watermark"
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
}

func newCmdKeygen(io *ioStreams, runF func(context.Context, *keygenOptions) error) *cobra.Command {
	opts := &keygenOptions{io: io, Params: watermark.DefaultParams()}
	cmd := &cobra.Command{
		Use:   "keygen --out KEY.yaml",
		Short: "Create a watermark key",
		Long: `Create a watermark key: an id, the scheme parameters and a 32-byte secret
from the operating system's random source, written with mode 0600.

The secret is never printed. keygen prints the key id and its commitment
(SHA-256 of the key material), which reports carry instead of the key.

With --signing it makes an ed25519 key pair for signing evidence bundles
instead: the private key at --out (PKCS #8 PEM, mode 0600) and the public
key at --out plus ".pub", to give to whoever verifies.`,
		Example: `  forensics keygen --out key.yaml
  forensics keygen --out acme.yaml --id acme-2026 --gamma 0.25 --delta 2 --context-width 1 --json
  forensics keygen --signing --out signer.key`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Out == "" {
				return usagef("--out is required")
			}
			if err := opts.Params.Validate(); err != nil {
				return &usageError{err}
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
	return cmd
}

func keygenRun(_ context.Context, opts *keygenOptions) error {
	if opts.Signing {
		return keygenSigning(opts)
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
