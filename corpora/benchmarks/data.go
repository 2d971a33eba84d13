// Package benchmarks embeds the shipped benchmark fingerprints,
// default.fp, which forensics/logscan/benchmarks reads (Default).
// default.fp holds only 64-bit shingle hashes, item numbers and suite
// names, built by `forensics scan-logs fingerprints build`; SOURCES.md
// names each suite's origin. No benchmark text is kept in this folder.
package benchmarks

import _ "embed"

// Default is default.fp as shipped.
//
//go:embed default.fp
var Default []byte
