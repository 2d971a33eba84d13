// Package stats holds the hypothesis-testing arithmetic that forensics' verdicts
// rest on: exact binomial tails in log space, the normal tail without underflow,
// multiple-testing corrections that work on log10 p-values, binomial confidence
// intervals and a seeded permutation test.
//
// Every p-value that can become tiny is handled as a log (natural or base 10)
// so that results far below the smallest float64 (about 1e-308) keep their
// digits: a watermark detected over a few thousand tokens routinely reaches
// p < 1e-1000, and a report must be able to state it.
//
// The package imports only the standard library and gonum; it prints nothing
// and keeps no state.
package stats
