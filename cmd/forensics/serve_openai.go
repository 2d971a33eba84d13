package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"forensics/llm/chattemplate"
	"forensics/llm/openaicompat"
	"forensics/llm/tokenizer"
	"forensics/logline"
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
	var render serve.ChatRenderer
	if o.ChatTemplate != "" {
		if render, err = chatRenderer(cfg.Path(o.ChatTemplate), o.ChatTemplateKeepBOS); err != nil {
			return nil, fmt.Errorf("backend openai chat_template: %w", err)
		}
	}
	return serve.NewOpenAIBackend(c, render), nil
}

// chatRenderer renders chats with a model's chat template, as its own
// server would, ending with the generation prompt. Unless keepBOS, a
// leading bos_token the template writes is left to the engine, which adds
// one to every completion prompt (two would change what the model reads).
func chatRenderer(path string, keepBOS bool) (serve.ChatRenderer, error) {
	cfg, err := chattemplate.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	tpl, err := cfg.Template("")
	if err != nil {
		return nil, err
	}
	opts := cfg.Options(true)
	return func(ctx context.Context, msgs []logline.Message) (string, error) {
		in := make([]chattemplate.Message, len(msgs))
		for i, m := range msgs {
			in[i] = chattemplate.Message{Role: m.Role, Content: m.Content}
		}
		out, err := tpl.Render(ctx, in, opts)
		if err != nil {
			return "", err
		}
		if !keepBOS && opts.BOSToken != "" {
			out = strings.TrimPrefix(out, opts.BOSToken)
		}
		return out, nil
	}, nil
}
