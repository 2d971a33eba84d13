package serve

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math"
	"strconv"

	"forensics/watermark"
)

// generationSeed is the secret randomness of one generation: every
// acceptance draw and every upstream request's sampling seed derive from
// it (generate.StreamOptions.Seed).
//
// With a watermark it is keyed (watermark.Scheme.SamplingSeed) over the
// account, the model, the rendered prompt, the sampling options and the
// client's seed: the same account asking the same thing with the same seed
// gets the same answer, as a client expects of a seed, but no client can
// compute the draws, so replaying the drafts with the public model reveals
// nothing. Without a client seed the seed is fresh from crypto/rand, except
// when the request asked for a temperature below the watermark's floor: it
// wanted (near-)greedy, repeatable output, and gets repeatable output at
// the floor. Unwatermarked generations hide nothing and hash the same
// inputs without a key.
//
// Repeatable answers repeat within a repeat window only: its index
// (repeatWindow.index of the time the request is served as) is one more
// input, for every account, so at each boundary every repeatable answer
// changes for everyone alike. A case switch, which changes the key and so
// the answer, takes effect only at a boundary: a client that re-sends one
// seeded request sees its answer change exactly when every other
// account's does, in a case or not (docs/cases.md).
func generationSeed(acct *account, scheme *watermark.Scheme, upstream string, gr *genRequest, temp float64, floored bool, window int64) [32]byte {
	if gr.seed == nil && !floored {
		var b [32]byte
		rand.Read(b[:])
		return b
	}
	client := uint64(0)
	if gr.seed != nil {
		client = *gr.seed
	}
	parts := [][]byte{
		[]byte("forensics/generation-seed/v2"),
		[]byte(acct.name),
		[]byte(upstream),
		[]byte(gr.prompt),
		binary.LittleEndian.AppendUint64(nil, math.Float64bits(temp)),
		[]byte(strconv.Itoa(gr.maxTok) + "/" + strconv.Itoa(gr.minTok)),
		binary.LittleEndian.AppendUint64(nil, client),
		binary.LittleEndian.AppendUint64(nil, uint64(window)),
	}
	for _, s := range gr.stop {
		parts = append(parts, []byte(s))
	}
	if scheme != nil {
		return scheme.SamplingSeed(parts...)
	}
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// repeatableDrafts is a backend that may not give the same drafts for the
// same seeded request (an engine that ignores the seed, or whose batching
// changes its numerics).
type repeatableDrafts interface{ RepeatableDrafts() bool }

// repeatable reports whether a backend's drafts repeat for a repeated
// seeded request. A repeatable request (a client seed, a temperature
// raised to the floor) fixes the acceptance draws; against drafts that
// change, fixed draws let a client that repeats the request see which
// tokens are always refused, the red ones (a review measured a balanced
// accuracy of 0.96 at telling green from red that way). Such a backend
// gets fresh draws for every request: its seeded requests do not repeat.
func repeatable(b Backend) bool {
	r, ok := b.(repeatableDrafts)
	return !ok || r.RepeatableDrafts()
}
