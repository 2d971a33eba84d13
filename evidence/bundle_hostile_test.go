package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/probe"
)

// forge makes the fixture a hostile bundle that is consistent with itself
// around manifest m: the transcripts are stamped with m's hash, and the
// Merkle root, SHA256SUMS and its signature (by the fixture's signer) are
// made again, so that only the re-derivation can object. It returns a
// function that puts the sealed bundle back.
func (b *bundleFixture) forge(t *testing.T, m *probe.Manifest) func() {
	t.Helper()
	old, err := probe.ParseManifest(b.files[probe.FileManifest])
	if err != nil {
		t.Fatal(err)
	}
	mb := m.Marshal() // canonical bytes, whether or not Validate accepts them
	tr := bytes.ReplaceAll(b.files[probe.FileTranscripts], []byte(old.SHA256()), []byte(m.SHA256()))
	root := []byte(MerkleRoot(tr) + "\n")
	for name, data := range map[string][]byte{probe.FileManifest: mb, probe.FileTranscripts: tr, FileRoot: root} {
		if err := os.WriteFile(filepath.Join(b.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Seal(b.dir, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))); err != nil {
		t.Fatal(err)
	}
	return func() { b.restoreAll(t) }
}

// restoreAll puts every file of the sealed bundle back as a regular file.
func (b *bundleFixture) restoreAll(t testing.TB) {
	t.Helper()
	for _, name := range bundleFiles {
		path := filepath.Join(b.dir, name)
		if err := os.RemoveAll(path); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.files[name], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// failedCheck returns the failed check of that name, or nil.
func failedCheck(checks []Check, name string) *Check {
	for i := range checks {
		if checks[i].Name == name && !checks[i].OK {
			return &checks[i]
		}
	}
	return nil
}

// TestVerifyBoundsManifestWork forges self-consistent bundles whose
// manifests ask for unbounded work (rounds of 2^62 made verify run for
// ever) and checks that verify refuses each manifest, naming the number.
// The last cases, at the limits, show the forged bundles reach the
// analysis: only results.json, made for the sealed manifest, differs.
func TestVerifyBoundsManifestWork(t *testing.T) {
	b := newBundleFixture(t)
	sealed, err := probe.ParseManifest(b.files[probe.FileManifest])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		edit   func(m *probe.Manifest)
		reject string // in the failed inputs check; "" = accepted
	}{
		{"rounds 2^62", func(m *probe.Manifest) { m.Rounds = 1 << 62 }, "rounds 4611686018427387904, more than 999999"},
		{"rounds one over", func(m *probe.Manifest) { m.Rounds = probe.MaxRounds + 1 }, "rounds 1000000, more than 999999"},
		{"rounds times prompts", func(m *probe.Manifest) { m.Rounds, m.Plan.Prompts = probe.MaxRounds, 20000 }, "randomization draws, more than 536870912"},
		{"null keys", func(m *probe.Manifest) { m.Null.Keys = 1 << 40 }, "null keys 1099511627776 outside 0..1000"},
		{"controls", func(m *probe.Manifest) {
			m.Targets.Controls = slicesRepeat(m.Targets.Controls[0], probe.MaxControls+1)
		}, "65 control targets, more than 64"},
		{"prompts", func(m *probe.Manifest) { m.Plan.Prompts = 1 << 40 }, "more than 65536 of either"},
		{"triggers", func(m *probe.Manifest) { m.Plan.Triggers = 1 << 40 }, "more than 65536 of either"},
		{"queries", func(m *probe.Manifest) { m.Plan.Prompts, m.Plan.EqualityPrompts = 30000, 30000 }, "queries, more than 65536"},
		{"hamming length", func(m *probe.Manifest) { m.Plan.HammingLength = 1 << 40 }, "hamming length 1099511627776, more than 65536"},
		{"a test a thousand times", func(m *probe.Manifest) {
			eq, _ := m.Test(probe.TestEquality)
			eq.Weight = 1e-6
			for i := range m.Tests {
				m.Tests[i].Weight /= 2
			}
			for range 1000 {
				m.Tests = append(m.Tests, eq)
			}
		}, "test equality planned twice"},
		{"tokenizer outside the bundle", func(m *probe.Manifest) { m.Tokenizer.File = "../../../../dev/zero" }, `tokenizer file "../../../../dev/zero" is not a file name`},
		{"rounds at the limit", func(m *probe.Manifest) { m.Rounds = probe.MaxRounds }, ""},
		{"hamming length at the limit", func(m *probe.Manifest) { m.Plan.HammingLength = probe.MaxHammingLength }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := *sealed
			m.Tests = append([]probe.TestPlan(nil), sealed.Tests...)
			tc.edit(&m)
			defer b.forge(t, &m)()
			checks, err := Verify(context.Background(), b.dir, VerifyOptions{PublicKey: b.pub})
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			for _, name := range []string{"hashes", "merkle root", "signature"} {
				if c := failedCheck(checks, name); c != nil {
					t.Fatalf("the forged bundle fails the %s check (%s): it should pass", name, c.Detail)
				}
			}
			in := failedCheck(checks, "inputs")
			switch {
			case tc.reject == "" && in != nil:
				t.Fatalf("inputs refused: %s", in.Detail)
			case tc.reject == "":
				if c := failedCheck(checks, "results"); c == nil || !strings.Contains(c.Detail, "differs from the recomputed results") {
					t.Fatalf("results check %+v: want a difference from the sealed results", c)
				}
			case in == nil:
				t.Fatalf("inputs accepted, want %q", tc.reject)
			case !strings.Contains(in.Detail, tc.reject):
				t.Fatalf("inputs: %s\nwant it to contain %q", in.Detail, tc.reject)
			default:
				t.Logf("inputs: %s", in.Detail)
			}
		})
	}
}

func slicesRepeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// cancelOnDone is a context that cancels itself the first time anything
// asks for its Done channel. In verify only the randomization loops do,
// so it cancels a test once its loop has started, without timing.
type cancelOnDone struct {
	context.Context
	cancel context.CancelFunc
}

func (c cancelOnDone) Done() <-chan struct{} {
	c.cancel()
	return c.Context.Done()
}

func newCancelOnDone() cancelOnDone {
	ctx, cancel := context.WithCancel(context.Background())
	return cancelOnDone{ctx, cancel}
}

// TestVerifyRandomizationCancellable: a randomization test stops when its
// context is cancelled, even with rounds no manifest may ask for (here the
// analysis is called directly, past Validate), and Verify passes the
// cancellation on as its error rather than as a verdict.
func TestVerifyRandomizationCancellable(t *testing.T) {
	b := newBundleFixture(t)
	t.Run("analysis with 2^63-1 rounds", func(t *testing.T) {
		in, err := loadInputs(b.dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		in.Manifest.Rounds = math.MaxInt
		ctx := newCancelOnDone()
		_, err = probe.Analyze(ctx, in)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Analyze: %v, want an error wrapping context.Canceled", err)
		}
		t.Logf("Analyze: %v", err)
	})
	t.Run("verify at the rounds limit", func(t *testing.T) {
		sealed, err := probe.ParseManifest(b.files[probe.FileManifest])
		if err != nil {
			t.Fatal(err)
		}
		m := *sealed
		m.Rounds = probe.MaxRounds
		defer b.forge(t, &m)()
		_, err = Verify(newCancelOnDone(), b.dir, VerifyOptions{PublicKey: b.pub})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Verify: %v, want an error wrapping context.Canceled", err)
		}
		t.Logf("Verify: %v", err)
	})
}

