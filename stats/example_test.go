package stats_test

import (
	"fmt"

	"forensics/stats"
)

// The watermark detector's test: of N scored tuples, S are green, and each
// is green with probability γ = 0.25 in text written without the key. The
// tail stays exact where a float64 p-value would underflow to 0.
func ExampleLog10BinomUpperTail() {
	for _, c := range []struct{ s, n int }{
		{55, 198},     // about γN green: no evidence
		{137, 198},    // a watermarked answer
		{7000, 10000}, // a long transcript set: p far below 1e-308
	} {
		lp := stats.Log10BinomUpperTail(c.s, c.n, 0.25)
		fmt.Printf("S=%d N=%d: log10 p = %.2f, p = %s\n", c.s, c.n, lp, stats.FormatP(lp))
	}
	// Output:
	// S=55 N=198: log10 p = -0.69, p = 0.205
	// S=137 N=198: log10 p = -38.14, p = 7.2e-39
	// S=7000 N=10000: log10 p = -1938.28, p = 10^-1938.3
}
