package main

import (
	"strings"
	"testing"

	"forensics/serve"
)

// TestOpenAIBackendFromConfig: the openai backend reads its key from the
// named variable (refusing to start without it) and never shows it.
func TestOpenAIBackendFromConfig(t *testing.T) {
	cfg, err := serve.ParseConfig([]byte("backend: {kind: openai, url: \"http://user:pw@gpu:8000/v1\", openai: {api_key_env: FORENSICS_TEST_VLLM_KEY, seed_bits: 32}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serveBackend(cfg); err == nil || !strings.Contains(err.Error(), "FORENSICS_TEST_VLLM_KEY") {
		t.Fatalf("without the variable: %v", err)
	}
	t.Setenv("FORENSICS_TEST_VLLM_KEY", "sk-secret-value")
	b, err := serveBackend(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if name := b.Name(); strings.Contains(name, "sk-secret") || strings.Contains(name, "pw") || !strings.Contains(name, "gpu:8000") {
		t.Fatalf("name %q", name)
	}
}
