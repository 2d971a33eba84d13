package probe

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"forensics/canary"
	"forensics/internal/bundlefile"
)

// Prepare creates a probe directory, or resumes one. A new directory gets
// manifest.json, canaries.yaml and (when the tokenizer has a definition)
// tokenizer.json, written and synced before any query; random seeds are
// drawn for a manifest that has none. An existing directory must hold the
// same plan: its seeds are kept, and any other difference is an error that
// names the fields. It returns the manifest in force and whether it resumed.
func Prepare(dir string, m *Manifest, cs *canary.Set, tokFile []byte) (*Manifest, bool, error) {
	return prepare(dir, m, cs, tokFile, nil, nil)
}

// prepare is Prepare that also writes files (the copies of file targets)
// before the manifest. specs are the setup's target specs: a folder whose
// manifest names its targets by them was begun by a build before
// manifests named targets by public name, and resumes under its own.
func prepare(dir string, m *Manifest, cs *canary.Set, tokFile []byte, files map[string][]byte, specs *Targets) (*Manifest, bool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, fmt.Errorf("create %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileManifest)
	old, err := bundlefile.Read(dir, FileManifest, bundlefile.Kind{Limit: MaxManifestSize, What: "a manifest"})
	switch {
	case err == nil:
		prev, err := ParseManifest(old)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", dir, err)
		}
		if m.Sampling.Seed == 0 {
			m.Sampling.Seed = prev.Sampling.Seed
		}
		if m.Null.Seed == "" {
			m.Null.Seed = prev.Null.Seed
		}
		if specs != nil && reflect.DeepEqual(prev.Targets, *specs) {
			m.Targets = prev.Targets
		}
		if d := prev.Differences(m); len(d) > 0 {
			return nil, false, fmt.Errorf("%s holds a probe with a different plan (%s differ); its results must follow its own manifest: re-run with the same options, or use a new --out", dir, strings.Join(d, ", "))
		}
		return prev, true, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, false, err
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		return nil, false, fmt.Errorf("%s is not empty and has no %s: use a new folder for a probe", dir, FileManifest)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, false, err
	}
	if m.Sampling.Seed == 0 {
		m.Sampling.Seed = binary.LittleEndian.Uint64(b[:8]) & 0x7fffffff
	}
	if m.Null.Seed == "" {
		m.Null.Seed = hex.EncodeToString(b[8:])
	}
	if err := m.Validate(); err != nil {
		return nil, false, err
	}
	if err := bundlefile.WriteSync(filepath.Join(dir, FileCanaries), cs.Raw); err != nil {
		return nil, false, err
	}
	if tokFile != nil {
		if err := bundlefile.WriteSync(filepath.Join(dir, FileTokenizer), tokFile); err != nil {
			return nil, false, err
		}
	}
	for name, data := range files {
		if err := bundlefile.WriteSync(filepath.Join(dir, name), data); err != nil {
			return nil, false, err
		}
	}
	// The manifest last: its presence means the folder is complete.
	if err := bundlefile.WriteSync(path, m.Marshal()); err != nil {
		return nil, false, err
	}
	return m, false, nil
}
