package evidence

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/probe"
)

// otherSigner is a key that is not the fixture's.
func otherSigner() ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
}

// check returns the check of that name, or nil.
func check(checks []Check, name string) *Check {
	for i := range checks {
		if checks[i].Name == name {
			return &checks[i]
		}
	}
	return nil
}

// TestVerifyStatementAttacks runs each way of altering a sealed and
// signed bundle that issue 14 found verify passing, and the others the
// statement must stop, and checks that the named check fails (with the
// signer pinned, and without it).
func TestVerifyStatementAttacks(t *testing.T) {
	b := newBundleFixture(t)
	write := func(t *testing.T, name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(b.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(t *testing.T, name, old, new string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(b.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(old)) {
			t.Fatalf("%s has no %q", name, old)
		}
		write(t, name, bytes.Replace(data, []byte(old), []byte(new), 1))
	}
	tests := []struct {
		name   string
		attack func(t *testing.T)
		check  string // the check that must fail
		want   string // in its detail
		// unpinned: the check must fail without a pinned signer too
		// (false: without one it passes with a warning, as asserted
		// in TestVerifySignatureWarnings).
		unpinned bool
	}{
		{"extra file", func(t *testing.T) { write(t, "notes.txt", []byte("the suspect confessed\n")) },
			"files", `"notes.txt" (a file) is in the bundle folder but SHA256SUMS does not list it`, true},
		{"extra hidden file", func(t *testing.T) { write(t, ".evidence", []byte("x")) },
			"files", `".evidence" (a file) is in the bundle folder but SHA256SUMS does not list it`, true},
		{"extra report", func(t *testing.T) { write(t, "report.pdf", []byte("%PDF-1.4 forged\n")) },
			"files", `"report.pdf" (a file) is in the bundle folder but SHA256SUMS does not list it`, true},
		{"extra folder", func(t *testing.T) {
			if err := os.Mkdir(filepath.Join(b.dir, "more"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, "files", `"more" (a directory) is in the bundle folder`, true},
		{"old-format signature left beside", func(t *testing.T) { write(t, fileOldSignature, []byte("{}\n")) },
			"files", "MERKLE_ROOT.sig is a signature of the old format", true},
		{"listed file deleted", func(t *testing.T) {
			if err := os.Remove(filepath.Join(b.dir, probe.FileCanaries)); err != nil {
				t.Fatal(err)
			}
		}, "hashes", "canaries.yaml is listed in SHA256SUMS (line 2) but missing from the bundle", true},
		{"file altered", func(t *testing.T) { edit(t, FileRoot, "", "0") },
			"hashes", "MERKLE_ROOT: SHA-256 differs from SHA256SUMS", true},
		{"SHA256SUMS edited together with a file", func(t *testing.T) {
			sig := b.files[FileSignature]
			edit(t, FileResults, `"alpha": `, `"alpha": 1`)
			if err := Seal(b.dir, nil); err != nil {
				t.Fatal(err)
			}
			write(t, FileSignature, sig) // the old signature kept
		}, "signature", "SHA256SUMS.sig: the signature does not match SHA256SUMS", true},
		{"extra file listed, old signature kept", func(t *testing.T) {
			write(t, "notes.txt", []byte("x"))
			write(t, FileSums, append(bytes.Clone(b.files[FileSums]), []byte(fmt.Sprintf("%064x  notes.txt\n", 0))...))
		}, "signature", "the signature does not match SHA256SUMS", true},
		{"unknown file sealed and signed", func(t *testing.T) {
			write(t, "notes.txt", []byte("x"))
			if err := Seal(b.dir, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))); err != nil {
				t.Fatal(err)
			}
		}, "files", "SHA256SUMS lists notes.txt (line 4), which is no file of an evidence bundle", true},
		{"a required file unlisted", func(t *testing.T) {
			var kept []string
			for _, l := range strings.SplitAfter(string(b.files[FileSums]), "\n") {
				if !strings.HasSuffix(l, "  "+probe.FileTokenizer+"\n") {
					kept = append(kept, l)
				}
			}
			write(t, FileSums, []byte(strings.Join(kept, "")))
		}, "files", "SHA256SUMS does not list tokenizer.json", true},
		{"SHA256SUMS lists its signature", func(t *testing.T) {
			write(t, FileSums, append(bytes.Clone(b.files[FileSums]), []byte(fmt.Sprintf("%064x  %s\n", 0, FileSignature))...))
		}, "hashes", "lists SHA256SUMS.sig, which the statement cannot cover", true},
		{"signature stripped", func(t *testing.T) {
			if err := os.Remove(filepath.Join(b.dir, FileSignature)); err != nil {
				t.Fatal(err)
			}
		}, "signature", "UNSIGNED: the bundle has no SHA256SUMS.sig, and a signature by ed25519:", false},
		{"file altered, sealed again by another key", func(t *testing.T) {
			edit(t, FileResults, `"alpha": `, `"alpha": 1`)
			if err := Seal(b.dir, otherSigner()); err != nil {
				t.Fatal(err)
			}
		}, "signature", "SHA256SUMS.sig: signed by " + KeyFingerprint(otherSigner().Public().(ed25519.PublicKey)) + ", not by the given public key", false},
		{"signature record of the old kind", func(t *testing.T) {
			edit(t, FileSignature, `"signed": "SHA256SUMS"`, `"signed": "MERKLE_ROOT"`)
		}, "signature", `SHA256SUMS.sig: signs "MERKLE_ROOT", not SHA256SUMS`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				for _, n := range []string{"notes.txt", ".evidence", "report.pdf", "more", fileOldSignature} {
					os.RemoveAll(filepath.Join(b.dir, n))
				}
				b.restoreAll(t)
				if failed, _ := b.verifyAllocated(t, false); len(failed) > 0 {
					t.Fatalf("the restored bundle fails: %+v", failed)
				}
			}()
			tc.attack(t)
			for _, pinned := range []bool{true, false} {
				o := VerifyOptions{}
				if pinned {
					o.PublicKey = b.pub
				}
				checks, err := Verify(context.Background(), b.dir, o)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				c := check(checks, tc.check)
				if !pinned && !tc.unpinned {
					if c == nil || !c.OK || c.Warning == "" {
						t.Errorf("unpinned: %s check %+v, want it passed with a warning", tc.check, c)
					}
					continue
				}
				if c == nil || c.OK || !strings.Contains(c.Detail, tc.want) {
					t.Fatalf("pinned %v: %s check %+v, want it failed with %q", pinned, tc.check, c, tc.want)
				}
				t.Logf("pinned %v: FAIL %s: %s", pinned, c.Name, c.Detail)
			}
		})
	}
}

// TestVerifySignatureWarnings: without a trusted key a bundle reads as
// "signed by an unknown key" or UNSIGNED, loudly but without failing; with
// one, it must be that key's.
func TestVerifySignatureWarnings(t *testing.T) {
	b := newBundleFixture(t)
	sig := func(o VerifyOptions) *Check {
		t.Helper()
		checks, err := Verify(context.Background(), b.dir, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.OK && c.Name != "signature" {
				t.Errorf("%s failed: %s", c.Name, c.Detail)
			}
		}
		return check(checks, "signature")
	}
	fp := KeyFingerprint(b.pub)
	if c := sig(VerifyOptions{PublicKey: b.pub}); !c.OK || c.Warning != "" || !strings.Contains(c.Detail, "valid ed25519 signature over SHA256SUMS by the given key "+fp) {
		t.Errorf("pinned signer: %+v", c)
	}
	if c := sig(VerifyOptions{}); !c.OK || c.Warning != "signed by an unknown key "+fp {
		t.Errorf("unpinned signer: %+v", c)
	}
	other := otherSigner().Public().(ed25519.PublicKey)
	if c := sig(VerifyOptions{PublicKey: other}); c.OK || !strings.Contains(c.Detail, "signed by "+fp+", not by the given public key "+KeyFingerprint(other)) {
		t.Errorf("another key pinned: %+v", c)
	}

	// Sealed again by someone else, nothing else changed.
	if err := Seal(b.dir, otherSigner()); err != nil {
		t.Fatal(err)
	}
	if c := sig(VerifyOptions{}); !c.OK || c.Warning != "signed by an unknown key "+KeyFingerprint(other) {
		t.Errorf("re-signed, unpinned: %+v", c)
	}
	if c := sig(VerifyOptions{PublicKey: b.pub}); c.OK {
		t.Errorf("re-signed, the original signer pinned: %+v", c)
	}

	// Sealed again without a key: unsigned, and the signature is gone.
	if err := Seal(b.dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b.dir, FileSignature)); err == nil {
		t.Fatal("sealing without a key kept the signature")
	}
	if c := sig(VerifyOptions{}); !c.OK || c.Warning != WarnUnsigned || !strings.HasPrefix(c.Detail, "UNSIGNED: ") {
		t.Errorf("unsigned, unpinned: %+v", c)
	}
	if c := sig(VerifyOptions{PublicKey: b.pub}); c.OK || c.Warning != WarnUnsigned {
		t.Errorf("unsigned, pinned: %+v", c)
	}
	b.restoreAll(t)
}

