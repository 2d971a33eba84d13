package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"forensics/logline"
)

// TestChatRenderer: the openai backend's chats are rendered by the
// model's own template, ending with the generation prompt, and the
// template's leading bos_token is left to the engine unless kept.
func TestChatRenderer(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "tokenizer_config.json")
	tpl := "{{ bos_token }}{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}<|end|>{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
	b, _ := json.Marshal(map[string]any{"chat_template": tpl, "bos_token": "<s>", "eos_token": "<|end|>"})
	if err := os.WriteFile(cfg, b, 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := []logline.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi {{ x }}"}}
	for _, c := range []struct {
		keep bool
		want string
	}{
		{false, "<|system|>Be brief.<|end|><|user|>Hi {{ x }}<|end|><|assistant|>"},
		{true, "<s><|system|>Be brief.<|end|><|user|>Hi {{ x }}<|end|><|assistant|>"},
	} {
		render, err := chatRenderer(cfg, c.keep)
		if err != nil {
			t.Fatal(err)
		}
		got, err := render(context.Background(), msgs)
		if err != nil || got != c.want {
			t.Errorf("keep BOS %v: %q %v, want %q", c.keep, got, err, c.want)
		}
	}
	if _, err := chatRenderer(filepath.Join(t.TempDir(), "missing.json"), false); err == nil {
		t.Error("a missing tokenizer_config.json was accepted")
	}
}
