package vllm

import (
	"math"
	"slices"
)

// Model gives the next-token distribution after a prefix of token ids,
// over the whole vocabulary.
type Model interface {
	NextProbs(prefix []int32) []float64
}

// DefaultMaxHistory is vLLM's deduplicate_contexts_max_history.
const DefaultMaxHistory = 8192

// Engine generates token ids as vLLM's GPU watermark sampler does
// (vllm/v1/watermarking/gpu_sampler.py, commit
// 01b21056d9ef95ac8c60654181bd868446ffbace), to simulate an engine's
// output: the logits are the model's log-probabilities in float32 divided
// by the temperature; the context is the last ContextWidth generated
// tokens (the prompt is not part of it; −1 before the first); and with
// Dedup (vLLM's default deduplicate_contexts "single_turn") a position
// whose context occurred at an earlier generated position, among the
// MaxHistory most recent, is sampled by the ordinary sampler, without the
// watermark. Without Dedup ("none") every position is watermarked. vLLM's
// "all" (the prompt searched too, the first ContextWidth tokens never
// watermarked) is not simulated. vLLM does not watermark greedy decoding
// (temperature 0); neither does Generate, which requires Temperature > 0.
type Engine struct {
	Watermarker Watermarker
	Temperature float64
	Dedup       bool
	MaxHistory  int     // 0 means DefaultMaxHistory
	Ban         []int32 // ids whose logits are −Inf (end-of-text under min_tokens)
}

// Generate returns n tokens after prompt.
func (e Engine) Generate(m Model, prompt []int32, n int, ordinary Ordinary) []int64 {
	next := func(prefix []int32) []float32 { return e.logits(m.NextProbs(prefix)) }
	return e.run(next, prompt, n, ordinary)
}

// run generates from processed logits.
func (e Engine) run(next func(prefix []int32) []float32, prompt []int32, n int, ordinary Ordinary) []int64 {
	width := e.Watermarker.ContextWidth()
	maxHistory := e.MaxHistory
	if maxHistory == 0 {
		maxHistory = DefaultMaxHistory
	}
	prefix := slices.Clone(prompt)
	out := make([]int64, 0, n)
	lastSeen := map[string]int{} // context → the latest position it preceded
	for pos := range n {
		ctx := engineContext(out, width)
		key := contextKey(ctx)
		at, seen := lastSeen[key]
		repeated := e.Dedup && seen && at >= pos-maxHistory
		lastSeen[key] = pos
		logits := next(prefix)
		var tok int
		if repeated {
			tok = ordinary(logits)
		} else {
			tok = e.Watermarker.Sample(logits, ctx, ordinary)
		}
		out = append(out, int64(tok))
		prefix = append(prefix, int32(tok))
	}
	return out
}

// engineContext is the watermark context of the next position: the last
// width generated tokens, −1 before the first.
func engineContext(generated []int64, width int) []int64 {
	ctx := make([]int64, width)
	for i := range ctx {
		j := len(generated) - width + i
		ctx[i] = -1
		if j >= 0 {
			ctx[i] = generated[j]
		}
	}
	return ctx
}

func (e Engine) logits(p []float64) []float32 {
	t := float32(e.Temperature)
	out := make([]float32, len(p))
	for i, x := range p {
		out[i] = float32(math.Log(x)) / t
	}
	for _, b := range e.Ban {
		out[b] = float32(math.Inf(-1))
	}
	return out
}
