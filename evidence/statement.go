package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"forensics/internal/bundlefile"
	"forensics/probe"
)

// The checks of a bundle's statement: Verify's hashes, files and signature
// checks, and CheckSeal before a bundle is sealed again.

// requiredFiles are the evidence files every statement must list (besides
// those the manifest names: see manifestFiles).
var requiredFiles = []string{probe.FileManifest, probe.FileCanaries, probe.FileTranscripts, FileResults, FileRoot}

// manifestFiles are the files the bundle's manifest names besides the
// fixed ones: its tokenizer file, the copies of file targets, the relay
// check by request log and the case ledger's copy. ok is
// false when the manifest cannot be read (the inputs check says why).
func manifestFiles(dir string) (names []string, ok bool) {
	mb, err := ReadBundleFile(dir, probe.FileManifest)
	if err != nil {
		return nil, false
	}
	m, err := probe.ParseManifest(mb)
	if err != nil {
		return nil, false
	}
	if m.Tokenizer.File != "" {
		names = append(names, m.Tokenizer.File)
	}
	for _, src := range m.Sources {
		names = append(names, src.File)
	}
	if m.RelayLog != nil {
		names = append(names, probe.FileRelayLog)
	}
	if m.Cases != nil {
		names = append(names, m.Cases.File)
	}
	return names, true
}

// checkHashes checks every listed file against its SHA-256, each read once
// with ReadBundleFile's checks; skip names files not to check.
func checkHashes(ctx context.Context, dir string, ents []sumsEntry, skip func(string) bool) error {
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: stopped at line %d: %w", FileSums, e.line, err)
		}
		if skip != nil && skip(e.name) {
			continue
		}
		got, err := hashBundleFile(dir, e.name)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s is listed in %s (line %d) but missing from the bundle", e.name, FileSums, e.line)
		}
		if err != nil {
			return bundlefile.ErrLine(FileSums, e.line, "%v", err)
		}
		if got != e.sum {
			return fmt.Errorf("%s: SHA-256 differs from %s line %d (the file was altered)", e.name, FileSums, e.line)
		}
	}
	return nil
}

// maxDirBatch is how many folder entries checkListing reads at a time.
const maxDirBatch = 256

// checkListing checks that every entry of the folder but SHA256SUMS and
// its signature is listed (hidden files too: a file a reader's ls does not
// show is no less in the bundle), and that every listed name is a file of
// a bundle: an evidence file, a file the manifest names (the tokenizer,
// copies of file targets) or a report file (ReportPrefix); the evidence
// files and those the manifest names must be listed. It stops at the first unlisted entry, so a folder of
// a million files costs no more than the listed ones and a batch.
// skip names entries not to check.
func checkListing(ctx context.Context, dir string, ents []sumsEntry, skip func(string) bool) error {
	listed := make(map[string]bool, len(ents))
	for _, e := range ents {
		listed[e.name] = true
	}
	named, ok := manifestFiles(dir)
	known := map[string]bool{}
	if !ok {
		known[probe.FileTokenizer] = true // the inputs check names the manifest's fault
	}
	need := append(requiredFiles[:len(requiredFiles):len(requiredFiles)], named...)
	for _, n := range need {
		known[n] = true
	}
	for _, e := range ents {
		switch {
		case known[e.name] || strings.HasPrefix(e.name, ReportPrefix) || (skip != nil && skip(e.name)):
		case e.name == fileOldSignature:
			return fmt.Errorf("%s lists %s, a signature of the old format over %s alone (it leaves every other file unsigned): seal the bundle again with its signing key", FileSums, e.name, FileRoot)
		default:
			return fmt.Errorf("%s lists %s (line %d), which is no file of an evidence bundle", FileSums, e.name, e.line)
		}
	}
	for _, n := range need {
		if !listed[n] {
			return fmt.Errorf("%s does not list %s", FileSums, n)
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("listing %s: %w", dir, err)
		}
		batch, err := f.ReadDir(maxDirBatch)
		for _, e := range batch {
			name := e.Name()
			if name == FileSums || name == FileSignature || listed[name] || (skip != nil && skip(name)) {
				continue
			}
			what := "a file"
			if !e.Type().IsRegular() {
				what = bundlefile.DescribeMode(e.Type())
			}
			if name == fileOldSignature {
				return fmt.Errorf("%s is a signature of the old format, over %s alone (it leaves every other file unsigned) and not part of the statement in %s: seal the bundle again with its signing key", name, FileRoot, FileSums)
			}
			return fmt.Errorf("%q (%s) is in the bundle folder but %s does not list it: it was added after the bundle was sealed", name, what, FileSums)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listing %s: %w", dir, err)
		}
	}
}

// Signature states, for Check.Warning.
const (
	WarnUnsigned   = "UNSIGNED"
	warnUnknownKey = "signed by an unknown key "
)

