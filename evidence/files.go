package evidence

import (
	"forensics/internal/bundlefile"
	"forensics/probe"
)

// Files evidence adds to a probe's folder (the probe's own are
// probe.FileManifest, probe.FileCanaries, probe.FileTokenizer,
// probe.FileTranscripts, probe.FileRelayLog and the copies of file
// targets).
const (
	FileResults = "results.json"
	FileRoot    = "MERKLE_ROOT"
	// FileSums is the bundle's statement: every other file with its
	// SHA-256 (see Seal).
	FileSums = "SHA256SUMS"
	// FileSignature signs the exact bytes of SHA256SUMS.
	FileSignature = "SHA256SUMS.sig"
)

// Size limits of the files evidence adds. verify reads bundles that may
// come from an adversary, so every read of a bundle file stops at its
// kind's limit (an error naming the file, not an out-of-memory kill); the
// probe's files have theirs in package probe (probe.MaxManifestSize, …).
// Each limit is far above what a probe within the manifest limits writes
// (see probe.MaxPlanQueries), and what verify holds in memory is a small
// multiple of it.
const (
	// MaxResultsSize: results.json grows by a curve point (about 150
	// bytes) per suspect answer, of which there are at most
	// MaxPlanQueries: 10 MiB.
	MaxResultsSize = 64 << 20
	// MaxRootSize: MERKLE_ROOT is 64 hex digits and a newline.
	MaxRootSize = 1 << 10
	// MaxSignatureSize: SHA256SUMS.sig is about 250 bytes of JSON.
	MaxSignatureSize = 4 << 10
	// MaxSumsSize: SHA256SUMS has one line of at most about 320 bytes per
	// file, and a bundle has a dozen files.
	MaxSumsSize = 64 << 10
	// MaxOtherFileSize bounds any other file of a bundle (the rendered
	// reports and report.json, which a report with figures keeps far
	// below).
	MaxOtherFileSize = 64 << 20
)

// Errors of bundle files verify refuses to read; ReadBundleFile wraps them
// in an error naming the file.
var (
	ErrNotRegular = bundlefile.ErrNotRegular
	ErrTooLarge   = bundlefile.ErrTooLarge
)

// bundleFileKinds are the limits of the bundle's files by name; any other
// file is kindOf's default.
var bundleFileKinds = map[string]bundlefile.Kind{
	probe.FileManifest:    {Limit: probe.MaxManifestSize, What: "a manifest"},
	probe.FileCanaries:    {Limit: probe.MaxCanariesSize, What: "a canary set"},
	probe.FileTokenizer:   {Limit: probe.MaxTokenizerSize, What: "a tokenizer"},
	probe.FileTranscripts: {Limit: probe.MaxTranscriptsSize, What: "transcripts"},
	FileResults:           {Limit: MaxResultsSize, What: "results"},
	FileRoot:              {Limit: MaxRootSize, What: "a Merkle root"},
	FileSignature:         {Limit: MaxSignatureSize, What: "a signature"},
	FileSums:              {Limit: MaxSumsSize, What: "a checksum list"},
	probe.FileLedger:      {Limit: probe.MaxLedgerSize, What: "a case ledger"},
}

func kindOf(name string) bundlefile.Kind {
	if k, ok := bundleFileKinds[name]; ok {
		return k
	}
	return bundlefile.Kind{Limit: MaxOtherFileSize, What: "a bundle file"}
}

// BundleFileLimit is the most ReadBundleFile reads of the named file.
func BundleFileLimit(name string) int64 { return kindOf(name).Limit }

// ReadBundleFile reads the file name (a plain file name, no directory) of
// the bundle in dir. It refuses a symbolic link or anything else that is
// not a regular file (an error wrapping ErrNotRegular), and a file larger
// than BundleFileLimit(name) (wrapping ErrTooLarge). A missing file gives
// an error satisfying errors.Is(err, fs.ErrNotExist).
//
// Use it, not os.ReadFile, for every read of a bundle that may come from
// someone else: a link to /dev/zero or a sparse file of a terabyte would
// otherwise take all memory.
func ReadBundleFile(dir, name string) ([]byte, error) {
	return bundlefile.Read(dir, name, kindOf(name))
}

// hashBundleFile is the hex SHA-256 of a bundle file, read in a stream
// under the same checks as ReadBundleFile.
func hashBundleFile(dir, name string) (string, error) {
	return bundlefile.Hash(dir, name, kindOf(name))
}
