package main

import (
	"os"
	"strings"

	"forensics/llm"
	"forensics/llm/embedded"
	"forensics/llm/tokenizer"
	"forensics/llm/toy"
)

// openModel returns a local model by name.
func openModel(name string) (llm.Model, error) {
	switch name {
	case "embedded":
		return embedded.Load()
	case "toy":
		return toy.New(5000), nil
	}
	return nil, usagef("unknown model %q (available: embedded, toy)", name)
}

// openTokenizer resolves a --tokenizer value: "embedded" (the embedded
// model's tokenizer), "words-v1" (the built-in word splitter), or the path
// of a tokenizer file written by `forensics tokenizer export`.
func openTokenizer(spec string) (tokenizer.Tokenizer, error) {
	switch spec {
	case "embedded":
		m, err := embedded.Load()
		if err != nil {
			return nil, err
		}
		return m.Tokenizer(), nil
	case "words-v1", "words":
		return tokenizer.Words{}, nil
	}
	if _, err := os.Stat(spec); err != nil && !strings.ContainsAny(spec, "/.") {
		return nil, usagef("unknown tokenizer %q (embedded, words-v1, or a tokenizer file)", spec)
	}
	f, err := tokenizer.LoadFile(spec)
	if err != nil {
		return nil, err
	}
	return tokenizer.New(f)
}
