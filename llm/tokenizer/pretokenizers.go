package tokenizer

import (
	"fmt"
	"sort"
	"strings"
)

// Pre-tokenizer regexes for BPE vocabularies, by the value of the GGUF key
// tokenizer.ggml.pre. Ollama exports no such table: the llama.cpp runner
// (which serves llama-architecture GGUFs) maps the names in
// llama/llama.cpp/src/llama-vocab.cpp, and the Go engine chooses patterns
// per architecture in model/models/*/model.go. This table is written from
// both (Ollama v0.17.4); where they disagree it follows llama.cpp, and
// `tokenizer export` checks the result against the server itself.
//
// The trap this table exists for: "default" means GPT-2's single pattern
// in Ollama's Go engine but a four-pattern set (punctuation runs, GPT-2,
// digit runs, then groups of three digits) in llama.cpp, and a model served
// by the llama.cpp runner splits "1805" into "180" and "5". A tokenizer that
// splits differently from the server silently weakens every detection.
//
// Patterns use the syntax of github.com/dlclark/regexp2 (RE2 mode with
// look-ahead), as Ollama's BytePairEncoding compiles them; several patterns
// are applied one after the other.
var (
	// GPT-2's byte-level pattern (llama.cpp: "gpt-2"; Ollama's Go engine
	// default).
	preGPT2 = []string{`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`}
	// llama.cpp's LLAMA_VOCAB_PRE_TYPE_DEFAULT, used for "default" and any
	// name llama.cpp does not know.
	preLlamaCppDefault = []string{
		`[\p{P}\$\+<=>\^~\|]+`,
		`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`,
		`\p{N}+`,
		`[0-9][0-9][0-9]`,
	}
	// Llama 3 (tiktoken cl100k style): digits in runs of up to three.
	preLlama3 = []string{`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`}
	// Qwen 2/3: like Llama 3 but every digit alone.
	preQwen2 = []string{`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`}
	// GPT-4o (o200k): case-aware words with attached contractions.
	preGPT4o = []string{`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`}
	// Mistral's Tekken.
	preTekken = []string{`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`}
	// Refact / StarCoder: single digits, then GPT-2.
	preRefact = []string{`\p{N}`, preGPT2[0]}
	// DeepSeek V3: digit runs, CJK runs, then words and punctuation.
	preDeepSeekV3 = []string{
		`\p{N}{1,3}`,
		`[一-龥぀-ゟ゠-ヿ]+`,
		"[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
	}
)

var preTokenizers = map[string][]string{
	"default":     preLlamaCppDefault,
	"gpt-2":       preGPT2,
	"phi-2":       preGPT2,
	"llama3":      preLlama3,
	"llama-bpe":   preLlama3,
	"smaug-bpe":   preLlama3,
	"dbrx":        preLlama3,
	"glm4":        preLlama3,
	"lfm2":        preLlama3,
	"olmo":        preLlama3,
	"qwen2":       preQwen2,
	"qwen35":      preQwen2,
	"gpt-4o":      preGPT4o,
	"gpt-oss":     preGPT4o,
	"llama4":      preGPT4o,
	"tekken":      preTekken,
	"pixtral":     preTekken,
	"refact":      preRefact,
	"starcoder":   preRefact,
	"deepseek-v3": preDeepSeekV3,
}

// PreTokenizer returns the regexes for a tokenizer.ggml.pre value. An empty
// value means "default". An unknown value is an error: guessing would
// split text differently from the served model and silently weaken every
// detection made with it.
func PreTokenizer(name string) ([]string, error) {
	if name == "" {
		name = "default"
	}
	if p, ok := preTokenizers[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown pre-tokenizer %s (known: %s)", clip(name), strings.Join(KnownPreTokenizers(), ", "))
}

// KnownPreTokenizers lists the tokenizer.ggml.pre values PreTokenizer knows.
func KnownPreTokenizers() []string {
	names := make([]string, 0, len(preTokenizers))
	for n := range preTokenizers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