// TestVerifyRefusesSymlinks replaces each file of a bundle by a symbolic
// link to /dev/zero (which os.ReadFile reads until memory runs out) and
// checks that verify refuses it by name, allocating a bounded amount.
func TestVerifyRefusesSymlinks(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	b := newBundleFixture(t)
	for _, name := range bundleFiles {
		t.Run(name, func(t *testing.T) {
			defer b.restoreAll(t)
			path := filepath.Join(b.dir, name)
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Fatal(err)
			}
			for _, withKey := range []bool{false, true} {
				failed, n := b.verifyAllocated(t, withKey)
				want := name + " is a symbolic link: " + ErrNotRegular.Error()
				var found *Check
				for i, c := range failed {
					if found == nil && strings.Contains(c.Detail, want) {
						found = &failed[i]
					}
				}
				if found == nil {
					t.Fatalf("key %v: no failed check says %q: %+v", withKey, want, failed)
				}
				if n > verifyBound {
					t.Errorf("key %v: verify allocated %d bytes, more than %d", withKey, n, verifyBound)
				}
				t.Logf("key %v: %s: %s (verify allocated %d bytes)", withKey, found.Name, found.Detail, n)
			}
		})
	}
	// A file the bundle adds (a report), listed in SHA256SUMS.
	t.Run("report listed in SHA256SUMS", func(t *testing.T) {
		defer b.restoreAll(t)
		defer os.Remove(filepath.Join(b.dir, "report.html"))
		if err := os.Symlink("/dev/zero", filepath.Join(b.dir, "report.html")); err != nil {
			t.Fatal(err)
		}
		sums := append(bytes.Clone(b.files[FileSums]), []byte(strings.Repeat("0", 64)+"  report.html\n")...)
		if err := os.WriteFile(filepath.Join(b.dir, FileSums), sums, 0o644); err != nil {
			t.Fatal(err)
		}
		failed, _ := b.verifyAllocated(t, false)
		if c := failedCheck(failed, "hashes"); c == nil || !strings.Contains(c.Detail, "report.html is a symbolic link") {
			t.Fatalf("hashes check %+v: want report.html refused as a symbolic link", c)
		} else {
			t.Logf("hashes: %s", c.Detail)
		}
	})
}

