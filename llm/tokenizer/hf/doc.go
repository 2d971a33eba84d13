// Package hf reads a Hugging Face tokenizer.json (the file vLLM, SGLang
// and TensorRT-LLM load) and encodes text to exactly the token ids
// Hugging Face's tokenizers give with add_special_tokens=false: the
// post-processor's tokens (a BOS) are not added, and special tokens
// written in the text are read as those tokens. EncodeWithSpecialTokens
// adds the post-processor's tokens (add_special_tokens=true).
//
// Everything that decides the ids is read from the file, with no table by
// model family: the added tokens (special or not; lstrip, rstrip,
// single_word, normalized), cut out before normalization as Hugging Face
// does; the normalizers (Sequence, NFC, NFD, NFKC, NFKD, Lowercase,
// StripAccents, Strip, Prepend, Replace); the pre-tokenizers (Sequence,
// Split with a string or an Oniguruma regex and any of its five
// behaviors, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit,
// Punctuation); the BPE model (merges as "a b" strings or [a, b] pairs,
// ignore_merges, byte_fallback, unk_token with fuse_unk); the decoder,
// for the piece each token stands for. That covers byte-level BPE (Qwen3,
// Llama 3, DeepSeek-V3, GPT-OSS) and the SentencePiece-style files
// (Gemma 3). Regexes are translated from Oniguruma's semantics to
// regexp2's (regex.go).
//
// A tokenizer.json comes from outside: reading it is bounded in size and
// counts (limits.go), its encoding in time (linear in the text, a regex
// match bounded by a timeout), and any component, kind or setting not
// implemented exactly (Unigram, WordPiece, Precompiled, dropout,
// truncation, an unknown field) is an error that names it, never a guess.
//
// The ids are checked against Hugging Face's own JavaScript
// implementation on four current models' files (agreement_test.go).
package hf
