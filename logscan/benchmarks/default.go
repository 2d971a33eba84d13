package benchmarks

import (
	"bytes"
	"fmt"
	"sync"

	benchdata "forensics/corpora/benchmarks"
)

// Default is the shipped set (corpora/benchmarks/default.fp; its
// SOURCES.md names the suites), read once on first use.
func Default() *Set { return loadDefault() }

var loadDefault = sync.OnceValue(func() *Set {
	s, err := Read(bytes.NewReader(benchdata.Default))
	if err != nil {
		// The file is embedded at build time and a test reads it: a failure
		// here is a broken build, like a bad regexp.MustCompile pattern.
		panic(fmt.Sprintf("benchmarks: shipped fingerprints: %v", err))
	}
	return s
})
