package logscan

import (
	"math/rand/v2"
	"testing"
)

// TestBandSetIsAMap: the band set answers as the map it replaced, capped
// at maxBuckets keys, through the switch from slice to bitset, for
// accounts with few and with many distinct bands.
func TestBandSetIsAMap(t *testing.T) {
	for _, c := range []struct {
		name     string
		adds     int
		universe uint32
	}{
		{"few keys", 300, bandKeys},
		{"repeats", 20000, 3000},
		{"past the cap", 30000, bandKeys},
		{"edges", 50, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(c.adds), 1))
			var s bandSet
			ref := map[uint32]struct{}{}
			for i := range c.adds {
				key := rng.Uint32N(c.universe)
				if c.name == "edges" {
					key = []uint32{0, bandKeys - 1, 63, 64}[i%4]
				}
				_, want := ref[key]
				if got := s.has(key); got != want {
					t.Fatalf("add %d: has(%d) = %v, want %v", i, key, got, want)
				}
				if !want && len(ref) < maxBuckets {
					ref[key] = struct{}{}
					s.add(key)
				}
				if s.len() != len(ref) {
					t.Fatalf("add %d: len %d, want %d", i, s.len(), len(ref))
				}
			}
			if s.count() != len(ref) {
				t.Fatalf("%d keys set, want %d", s.count(), len(ref))
			}
		})
	}
}
