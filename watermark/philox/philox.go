// Package philox is the Philox4x32-10 counter-based block function of
// Salmon, Moraes, Dror and Shaw, "Parallel Random Numbers: As Easy as 1,
// 2, 3" (SC '11, doi:10.1145/2063384.2063405): four 32-bit counter words
// and two key words in, four pseudo-random words out, ten rounds. It is
// the default PRF of vLLM's engine watermarks (philox4x32-10-v1), which
// this project reads the evidence of (issue 18).
package philox

import "math/bits"

// The round multipliers and the key schedule's Weyl increments, from the
// paper (and Random123's philox.h).
const (
	m0 = 0xD2511F53
	m1 = 0xCD9E8D57
	w0 = 0x9E3779B9 // golden ratio
	w1 = 0xBB67AE85 // sqrt(3) - 1
)

// Rounds is the number of rounds of Philox4x32-10.
const Rounds = 10

// Block applies Philox4x32-10 to a counter under a key.
func Block(ctr [4]uint32, key [2]uint32) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	k0, k1 := key[0], key[1]
	for r := 0; r < Rounds; r++ {
		hi0, lo0 := bits.Mul32(m0, c0)
		hi1, lo1 := bits.Mul32(m1, c2)
		c0, c1, c2, c3 = hi1^c1^k0, lo1, hi0^c3^k1, lo0
		k0 += w0
		k1 += w1
	}
	return [4]uint32{c0, c1, c2, c3}
}
