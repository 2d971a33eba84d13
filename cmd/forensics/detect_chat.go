package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"forensics/llm/chattemplate"
)

// chatTemplate is --chat-template: the model's chat template, which turns
// a conversation into the text the model read, and locates in it what the
// model wrote.
type chatTemplate struct {
	tpl  *chattemplate.Template
	opts chattemplate.Options
}

func loadChatTemplate(path string) (*chatTemplate, error) {
	cfg, err := chattemplate.LoadConfig(path)
	if err != nil {
		return nil, fmt.Errorf("--chat-template: %w", err)
	}
	tpl, err := cfg.Template("")
	if err != nil {
		return nil, fmt.Errorf("--chat-template: %w", err)
	}
	return &chatTemplate{tpl: tpl, opts: cfg.Options(false)}, nil
}

// chatMessage is one message of a conversation record.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// conversation renders a record's messages and returns, for each
// assistant message the template keeps, the text the model wrote (a
// document of its own: vLLM's context is the generated tokens, −1 before
// the first) and the rendered text before it (its prompt, whose tuples
// are left out).
func (c *chatTemplate) conversation(ctx context.Context, raw json.RawMessage) (prompts, docs []string, err error) {
	var msgs []chatMessage
	if err := json.Unmarshal(raw, &msgs); err != nil {
		return nil, nil, errors.New(`"messages" must be a list of {"role", "content"} objects`)
	}
	var in []chattemplate.Message
	for i, m := range msgs {
		if m.Role == "" || !utf8.ValidString(m.Content) {
			return nil, nil, fmt.Errorf("message %d has no role or is not UTF-8", i+1)
		}
		in = append(in, chattemplate.Message{Role: m.Role, Content: m.Content})
	}
	rendered, spans, err := c.tpl.Spans(ctx, in, c.opts)
	if err != nil {
		return nil, nil, fmt.Errorf("chat template: %w", err)
	}
	for _, s := range spans {
		if strings.TrimSpace(rendered[s.Start:s.End]) == "" {
			continue
		}
		prompts, docs = append(prompts, rendered[:s.Start]), append(docs, rendered[s.Start:s.End])
	}
	if len(docs) == 0 {
		return nil, nil, errors.New("the conversation has no assistant text the template keeps")
	}
	return prompts, docs, nil
}
