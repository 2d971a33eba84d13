package probe

// Files of a probe's folder, written before and during the queries (see
// the package doc); package evidence adds the results and the seal.
const (
	FileManifest    = "manifest.json"
	FileCanaries    = "canaries.yaml"
	FileTokenizer   = "tokenizer.json"
	FileTranscripts = "transcripts.jsonl"
)

// Size limits of the probe's files. A probe's folder becomes an evidence
// bundle, which verify reads from whoever made it, so every read of a
// bundle file stops at its kind's limit (evidence.ReadBundleFile). Each
// limit is far above what a probe within the manifest limits writes (see
// MaxPlanQueries), and what verify holds in memory is a small multiple of
// it.
const (
	// MaxManifestSize: a manifest is a few kilobytes; 1 MiB leaves room
	// for MaxControls long target addresses and a long command line.
	MaxManifestSize = 1 << 20
	// MaxCanariesSize is the canary package's own limit on a set.
	MaxCanariesSize = 16 << 20
	// MaxTokenizerSize is the tokenizer package's own limit on a file
	// (Llama 3's tokenizer is about 10 MB).
	MaxTokenizerSize = 64 << 20
	// MaxTranscriptsSize is MaxPlanQueries records of 8 KiB: a record
	// holds one request and the raw response with its text (a 200-token
	// answer is about 1 KiB of text), and failed queries add a record
	// each. verify holds the file and its records, two or three times
	// this.
	MaxTranscriptsSize = 512 << 20
)

// maxLine bounds one transcript line: a response of maxResponse bytes, JSON
// escaped, plus the request.
const maxLine = 6 * maxResponse
