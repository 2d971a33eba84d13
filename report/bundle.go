package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"forensics/evidence"
	"forensics/probe"
)

// Bundle is what a report is made from: the bundle's files as recorded.
type Bundle struct {
	Dir            string
	Manifest       *probe.Manifest
	ManifestSHA256 string
	Results        *probe.Results
	Records        []probe.Record
	// LineSHA256 is the SHA-256 of each transcript line (a Merkle leaf's
	// content), by record index.
	LineSHA256 []string
	MerkleRoot string
	Signature  *evidence.Signature
	// Files are the SHA-256 of the bundle's evidence files (not of the
	// report, which quotes them, nor of SHA256SUMS and its signature,
	// which cover the report).
	Files [][2]string
}

// Load reads a sealed bundle (after probe finished; see evidence.Finish).
// Every file is read as evidence.ReadBundleFile does (regular files only,
// size-capped): the bundle may come from someone else.
func Load(dir string) (*Bundle, error) {
	b := &Bundle{Dir: dir}
	mb, err := evidence.ReadBundleFile(dir, probe.FileManifest)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if b.Manifest, err = probe.ParseManifest(mb); err != nil {
		return nil, err
	}
	b.ManifestSHA256 = b.Manifest.SHA256()
	rb, err := evidence.ReadBundleFile(dir, evidence.FileResults)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w (has the probe finished?)", err)
	}
	b.Results = new(probe.Results)
	if err := json.Unmarshal(rb, b.Results); err != nil {
		return nil, fmt.Errorf("%s: %w", evidence.FileResults, err)
	}
	if b.Results.ManifestSHA256 != b.ManifestSHA256 {
		return nil, fmt.Errorf("%s belongs to another manifest", evidence.FileResults)
	}
	tb, err := evidence.ReadBundleFile(dir, probe.FileTranscripts)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	if b.Records, err = probe.ParseTranscripts(tb, b.ManifestSHA256); err != nil {
		return nil, err
	}
	for _, line := range bytes.Split(tb, []byte{'\n'}) {
		if len(line) > 0 {
			d := sha256.Sum256(line)
			b.LineSHA256 = append(b.LineSHA256, hex.EncodeToString(d[:]))
		}
	}
	root, err := evidence.ReadBundleFile(dir, evidence.FileRoot)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w", err)
	}
	b.MerkleRoot = strings.TrimSpace(string(root))
	if sig, err := evidence.ReadBundleFile(dir, evidence.FileSignature); err == nil {
		b.Signature = new(evidence.Signature)
		if err := json.Unmarshal(sig, b.Signature); err != nil {
			return nil, fmt.Errorf("%s: %w", evidence.FileSignature, err)
		}
	}
	names := []string{probe.FileManifest, probe.FileCanaries, b.Manifest.Tokenizer.File, probe.FileTranscripts, evidence.FileResults, evidence.FileRoot}
	for _, src := range b.Manifest.Sources {
		names = append(names, src.File)
	}
	for _, name := range names {
		if name == "" {
			continue // no tokenizer file
		}
		data, err := evidence.ReadBundleFile(dir, name)
		if err != nil {
			return nil, fmt.Errorf("read bundle: %w", err)
		}
		d := sha256.Sum256(data)
		b.Files = append(b.Files, [2]string{name, hex.EncodeToString(d[:])})
	}
	return b, nil
}
