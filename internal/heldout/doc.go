// Package heldout writes a labelled request log for judging scan-logs on
// traffic it was not tuned on: 14 days of people, legitimate pipelines
// and distillation campaigns through the gateway, in the gateway's log
// layout (logline.Entry), with the business's accounts file
// (logscan.AccountInfo) and the answer key (logscan.Labels).
//
// It was written by a helper that did not read the scanner (package
// logscan beyond its label, account and record types), the project's own
// simulator (internal/traffic) or their tests, only the public
// documentation an attacker would read (README.md, docs/scan-logs.md).
// Its population, vocabulary, languages, timing and networks are its own.
// docs/heldout.md lists the kinds. Fix the scanner's thresholds before
// running it on this data: a threshold chosen after seeing these results
// makes them one more training set.
//
// Generate is deterministic: the same Config writes the same bytes.
package heldout
