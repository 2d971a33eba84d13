package serve

import "testing"

func TestPaceBuckets(t *testing.T) {
	prev := 0
	for _, n := range []int{0, 1, 255, 256, 303, 304, 512, 1000, 32768} {
		k := paceKeyOf("m", n)
		lo := 0
		if k.bucket > 0 {
			lo = bucketUpper(k.bucket - 1)
		}
		if n < lo || n >= k.upperPieces() || k.bucket < prev {
			t.Fatalf("%d pieces: bucket %d [%d, %d)", n, k.bucket, lo, k.upperPieces())
		}
		if k.bucket > 0 && float64(k.upperPieces()) > 1.2*float64(lo) {
			t.Fatalf("bucket %d spans [%d, %d)", k.bucket, lo, k.upperPieces())
		}
		prev = k.bucket
	}
}
