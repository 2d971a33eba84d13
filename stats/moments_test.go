package stats

import (
	"math"
	"testing"
)

func TestMeanSD(t *testing.T) {
	// The textbook example: Σ(x − 5)² = 32 over n − 1 = 7.
	mean, sd := MeanSD([]float64{2, 4, 4, 4, 5, 5, 7, 9})
	if mean != 5 || math.Abs(sd-math.Sqrt(32.0/7)) > 1e-15 {
		t.Errorf("MeanSD = %v, %v; want 5, %v", mean, sd, math.Sqrt(32.0/7))
	}
	if mean, sd := MeanSD([]float64{3.5}); mean != 3.5 || sd != 0 {
		t.Errorf("one value: %v, %v; want 3.5, 0", mean, sd)
	}
	if mean, sd := MeanSD(nil); !math.IsNaN(mean) || sd != 0 {
		t.Errorf("no values: %v, %v; want NaN, 0", mean, sd)
	}
}
