package probe

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Size limits of a bundle's files. verify reads bundles that may come from
// an adversary, so every read of a bundle file stops at its kind's limit
// (an error naming the file, not an out-of-memory kill). Each limit is far
// above what a probe within the manifest limits writes (see MaxPlanQueries),
// and what verify holds in memory is a small multiple of it.
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
	ErrNotRegular = errors.New("a bundle's files must be regular files")
	ErrTooLarge   = errors.New("bundle file too large")
)

type fileKind struct {
	limit int64
	what  string
}

var bundleFileKinds = map[string]fileKind{
	FileManifest:    {MaxManifestSize, "a manifest"},
	FileCanaries:    {MaxCanariesSize, "a canary set"},
	FileTokenizer:   {MaxTokenizerSize, "a tokenizer"},
	FileTranscripts: {MaxTranscriptsSize, "transcripts"},
	FileResults:     {MaxResultsSize, "results"},
	FileRoot:        {MaxRootSize, "a Merkle root"},
	FileSignature:   {MaxSignatureSize, "a signature"},
	FileSums:        {MaxSumsSize, "a checksum list"},
}

func kindOf(name string) fileKind {
	if k, ok := bundleFileKinds[name]; ok {
		return k
	}
	return fileKind{MaxOtherFileSize, "a bundle file"}
}

// BundleFileLimit is the most ReadBundleFile reads of the named file.
func BundleFileLimit(name string) int64 { return kindOf(name).limit }

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
	return readBundleFile(dir, name, kindOf(name))
}

func readBundleFile(dir, name string, k fileKind) ([]byte, error) {
	f, size, err := openBundleFile(dir, name, k)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	buf.Grow(int(size) + bytes.MinRead)
	n, err := buf.ReadFrom(io.LimitReader(f, k.limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if n > k.limit {
		return nil, errTooLarge(name, k) // it grew after the size check
	}
	return buf.Bytes(), nil
}

// hashBundleFile is the hex SHA-256 of a bundle file, read in a stream
// under the same checks as ReadBundleFile.
func hashBundleFile(dir, name string) (string, error) {
	k := kindOf(name)
	f, _, err := openBundleFile(dir, name, k)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, k.limit+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if n > k.limit {
		return "", errTooLarge(name, k)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// openBundleFile opens a bundle file for reading after checking, without
// following links, that it is a regular file within the size limit, and
// checks again on the open file that it is the same one (so a file
// swapped for a link or a pipe in between is refused too). It returns the
// file and its size.
func openBundleFile(dir, name string, k fileKind) (*os.File, int64, error) {
	if !plainFileName(name) {
		return nil, 0, fmt.Errorf("%q is not a file name in the bundle folder", name)
	}
	path := filepath.Join(dir, name)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, fmt.Errorf("%s is %s: %w", name, describeMode(fi.Mode()), ErrNotRegular)
	}
	if fi.Size() > k.limit {
		return nil, 0, errTooLarge(name, k)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNoFollow, 0)
	if err != nil {
		return nil, 0, err
	}
	now, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if !now.Mode().IsRegular() || !os.SameFile(fi, now) {
		f.Close()
		return nil, 0, fmt.Errorf("%s was replaced while being opened: %w", name, ErrNotRegular)
	}
	if now.Size() > k.limit {
		f.Close()
		return nil, 0, errTooLarge(name, k)
	}
	return f, now.Size(), nil
}

func errTooLarge(name string, k fileKind) error {
	return fmt.Errorf("%s is larger than %s, the limit for %s: %w", name, byteSize(k.limit), k.what, ErrTooLarge)
}

// plainFileName reports whether name names a file directly in a folder:
// not empty, no separator, not "." or "..".
func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`+"\x00") && !filepath.IsAbs(name) && filepath.VolumeName(name) == ""
}

func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// byteSize writes a limit in the largest binary unit that divides it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
