package philox

import (
	"fmt"
	"testing"
)

// TestKnownAnswers: the three philox4x32 10 lines of Random123's
// tests/kat_vectors (github.com/DEShawResearch/random123; counter words,
// key words, expected output words), as its own known-answer test reads
// them.
func TestKnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, c := range cases {
		if got := Block(c.ctr, c.key); got != c.want {
			t.Errorf("Block(%08x, %08x) = %08x, want %08x", c.ctr, c.key, got, c.want)
		}
	}
}

func ExampleBlock() {
	fmt.Printf("%08x\n", Block([4]uint32{}, [2]uint32{}))
	// Output: [6627e8d5 e169c58d bc57ac4c 9b00dbd8]
}

func BenchmarkBlock(b *testing.B) {
	var out [4]uint32
	for i := 0; b.Loop(); i++ {
		out = Block([4]uint32{uint32(i), 1, 2, 3}, [2]uint32{out[0], 7})
	}
}
