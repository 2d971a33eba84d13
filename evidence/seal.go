package evidence

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"forensics/internal/bundlefile"
)

// The signed statement of a bundle.
//
// SHA256SUMS is the statement: it lists every file of the bundle folder
// (manifest, canaries, tokenizer, transcripts, results, MERKLE_ROOT,
// report.json and every rendered report file) with its SHA-256, in the
// format sha256sum -c reads, and SHA256SUMS.sig is an ed25519 signature
// over its exact bytes. One list and one signature cover every file, the
// Merkle root included, and anyone can check both with standard tools; a
// separate statement file would be a second list to keep in step with the
// first. What no list can cover, a file put into the folder after
// sealing, Verify refuses: every entry of the folder must be listed. The
// list is rewritten and signed again (Seal) whenever the bundle's files
// change; a seal without the signing key leaves the bundle unsigned, never
// with a signature over other bytes.
//
// Hidden files are listed and checked like any other: nothing documents a
// reason to skip them (the old list skipped them silently), and a file
// that ls does not show is the easiest one to slip in. The signed bytes
// need no prefix to keep them apart from the other thing a signing key
// signs, the request log's checkpoints: those begin with
// "forensics-log-checkpoint-v1", which no line of SHA256SUMS can.

// fileOldSignature is where bundles sealed before the statement kept a
// signature over MERKLE_ROOT alone, which left every other file unsigned.
const fileOldSignature = "MERKLE_ROOT.sig"

// ReportPrefix begins the name of every file the report package writes
// into a bundle (report.json, report.html, report-NAME.svg, …). Verify
// accepts listed files of that name besides the evidence files and leaves
// them to the report package's check (report.Check), which re-renders them.
const ReportPrefix = "report"

// Signature is SHA256SUMS.sig: an ed25519 signature over the exact bytes
// of the file Signed names (always SHA256SUMS).
type Signature struct {
	Algorithm string `json:"algorithm"`
	Signed    string `json:"signed"`
	PublicKey string `json:"public_key"` // base64, 32 bytes
	Signature string `json:"signature"`  // base64
}

// Fingerprint names the signing key of a signature record ("" when its
// public key is not one).
func (s *Signature) Fingerprint() string {
	pub, err := base64.StdEncoding.DecodeString(s.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return ""
	}
	return KeyFingerprint(pub)
}

// Seal writes the bundle's statement: SHA256SUMS over every file in dir
// but itself and its signature, then SHA256SUMS.sig, an ed25519 signature
// by sign over the exact bytes of SHA256SUMS. Without sign the bundle is
// left unsigned: an earlier signature is removed first (so that a seal cut
// short leaves no signature over other bytes either), as is the signature
// of the old format (MERKLE_ROOT.sig). Hidden files are listed like any
// other, since verify refuses any unlisted one; anything in the folder
// that is not a regular file, or whose name a line of SHA256SUMS cannot
// hold, is refused.
func Seal(dir string, sign ed25519.PrivateKey) error {
	for _, name := range []string{FileSignature, fileOldSignature} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("seal %s: remove the old signature: %w", dir, err)
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("seal %s: %w", dir, err)
	}
	var b strings.Builder
	for _, e := range ents {
		name := e.Name()
		if name == FileSums || name == FileSignature {
			continue
		}
		if !e.Type().IsRegular() {
			return fmt.Errorf("seal %s: %s is %s; a bundle holds regular files only (move it out of the folder)", dir, name, bundlefile.DescribeMode(e.Type()))
		}
		if !sumsName(name) {
			return fmt.Errorf("seal %s: the file name %q cannot be listed in %s (rename or remove it)", dir, name, FileSums)
		}
		sum, err := hashBundleFile(dir, name)
		if err != nil {
			return fmt.Errorf("seal %s: %w", dir, err)
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, name)
	}
	sums := []byte(b.String())
	if err := bundlefile.WriteSync(filepath.Join(dir, FileSums), sums); err != nil {
		return fmt.Errorf("seal %s: %w", dir, err)
	}
	if sign == nil {
		return nil
	}
	rec, err := json.MarshalIndent(Signature{Algorithm: "ed25519", Signed: FileSums,
		PublicKey: base64.StdEncoding.EncodeToString(sign.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(sign, sums))}, "", "  ")
	if err != nil {
		return fmt.Errorf("seal %s: %w", dir, err)
	}
	if err := bundlefile.WriteSync(filepath.Join(dir, FileSignature), append(rec, '\n')); err != nil {
		return fmt.Errorf("seal %s: %w", dir, err)
	}
	return nil
}

// sumsName reports whether a file name fits on a line of SHA256SUMS as
// verify reads it: a plain file name without control characters.
func sumsName(name string) bool {
	return bundlefile.PlainName(name) && strings.IndexFunc(name, unicode.IsControl) < 0
}

// sumsEntry is one line of SHA256SUMS.
type sumsEntry struct {
	sum, name string
	line      int
}

// parseSums reads SHA256SUMS: "SHA256  NAME" lines, each name once, none
// of them SHA256SUMS or its signature.
func parseSums(data []byte) ([]sumsEntry, error) {
	var out []sumsEntry
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok || len(sum) != 64 || strings.Trim(sum, "0123456789abcdef") != "" || !sumsName(name) {
			return nil, bundlefile.ErrLine(FileSums, line, "not a \"SHA256  NAME\" line")
		}
		if name == FileSums || name == FileSignature {
			return nil, bundlefile.ErrLine(FileSums, line, "lists %s, which the statement cannot cover", name)
		}
		if seen[name] {
			return nil, bundlefile.ErrLine(FileSums, line, "lists %s a second time", name)
		}
		seen[name] = true
		out = append(out, sumsEntry{sum: sum, name: name, line: line})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s line %d: %w", FileSums, line+1, err)
	}
	return out, nil
}

// ListedFiles returns the names SHA256SUMS lists, in its order, read with
// ReadBundleFile's checks. The report package uses it to find report files
// it did not make.
func ListedFiles(dir string) ([]string, error) {
	data, err := ReadBundleFile(dir, FileSums)
	if err != nil {
		return nil, err
	}
	ents, err := parseSums(data)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.name
	}
	return names, nil
}
