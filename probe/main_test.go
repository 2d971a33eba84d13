package probe_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any leave a goroutine running: a
// probe run (Run's errgroup) or the battery's key-swap null that returns
// before its goroutines end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
