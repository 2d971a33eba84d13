// Package measure is the one switch between the unit suite and the long
// measurements: FORENSICS_MEASURE=1 (`make measure`) runs the measurements
// at full size; without it a test runs its small seeded version or skips.
package measure

import (
	"os"
	"testing"
)

// Enabled reports whether FORENSICS_MEASURE is set to anything but "" or "0".
func Enabled() bool {
	v := os.Getenv("FORENSICS_MEASURE")
	return v != "" && v != "0"
}

// Require skips t unless measurements are enabled; about says what the
// measurement is and how long it takes, for the skip message.
func Require(t testing.TB, about string) {
	t.Helper()
	if !Enabled() {
		t.Skipf("a measurement (%s): make measure, or FORENSICS_MEASURE=1", about)
	}
}
