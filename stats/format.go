package stats

import (
	"fmt"
	"math"
)

// FormatP writes a p-value from its log10 for readers: plain decimals down
// to 0.001, then two significant digits, and below 1e-300 (where a float64
// cannot hold the value) the power of ten itself.
func FormatP(log10p float64) string {
	switch {
	case log10p >= -3:
		return fmt.Sprintf("%.3g", math.Pow(10, log10p))
	case log10p > -300:
		return fmt.Sprintf("%.2g", math.Pow(10, log10p))
	}
	return fmt.Sprintf("10^%.1f", log10p)
}
