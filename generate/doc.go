// Package generate produces text from a model with the watermark embedded,
// so that every piece is an exact sample from the watermarked distribution
// q (watermark.Scheme.Tilt). It has two loops, for the two kinds of
// backend:
//
//   - Run asks an llm.Model for its top candidates one piece at a time and
//     samples each piece from q itself. `forensics generate`, the probe's
//     embedded: targets and the distillation experiment use it.
//   - Speculative drives an llm.Streamer, a backend that samples by itself
//     (Ollama, which has no logits hook, or the embedded model's
//     Streamer). Each piece it streams is a draft, accepted with
//     probability min(1, q/p_T) or replaced from the residual (q − p_T)⁺,
//     after which the stream restarts from the new prefix. The gateway
//     (serve) serves every model through this loop.
//
// With a nil scheme both sample the model's own distribution (no
// watermark). Both leave the first h pieces untilted (the context starts empty
// at the first generated piece, as detection scores) and never tilt the
// end token. Speculative's randomness is a 32-byte seed
// (StreamOptions.Seed): a gateway derives it from the watermark key
// (watermark.Scheme.SamplingSeed), never from the client, since a client
// that knew it could replay the drafts and read off the green list.
// SeedFromUint64 is for tests and local tools, whose user holds the key.
package generate
