package hf

import (
	"fmt"
	"time"
	"unicode/utf8"
)

// Limits on a tokenizer.json. The file comes from outside (a model
// repository, a bundle), so every cost of loading it and of encoding with
// it is bounded by these values whatever it declares. Each is several
// times what the largest current tokenizers need.
const (
	// MaxFileBytes bounds the tokenizer.json read. Gemma 3's is 33 MB.
	MaxFileBytes = 64 << 20
	// maxTokens bounds the vocabulary and the largest token id. Gemma 3
	// has 262,145 tokens, a quarter of it.
	maxTokens = 1 << 20
	// maxMerges bounds the BPE merges (Gemma 3: 514,906).
	maxMerges = 2 * maxTokens
	// maxTokenBytes bounds one vocabulary entry: the merges of a word
	// cost up to this much per merge. The longest of the four reference
	// tokenizers are 256 bytes (128 byte-level characters).
	maxTokenBytes = 1024
	// maxAddedTokens bounds the added tokens (Gemma 3: 6,415).
	maxAddedTokens = 1 << 16
	// maxAddedBytes bounds one added token: they are matched by walking
	// a trie from every byte of the text, so matching costs up to this
	// many steps per byte. The longest of the reference files is 93 bytes.
	maxAddedBytes = 256
	// maxComponents bounds the normalizers, pre-tokenizers and decoders
	// in a file, and maxDepth their nesting in Sequences.
	maxComponents = 64
	maxDepth      = 4
	// maxPatternBytes bounds a Split or Replace pattern.
	maxPatternBytes = 4096
)

// matchTimeout bounds one regular-expression match on the text, so that a
// pattern that backtracks catastrophically fails the encode rather than
// hanging it (tests shorten it).
var matchTimeout = 10 * time.Second

// clip quotes s for an error message, cut to a few dozen bytes: names in
// a file come from outside and may be megabytes long.
func clip(s string) string {
	const n = 40
	if len(s) <= n {
		return fmt.Sprintf("%q", s)
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%q… (%d bytes)", s[:cut], len(s))
}
