// Package tokenizer splits text into the pieces the watermark is computed
// over, exactly as the model that served the text split it.
//
// The watermark's units are a model's token pieces (byte strings), not token
// ids: Ollama reports pieces and no ids, and pieces survive re-implementations
// of a tokenizer. A Tokenizer therefore returns pieces whose concatenation is
// the input text. A detector that splits differently from the server silently
// weakens every detection, so the package takes a served model's own
// definition and runs Ollama's own code on it:
//
//   - File is a self-contained tokenizer definition (the GGUF keys
//     tokenizer.ggml.*; its id is the SHA-256 of the definition, wherever
//     it came from), read from a
//     GGUF file (FromGGUF, without trusting the file's declared sizes), from
//     an Ollama server's /api/show (FromOllama), or from the file that
//     `forensics tokenizer export` writes (LoadFile), so that detection needs
//     neither the model nor its server.
//   - A File of the "hf" kind carries a Hugging Face tokenizer.json
//     (FromHF, canonical form), which package hf encodes exactly as
//     Hugging Face does; New builds a Vocab from it like any other File.
//   - Vocab, built from a File by New, splits text with Ollama's tokenizer
//     package (byte-level BPE or SentencePiece). BPE pre-tokenizer patterns
//     come from a table of tokenizer.ggml.pre values (PreTokenizer) that
//     follows the llama.cpp runner; an unknown value is an error, not a
//     guess. VerifyOllama checks a Vocab against the token ids a running
//     server produces.
//   - Every definition comes from outside, so loading and encoding are
//     bounded whatever it declares (limits.go), and special tokens are cut
//     out in linear time rather than by Ollama's quadratic splitter.
//   - TrainBPE trains the byte-level BPE vocabulary of the embedded
//     reference model (llm/embedded), deterministically.
//   - Words ("words-v1") is a built-in word splitter for the synthetic toy
//     model and for text whose model's tokenizer is not at hand; a watermark
//     embedded over a real model's pieces must be detected with that model's
//     tokenizer.
package tokenizer
