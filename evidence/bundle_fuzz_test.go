package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"forensics/internal/buildinfo"
	"forensics/probe"
	"forensics/probe/probetest"
	"forensics/watermark"
)

// bundleFixture is a small sealed and signed bundle made by a real run
// against a fake Ollama: a suspect, a reference and a control, so that
// every test of the battery is planned.
type bundleFixture struct {
	dir   string
	key   *watermark.Key
	pub   ed25519.PublicKey
	files map[string][]byte // file name → its bytes as sealed
}

// bundleFiles are the files Verify reads.
var bundleFiles = []string{probe.FileManifest, probe.FileCanaries, probe.FileTokenizer, probe.FileTranscripts, FileResults, FileRoot, FileSignature, FileSums}

func newBundleFixture(t testing.TB) *bundleFixture {
	t.Helper()
	srv := httptest.NewServer(&probetest.FakeOllama{})
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	cs := probetest.SmallSet(t, 4)
	_, key := probetest.Key(t, t.TempDir(), 9)
	tk, tf := probetest.EmbeddedTokenizer(t)
	targets := probe.Targets{Suspect: "ollama://" + host + "/s", Reference: "ollama://" + host + "/r", Controls: []string{"ollama://" + host + "/c"}}
	m, _, err := probe.Prepare(dir, probetest.Manifest(t, key, cs, tk, probetest.Options{
		Targets: targets, Plan: probe.Plan{Prompts: 4, EqualityPrompts: 2, Triggers: 2, HammingLength: 8},
		Seed: 1, Rounds: 99, NullKeys: 20,
	}), cs, tf)
	if err != nil {
		t.Fatal(err)
	}
	probetest.Ask(t, dir, m, cs)
	sign := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	if _, err := Finish(context.Background(), dir, key, tk, sign); err != nil {
		t.Fatal(err)
	}
	b := &bundleFixture{dir: dir, key: key, pub: sign.Public().(ed25519.PublicKey), files: map[string][]byte{}}
	for _, name := range bundleFiles {
		if b.files[name], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// replace writes data as the named file. A hostile bundle is consistent
// with itself, so a new manifest that parses gets transcripts stamped
// with its hash. restore puts the sealed file back.
func (b *bundleFixture) replace(name string, data []byte) error {
	if err := os.WriteFile(filepath.Join(b.dir, name), data, 0o644); err != nil {
		return err
	}
	if name != probe.FileManifest {
		return nil
	}
	old, err := probe.ParseManifest(b.files[probe.FileManifest])
	if err != nil {
		return err
	}
	m, err := probe.ParseManifest(data)
	if err != nil {
		return nil
	}
	tr := bytes.ReplaceAll(b.files[probe.FileTranscripts], []byte(old.SHA256()), []byte(m.SHA256()))
	return os.WriteFile(filepath.Join(b.dir, probe.FileTranscripts), tr, 0o644)
}

func (b *bundleFixture) restore(name string) error {
	for _, n := range []string{name, probe.FileTranscripts} {
		if err := os.WriteFile(filepath.Join(b.dir, n), b.files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// verifyAllocated verifies the bundle and returns the checks that failed
// and the bytes allocated meanwhile (by every goroutine).
func (b *bundleFixture) verifyAllocated(t testing.TB, withKey bool) ([]Check, uint64) {
	t.Helper()
	o := VerifyOptions{PublicKey: b.pub, Build: buildinfo.Current()}
	if withKey {
		o.Key = b.key
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	checks, err := Verify(context.Background(), b.dir, o)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var failed []Check
	for _, c := range checks {
		if !c.OK {
			failed = append(failed, c)
		}
	}
	return failed, after.TotalAlloc - before.TotalAlloc
}

// verifyBound is what verifying the fixture may allocate besides a
// multiple of the altered file's size; verifying it unaltered allocates
// about 3 MB.
const verifyBound = 256 << 20

func TestBundleFixtureVerifies(t *testing.T) {
	b := newBundleFixture(t)
	for _, withKey := range []bool{false, true} {
		failed, n := b.verifyAllocated(t, withKey)
		if len(failed) != 0 {
			t.Fatalf("key %v: failed checks %+v", withKey, failed)
		}
		t.Logf("key %v: verify allocated %d bytes", withKey, n)
	}
}

// FuzzVerifyBundle writes fuzzed bytes over one file of a valid bundle
// (which % 8 picks it; which / 8 odd gives Verify the key) and verifies
// it: Verify must report failed checks or succeed, never panic, and
// allocate a bounded amount.
func FuzzVerifyBundle(f *testing.F) {
	b := newBundleFixture(f)
	for i, name := range bundleFiles {
		f.Add(uint8(i), b.files[name])
		f.Add(uint8(i+len(bundleFiles)), b.files[name])
	}
	f.Add(uint8(0), []byte(strings.Replace(string(b.files[probe.FileManifest]), `"rounds": 99`, `"rounds": 99999`, 1)))
	f.Add(uint8(4), []byte(`{"tests":[{"name":"radioactivity","n":-1}]}`))
	f.Add(uint8(0), []byte(strings.Replace(string(b.files[probe.FileManifest]), `"tool": "forensics test",`,
		`"tool": "forensics test", "build": {"program": "forensics\u001b[2J", "revision": "7ed32b", "modified": true, "go_version": "go1.26.8", "binary_sha256": "00"},`, 1)))
	f.Add(uint8(7), []byte(strings.Repeat("0", 64)+"  ../../etc/passwd\n"))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := bundleFiles[int(which)%len(bundleFiles)]
		defer func() {
			if err := b.restore(name); err != nil {
				t.Fatal(err)
			}
		}()
		if err := b.replace(name, data); err != nil {
			t.Fatal(err)
		}
		_, n := b.verifyAllocated(t, which/uint8(len(bundleFiles))%2 == 1)
		if bound := verifyBound + 256*uint64(len(data)); n > bound {
			t.Fatalf("verifying with %d bytes of %s allocated %d bytes, more than %d", len(data), name, n, bound)
		}
	})
}
