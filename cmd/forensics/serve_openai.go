package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"forensics/llm/openaicompat"
	"forensics/llm/tokenizer"
	"forensics/serve"
)

// openAIBackend opens an OpenAI-compatible engine: its key from the
// environment or a file, its model's tokenizer if the config names one.
func openAIBackend(cfg *serve.Config) (serve.Backend, error) {
	o := cfg.Backend.OpenAI
	key, err := openaicompat.APIKeyFrom(o.APIKeyEnv, cfg.Path(o.APIKeyFile))
	if err != nil {
		return nil, err
	}
	opts := openaicompat.Options{APIKey: key, Logprobs: openaicompat.LogprobsMode(o.Logprobs), EOSTokens: o.EOSTokens,
		Chunk: cfg.Backend.ChunkTokens, SeedBits: o.SeedBits}
	if o.Tokenizer != "" {
		f, err := tokenizer.FromSource(context.Background(), o.Tokenizer)
		if err != nil {
			return nil, fmt.Errorf("backend openai tokenizer: %w", err)
		}
		if opts.Vocab, err = tokenizer.New(f); err != nil {
			return nil, fmt.Errorf("backend openai tokenizer: %w", err)
		}
	}
	u, err := url.Parse(cfg.Backend.URL)
	if err != nil {
		return nil, fmt.Errorf("backend url: %w", err)
	}
	c, err := openaicompat.New(u, &http.Client{Timeout: cfg.Backend.Timeout.Duration}, opts)
	if err != nil {
		return nil, err
	}
	return serve.NewOpenAIBackend(c), nil
}