// checkSignature checks SHA256SUMS.sig over sums. Without a signature the
// check fails when pinned is set and passes with the warning UNSIGNED
// otherwise; a valid signature when nothing is pinned passes with the
// warning "signed by an unknown key ed25519:…".
func checkSignature(dir string, sums []byte, sumsErr error, pinned ed25519.PublicKey) Check {
	c := Check{Name: "signature"}
	sigFile, err := ReadBundleFile(dir, FileSignature)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Warning = WarnUnsigned
		if pinned != nil {
			c.Detail = fmt.Sprintf("UNSIGNED: the bundle has no %s, and a signature by %s was required", FileSignature, KeyFingerprint(pinned))
			return c
		}
		c.OK = true
		c.Detail = fmt.Sprintf("UNSIGNED: the bundle has no %s; nothing shows who made it, and whoever held it could have changed any file and written %s again", FileSignature, FileSums)
		return c
	case err != nil:
		c.Detail = err.Error()
		return c
	case sumsErr != nil:
		c.Detail = fmt.Sprintf("%s cannot be checked: %v", FileSignature, sumsErr)
		return c
	}
	var s Signature
	if err := json.Unmarshal(sigFile, &s); err != nil {
		c.Detail = fmt.Sprintf("%s: %v", FileSignature, err)
		return c
	}
	pub, err1 := base64.StdEncoding.DecodeString(s.PublicKey)
	sig, err2 := base64.StdEncoding.DecodeString(s.Signature)
	if s.Algorithm != "ed25519" || err1 != nil || err2 != nil || len(pub) != ed25519.PublicKeySize {
		c.Detail = fmt.Sprintf("%s: not an ed25519 signature record", FileSignature)
		return c
	}
	if s.Signed != FileSums {
		c.Detail = fmt.Sprintf("%s: signs %q, not %s", FileSignature, s.Signed, FileSums)
		return c
	}
	if pinned != nil && !bytes.Equal(pinned, pub) {
		c.Detail = fmt.Sprintf("%s: signed by %s, not by the given public key %s", FileSignature, KeyFingerprint(pub), KeyFingerprint(pinned))
		return c
	}
	if !ed25519.Verify(pub, sums, sig) {
		c.Detail = fmt.Sprintf("%s: the signature does not match %s (the list of files was altered after signing)", FileSignature, FileSums)
		return c
	}
	c.OK = true
	if pinned == nil {
		c.Warning = warnUnknownKey + KeyFingerprint(pub)
		c.Detail = fmt.Sprintf("signed by an unknown key %s: the signature over %s is valid, but no trusted public key was given, and anyone can sign with a key of their own", KeyFingerprint(pub), FileSums)
		return c
	}
	c.Detail = fmt.Sprintf("valid ed25519 signature over %s by the given key %s", FileSums, KeyFingerprint(pub))
	return c
}

// verifyStatement makes the checks of the statement: hashes (every listed
// file matches), files (the folder holds the listed files and nothing
// else) and signature.
func verifyStatement(ctx context.Context, dir string, pinned ed25519.PublicKey) []Check {
	sums, err := ReadBundleFile(dir, FileSums)
	var ents []sumsEntry
	if err == nil {
		ents, err = parseSums(sums)
	}
	sumsErr := err
	hashes := Check{Name: "hashes", OK: true, Detail: fmt.Sprintf("every file matches %s", FileSums)}
	if err == nil {
		err = checkHashes(ctx, dir, ents, nil)
	}
	if err != nil {
		hashes = Check{Name: "hashes", Detail: err.Error()}
	}
	files := Check{Name: "files", Detail: err2str(sumsErr)}
	if sumsErr == nil && ctx.Err() == nil {
		err := checkListing(ctx, dir, ents, nil)
		files.OK = err == nil
		if err != nil {
			files.Detail = err.Error()
		} else {
			files.Detail = fmt.Sprintf("the folder holds the %d files %s lists, and nothing else", len(ents), FileSums)
		}
	}
	return []Check{hashes, files, checkSignature(dir, sums, sumsErr, pinned)}
}

// CheckSeal reports whether a bundle is still as sealed, before it is
// sealed again: every file SHA256SUMS lists matches, the folder holds
// nothing else, and a signature, if there is one, is valid (by whichever
// key). replaced names files the caller is about to rewrite or remove,
// which are not checked, and neither is a signature of the old format
// (MERKLE_ROOT.sig), which Seal removes. Sealing again a bundle altered since its seal
// would vouch for the alteration.
func CheckSeal(ctx context.Context, dir string, replaced func(name string) bool) error {
	sums, err := ReadBundleFile(dir, FileSums)
	if err != nil {
		return fmt.Errorf("the bundle is not sealed: %w", err)
	}
	ents, err := parseSums(sums)
	if err != nil {
		return err
	}
	// Seal removes a signature of the old format: a bundle sealed before
	// the statement may be sealed again.
	skip := func(name string) bool { return name == fileOldSignature || (replaced != nil && replaced(name)) }
	if err := checkHashes(ctx, dir, ents, skip); err != nil {
		return err
	}
	if err := checkListing(ctx, dir, ents, skip); err != nil {
		return err
	}
	if c := checkSignature(dir, sums, nil, nil); !c.OK {
		return errors.New(c.Detail)
	}
	return nil
}

func err2str(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