// TestVerifyRefusesOversizedFiles: files over their kind's limit are
// refused by name before they are read (the transcripts are a sparse
// file, so the test writes almost nothing).
func TestVerifyRefusesOversizedFiles(t *testing.T) {
	b := newBundleFixture(t)
	tests := []struct {
		name string
		size int64
		want string
	}{
		{probe.FileTranscripts, probe.MaxTranscriptsSize + 1, "transcripts.jsonl is larger than 512 MiB, the limit for transcripts"},
		{FileRoot, MaxRootSize + 1, "MERKLE_ROOT is larger than 1 KiB, the limit for a Merkle root"},
		{FileSignature, MaxSignatureSize + 1, "SHA256SUMS.sig is larger than 4 KiB, the limit for a signature"},
		{probe.FileManifest, probe.MaxManifestSize + 1, "manifest.json is larger than 1 MiB, the limit for a manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer b.restoreAll(t)
			if err := os.Truncate(filepath.Join(b.dir, tc.name), tc.size); err != nil {
				t.Fatal(err)
			}
			failed, n := b.verifyAllocated(t, false)
			found := false
			for _, c := range failed {
				found = found || strings.Contains(c.Detail, tc.want)
			}
			if !found {
				t.Fatalf("no failed check says %q: %+v", tc.want, failed)
			}
			if n > verifyBound {
				t.Errorf("verify allocated %d bytes, more than %d", n, verifyBound)
			}
			t.Logf("%q refused, verify allocated %d bytes", tc.want, n)
		})
	}
}

func TestReadBundleFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(FileRoot, []byte("abc\n"))
	write(FileSignature, bytes.Repeat([]byte{'x'}, MaxSignatureSize))
	write(FileSums, bytes.Repeat([]byte{'x'}, MaxSumsSize+1))
	if err := os.Symlink(FileRoot, filepath.Join(dir, FileResults)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, probe.FileTranscripts), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		wantLen int
		wantErr error  // errors.Is target, nil = success
		message string // in the error
	}{
		{FileRoot, 4, nil, ""},
		{FileSignature, MaxSignatureSize, nil, ""}, // exactly at the limit
		{FileSums, 0, ErrTooLarge, "SHA256SUMS is larger than 64 KiB, the limit for a checksum list"},
		{FileResults, 0, ErrNotRegular, "results.json is a symbolic link"}, // even to a good file
		{probe.FileTranscripts, 0, ErrNotRegular, "transcripts.jsonl is a directory"},
		{probe.FileManifest, 0, fs.ErrNotExist, ""},
		{"../" + filepath.Base(dir) + "/" + FileRoot, 0, nil, "is not a file name in the bundle folder"},
		{"..", 0, nil, "is not a file name in the bundle folder"},
		{"", 0, nil, "is not a file name in the bundle folder"},
	}
	for _, tc := range tests {
		data, err := ReadBundleFile(dir, tc.name)
		switch {
		case tc.wantErr == nil && tc.message == "":
			if err != nil || len(data) != tc.wantLen {
				t.Errorf("%q: %d bytes, %v; want %d bytes", tc.name, len(data), err, tc.wantLen)
			}
		case err == nil:
			t.Errorf("%q: read %d bytes, want an error", tc.name, len(data))
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%q: %v, want an error wrapping %v", tc.name, err, tc.wantErr)
		case !strings.Contains(err.Error(), tc.message):
			t.Errorf("%q: %v, want it to contain %q", tc.name, err, tc.message)
		}
	}
}
