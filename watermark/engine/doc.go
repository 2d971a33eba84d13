// Package engine holds the keys of watermarks that serving engines embed
// themselves (vLLM's red-green and Gumbel-max schemes, package
// watermark/vllm), and detects them: on token ids, on text split by the
// served model's tokenizer, and pooled over a suspect's answers with a
// key-swap null (the probe's radioactivity test for these schemes).
//
// A provider that serves with such an engine keeps its engine, and keeps
// the key here in the engine's own form: the integer passed to the
// engine's watermark configuration, with the scheme, the PRF and the
// parameters beside it (Key, ParseKey; VLLMConfig writes the engine's
// configuration back). The detection is exact where the engine's is not:
// the red-green test is the binomial tail against the exact null green
// probability of the engine's 24-bit uniform grid, in log space; the
// Gumbel test is a valid upper bound of the discrete null's tail (see
// package vllm), so p-values far below 1e-300 are still right.
//
// Package schemes puts these keys and this project's own
// kgw-siphash24-v1 keys behind one registry.
package engine
