package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"forensics/internal/termsafe"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
)

func newCmdTokenizer(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokenizer",
		Short: "Export a served model's tokenizer for offline detection",
		Args:  maxArgs(0),
	}
	cmd.AddCommand(newCmdTokenizerExport(io, nil))
	return cmd
}

type tokenizerExportOptions struct {
	io       *ioStreams
	From     string
	Out      string
	NoVerify bool
	JSON     bool
}

func newCmdTokenizerExport(io *ioStreams, runF func(context.Context, *tokenizerExportOptions) error) *cobra.Command {
	opts := &tokenizerExportOptions{io: io}
	cmd := &cobra.Command{
		Use:   "export --from SOURCE --out TOK.json",
		Short: "Write a self-contained tokenizer file",
		Long: `Read a model's tokenizer and write it as one self-contained file, so that
detection splits text exactly as the served model does without the model
(or its server) at hand. Pass the file to other commands with --tokenizer.

Sources:
  gguf:PATH                  a GGUF model file (its tokenizer.ggml.* keys)
  hf:DIR                     a Hugging Face model directory (its tokenizer.json,
                             and tokenizer_config.json for the EOS token)
  hf:PATH/tokenizer.json     a Hugging Face tokenizer.json (what vLLM, SGLang
                             and TensorRT-LLM load)
  ollama://HOST:PORT/MODEL   an Ollama server (/api/show, verbose)
  embedded                   the embedded reference model

The file's id (sha256 of its content) is printed and recorded in every
detection result made with it. An unknown pre-tokenizer (tokenizer.ggml.pre)
is an error rather than a guess, and so is any part of a tokenizer.json that
is not implemented exactly (a normalizer, pre-tokenizer, model or decoder
kind, or setting, named in the error); text is encoded as Hugging Face's
encode with add_special_tokens=false. From an Ollama server, the tokenizer is
also checked against the server itself: a few probe texts must split into
exactly the token ids the server uses (this loads the model; --no-verify
skips it).`,
		Example: `  forensics tokenizer export --from ollama://127.0.0.1:11434/llama3.2:1b --out llama32.json
  forensics tokenizer export --from gguf:model.gguf --out tok.json --json
  forensics tokenizer export --from hf:Qwen3-8B --out qwen3.json
  forensics detect --key key.yaml --tokenizer llama32.json answer.txt`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.From == "" || opts.Out == "" {
				return usagef("--from and --out are required")
			}
			if opts.From == "hf:" || opts.From == "gguf:" {
				return usagef("--from %s needs a path", opts.From)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tokenizerExportRun(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "gguf:PATH, hf:DIR, hf:PATH/tokenizer.json, ollama://HOST:PORT/MODEL or embedded (required)")
	f.StringVarP(&opts.Out, "out", "o", "", "tokenizer file to write (required)")
	f.BoolVar(&opts.NoVerify, "no-verify", false, "skip checking an Ollama model's tokenizer against the server")
	f.BoolVar(&opts.JSON, "json", false, "print the result as JSON")
	return cmd
}

func tokenizerExportRun(ctx context.Context, opts *tokenizerExportOptions) error {
	var f *tokenizer.File
	var err error
	if opts.From == "embedded" {
		f, err = tokenizer.ReadFile(bytes.NewReader(embedded.Shipped().Tokenizer))
	} else {
		f, err = tokenizer.FromSource(ctx, opts.From)
	}
	if err != nil {
		return err
	}
	// Building it proves the file works before anyone relies on it.
	tk, err := tokenizer.New(f)
	if err != nil {
		return err
	}
	verified := false
	if strings.HasPrefix(opts.From, "ollama://") && !opts.NoVerify {
		base, model, _ := tokenizer.ParseOllamaSource(opts.From)
		if err := tokenizer.VerifyOllama(ctx, base, model, tk, nil); err != nil {
			return err
		}
		verified = true
	}
	if err := f.WriteFile(opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.io.Out, map[string]any{
			"path": opts.Out, "id": f.ID(), "tokenizer_id": tk.ID(), "model": f.Model, "pre": f.Pre,
			"tokens": tk.Size(), "merges": len(f.Merges), "source": f.Source, "verified_against_server": verified,
		})
	}
	// Model and source name what a model file or server said.
	if f.Model == tokenizer.ModelHF {
		fmt.Fprintf(opts.io.Out, "wrote %s: Hugging Face tokenizer.json, %d tokens\n", opts.Out, tk.Size())
	} else {
		fmt.Fprintf(opts.io.Out, "wrote %s: %s tokenizer (pre %q), %d tokens, %d merges\n", opts.Out, termsafe.Line(f.Model), f.Pre, len(f.Tokens), len(f.Merges))
	}
	fmt.Fprintf(opts.io.Out, "id %s\nsource %s\n", f.ID(), termsafe.Line(f.Source))
	if verified {
		fmt.Fprintf(opts.io.Out, "verified: %d probe texts split exactly as the server splits them\n", len(tokenizer.ProbeTexts))
	}
	return nil
}
