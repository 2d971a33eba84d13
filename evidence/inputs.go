package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"

	"forensics/canary"
	"forensics/internal/bundlefile"
	"forensics/llm/tokenizer"
	"forensics/probe"
)

// loadInputs reads manifest, canaries, tokenizer and transcripts of a
// bundle, each with ReadBundleFile's checks. tk, if set, must be the
// manifest's tokenizer; otherwise the bundle's tokenizer.json (or the
// built-in word splitter) is used.
func loadInputs(dir string, tk tokenizer.Tokenizer) (probe.Inputs, error) {
	var in probe.Inputs
	mb, err := ReadBundleFile(dir, probe.FileManifest)
	if err != nil {
		return in, err
	}
	m, err := probe.ParseManifest(mb)
	if err != nil {
		return in, err
	}
	if sha := sha256.Sum256(mb); hex.EncodeToString(sha[:]) != m.SHA256() {
		return in, fmt.Errorf("%s is not in canonical form (edited by hand?)", probe.FileManifest)
	}
	in.Manifest = m
	cb, err := ReadBundleFile(dir, probe.FileCanaries)
	if err != nil {
		return in, err
	}
	if in.Canaries, err = canary.Parse(cb); err != nil {
		return in, fmt.Errorf("%s: %w", probe.FileCanaries, err)
	}
	if tk == nil {
		if tk, err = BundleTokenizer(dir, m); err != nil {
			return in, err
		}
	}
	in.Tokenizer = tk
	tb, err := ReadBundleFile(dir, probe.FileTranscripts)
	if err != nil {
		return in, err
	}
	if in.Records, err = probe.ParseTranscripts(tb, m.SHA256()); err != nil {
		return in, err
	}
	in.MerkleRoot = MerkleRoot(tb)
	if in.Sources, err = readSources(dir, m); err != nil {
		return in, err
	}
	if in.RelayLog, err = readRelayLog(dir, m); err != nil {
		return in, err
	}
	if in.Cases, err = bundleCases(dir, m); err != nil {
		return in, err
	}
	return in, nil
}

// readSources reads the bundle's copies of file targets, each of which
// must have the hash the manifest committed to (nil when there are none).
func readSources(dir string, m *probe.Manifest) (map[string][]byte, error) {
	var src map[string][]byte
	for _, ref := range m.Sources {
		data, err := ReadBundleFile(dir, ref.File)
		if err != nil {
			return nil, err
		}
		if got := probe.NewSourceRef(ref.Role, data); got.SHA256 != ref.SHA256 {
			return nil, fmt.Errorf("%s has sha256 %s, the manifest committed to %s", ref.File, got.SHA256, ref.SHA256)
		}
		if src == nil {
			src = map[string][]byte{}
		}
		src[ref.Role] = data
	}
	return src, nil
}

// BundleTokenizer opens the tokenizer a manifest names from the bundle,
// with ReadBundleFile's checks and probe.MaxTokenizerSize as its limit.
func BundleTokenizer(dir string, m *probe.Manifest) (tokenizer.Tokenizer, error) {
	if m.Tokenizer.File == "" {
		if w := (tokenizer.Words{}); w.ID() == m.Tokenizer.ID {
			return w, nil
		}
		return nil, fmt.Errorf("manifest names tokenizer %s but the bundle has no tokenizer file", m.Tokenizer.ID)
	}
	fh, _, err := bundlefile.Open(dir, m.Tokenizer.File, bundleFileKinds[probe.FileTokenizer])
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	f, err := tokenizer.ReadFile(io.LimitReader(fh, probe.MaxTokenizerSize))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Tokenizer.File, err)
	}
	v, err := tokenizer.New(f)
	if err != nil {
		return nil, err
	}
	if v.ID() != m.Tokenizer.ID {
		return nil, fmt.Errorf("%s has id %s, the manifest says %s", m.Tokenizer.File, v.ID(), m.Tokenizer.ID)
	}
	return v, nil
}

// readRelayLog reads the stored relay check by request log (nil when the
// probe planned none or it has not run).
func readRelayLog(dir string, m *probe.Manifest) (*probe.RelayLogCheck, error) {
	if m.RelayLog == nil {
		return nil, nil
	}
	data, err := ReadBundleFile(dir, probe.FileRelayLog)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c probe.RelayLogCheck
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", probe.FileRelayLog, err)
	}
	bad := func(a probe.AccountMatches) bool { return a.Requests <= 0 }
	if len(c.Accounts) > 100 || len(c.TriggerHarvest) > 100 || slices.ContainsFunc(c.Accounts, bad) || slices.ContainsFunc(c.TriggerHarvest, bad) {
		return nil, fmt.Errorf("%s: malformed account list", probe.FileRelayLog)
	}
	return &c, nil
}
