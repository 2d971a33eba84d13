// Package evidence turns a probe's folder into an evidence bundle and
// verifies one: Finish writes the battery's results (results.json) and
// the RFC 6962 Merkle root of the transcripts (MERKLE_ROOT), and Seal
// writes the statement, SHA256SUMS, and its ed25519 signature,
// SHA256SUMS.sig; Verify re-checks a bundle from its files alone. Probe
// runs a whole probe (probe.Collect) and finishes it.
//
// It comes after package probe in the pipeline (watermark → serve →
// logscan → probe → evidence → report) and imports it, never the reverse:
// the records of a probe (manifest, transcripts, relay check) and the
// analysis that produces Results are probe's; evidence reads them, with
// ReadBundleFile's checks, and re-derives the results through
// probe.Analyze. Package report renders a sealed bundle and adds its
// files to the statement (Seal, CheckSeal).
//
// A bundle may come from an adversary. Every file is read as a regular
// file under its kind's size limit, the manifest's numbers are bounded
// by probe's Manifest.Validate, a file the statement does not list is
// refused, and Verify stops when its context is done.
package evidence