// TestSealAndCheckSeal: Seal lists every regular file, hidden ones too,
// and refuses what it cannot list; CheckSeal finds what changed since.
func TestSealAndCheckSeal(t *testing.T) {
	b := newBundleFixture(t)
	defer b.restoreAll(t)
	ctx := context.Background()
	if err := CheckSeal(ctx, b.dir, nil); err != nil {
		t.Fatalf("the sealed fixture: %v", err)
	}
	// A report file about to be replaced is not checked; another is.
	isReport := func(n string) bool { return strings.HasPrefix(n, ReportPrefix) }
	os.WriteFile(filepath.Join(b.dir, "report.html"), []byte("stale"), 0o644)
	if err := CheckSeal(ctx, b.dir, isReport); err != nil {
		t.Errorf("a report file to be replaced: %v", err)
	}
	if err := CheckSeal(ctx, b.dir, nil); err == nil || !strings.Contains(err.Error(), `"report.html"`) {
		t.Errorf("an unlisted report file, not skipped: %v", err)
	}
	os.Remove(filepath.Join(b.dir, "report.html"))
	os.WriteFile(filepath.Join(b.dir, FileResults), []byte("{}\n"), 0o644)
	if err := CheckSeal(ctx, b.dir, isReport); err == nil || !strings.Contains(err.Error(), "results.json: SHA-256 differs") {
		t.Errorf("an altered file: %v", err)
	}
	b.restoreAll(t)
	sums := append(bytes.Clone(b.files[FileSums]), '\n')
	os.WriteFile(filepath.Join(b.dir, FileSums), sums, 0o644)
	if err := CheckSeal(ctx, b.dir, nil); err == nil {
		t.Error("a list that no longer matches its signature passed")
	}
	b.restoreAll(t)

	// Hidden files are listed (and refused by verify as no bundle file).
	os.WriteFile(filepath.Join(b.dir, ".hidden"), []byte("x"), 0o644)
	if err := Seal(b.dir, nil); err != nil {
		t.Fatal(err)
	}
	if names, err := ListedFiles(b.dir); err != nil || !strings.Contains(strings.Join(names, " "), ".hidden") {
		t.Errorf("listed %v, %v: want .hidden among them", names, err)
	}
	os.Remove(filepath.Join(b.dir, ".hidden"))
	b.restoreAll(t)

	for name, mk := range map[string]func(string) error{
		"a link":      func(p string) error { return os.Symlink(FileResults, p) },
		"a directory": func(p string) error { return os.Mkdir(p, 0o755) },
		"a bad name":  func(p string) error { return os.WriteFile(filepath.Join(filepath.Dir(p), "a\nb"), nil, 0o644) },
	} {
		p := filepath.Join(b.dir, "extra")
		if err := mk(p); err != nil {
			t.Fatal(err)
		}
		err := Seal(b.dir, nil)
		os.RemoveAll(p)
		os.Remove(filepath.Join(b.dir, "a\nb"))
		if err == nil {
			t.Errorf("Seal accepted %s in the folder", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestVerifyListingBounded: a folder of many unlisted files is refused at
// the first, without reading the rest.
func TestVerifyListingBounded(t *testing.T) {
	b := newBundleFixture(t)
	for i := range 5000 {
		if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("x%05d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	failed, n := b.verifyAllocated(t, false)
	if c := failedCheck(failed, "files"); c == nil || !strings.Contains(c.Detail, "does not list it") {
		t.Fatalf("files check: %+v", c)
	}
	if n > verifyBound {
		t.Errorf("verify allocated %d bytes, more than %d", n, verifyBound)
	}
}

// TestOldFormatBundle: a bundle sealed before the statement (SHA256SUMS
// listing MERKLE_ROOT.sig, a signature over MERKLE_ROOT alone) fails
// verification, reads as UNSIGNED, and can be sealed again.
func TestOldFormatBundle(t *testing.T) {
	b := newBundleFixture(t)
	defer b.restoreAll(t)
	sign := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	os.Remove(filepath.Join(b.dir, FileSignature))
	old := fmt.Sprintf(`{"algorithm":"ed25519","public_key":"","signature":"%x"}`, ed25519.Sign(sign, b.files[FileRoot]))
	os.WriteFile(filepath.Join(b.dir, fileOldSignature), []byte(old), 0o644)
	var sums strings.Builder
	ents, _ := os.ReadDir(b.dir)
	for _, e := range ents {
		if e.Name() != FileSums {
			sum, err := hashBundleFile(b.dir, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&sums, "%s  %s\n", sum, e.Name())
		}
	}
	os.WriteFile(filepath.Join(b.dir, FileSums), []byte(sums.String()), 0o644)

	checks, err := Verify(context.Background(), b.dir, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c := check(checks, "files"); c.OK || !strings.Contains(c.Detail, "SHA256SUMS lists MERKLE_ROOT.sig, a signature of the old format") {
		t.Errorf("files check %+v", c)
	}
	if c := check(checks, "signature"); c.Warning != WarnUnsigned {
		t.Errorf("signature check %+v, want UNSIGNED", c)
	}
	if err := CheckSeal(context.Background(), b.dir, nil); err != nil {
		t.Errorf("an old-format bundle cannot be sealed again: %v", err)
	}
	if err := Seal(b.dir, sign); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b.dir, fileOldSignature)); err == nil {
		t.Error("sealing kept the old-format signature")
	}
	checks, _ = Verify(context.Background(), b.dir, VerifyOptions{PublicKey: b.pub})
	for _, c := range checks {
		if !c.OK || c.Warning != "" {
			t.Errorf("sealed again: %+v", c)
		}
	}
	os.Remove(filepath.Join(b.dir, fileOldSignature))
}
