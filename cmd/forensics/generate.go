package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"forensics/generate"
	"forensics/watermark"
)

type generateOptions struct {
	io          *ioStreams
	KeyPath     string
	Model       string
	Prompt      string
	MaxTokens   int
	MinTokens   int
	Temperature float64
	Seed        uint64
	SeedSet     bool
	NoWatermark bool
	JSON        bool
}

func newCmdGenerate(io *ioStreams, runF func(context.Context, *generateOptions) error) *cobra.Command {
	opts := &generateOptions{io: io}
	cmd := &cobra.Command{
		Use:   "generate --key KEY.yaml --prompt TEXT",
		Short: "Generate watermarked text with a local model",
		Long: `Generate text with a local model, sampling every piece from the
watermarked distribution of the key (or, with --no-watermark, from the
model's own distribution).

Models: "embedded" (the default), the reference n-gram model built into
the binary (trained on public-domain 19th-century prose, so it writes in
that register); "toy", a synthetic model whose next-piece distributions are
known exactly (its text is word salad; it exists to test the watermark).

Like a model served through Ollama, sampling is among the 20 most likely
pieces at each step.`,
		Example: `  forensics generate --key key.yaml --prompt "The letter said" --max-tokens 200 --seed 1
  forensics generate --key key.yaml --prompt "The letter said" --json | jq '.tokens[0]'
  forensics generate --no-watermark --prompt "The letter said" --min-tokens 200`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.KeyPath == "" && !opts.NoWatermark {
				return usagef("--key is required (or --no-watermark)")
			}
			if opts.MaxTokens < 0 || opts.MaxTokens > 1<<20 {
				return usagef("--max-tokens %d is outside 0..%d", opts.MaxTokens, 1<<20)
			}
			if math.IsNaN(opts.Temperature) || opts.Temperature < 0 || opts.Temperature > 10 {
				return usagef("--temperature %v is outside [0,10]", opts.Temperature)
			}
			opts.SeedSet = cmd.Flags().Changed("seed")
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return generateRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.KeyPath, "key", "k", "", "watermark key file")
	f.StringVar(&opts.Model, "model", "embedded", "model to generate with (embedded, toy)")
	f.StringVarP(&opts.Prompt, "prompt", "p", "", "text to continue")
	f.IntVar(&opts.MaxTokens, "max-tokens", 200, "pieces to generate at most")
	f.IntVar(&opts.MinTokens, "min-tokens", 0, "do not end before this many pieces")
	f.Float64Var(&opts.Temperature, "temperature", 0.8, "sampling temperature (0 = greedy, which carries no watermark)")
	f.Uint64Var(&opts.Seed, "seed", 0, "random seed (default: a fresh one, printed with --json)")
	f.BoolVar(&opts.NoWatermark, "no-watermark", false, "sample from the model without the watermark")
	f.BoolVar(&opts.JSON, "json", false, "print text, pieces and their green bits as JSON")
	return cmd
}

func generateRun(ctx context.Context, opts *generateOptions) error {
	m, err := openModel(opts.Model)
	if err != nil {
		return err
	}
	var scheme *watermark.Scheme
	keyID := ""
	if !opts.NoWatermark {
		k, err := watermark.LoadKey(opts.KeyPath)
		if err != nil {
			return err
		}
		scheme, keyID = watermark.NewScheme(k), k.ID
	}
	if !opts.SeedSet {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		opts.Seed = binary.LittleEndian.Uint64(b[:])
	}
	out, err := generate.Run(ctx, m, scheme, opts.Prompt, generate.Options{
		MaxTokens: opts.MaxTokens, MinTokens: opts.MinTokens, Temperature: opts.Temperature, Seed: opts.Seed,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return errors.New("interrupted")
		}
		return err
	}
	if opts.JSON {
		return writeJSON(opts.io.Out, struct {
			generate.Output
			Model       string  `json:"model"`
			KeyID       string  `json:"key_id,omitempty"`
			Seed        uint64  `json:"seed"`
			Temperature float64 `json:"temperature"`
		}{out, m.Name(), keyID, opts.Seed, opts.Temperature})
	}
	fmt.Fprintln(opts.io.Out, out.Text)
	return nil
}
