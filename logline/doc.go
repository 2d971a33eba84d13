// Package logline is the gateway's request log line (docs/design.md, "Request
// log"): the one type the gateway writes (Entry), how it is encoded
// (Marshal), and the part of it a scan reads (View), with a parser for
// that part that skips encoding/json's reflection (Parse).
//
// The gateway (package serve) writes Entry values; the scanner (package
// logscan) reads Views; the traffic simulator writes Entry values. A line
// is one JSON object; the log writer (package reqlog) adds "seq" and
// "prev" to each. This package imports only the standard library.
package logline
