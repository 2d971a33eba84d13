package report

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forensics/evidence"
	"forensics/internal/testfs"
	"forensics/probe"
)

func testSigner(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

// verifyAll is what 'forensics verify' checks: the bundle and the report.
func verifyAll(t *testing.T, dir string, pub ed25519.PublicKey) []evidence.Check {
	t.Helper()
	checks, err := evidence.Verify(context.Background(), dir, evidence.VerifyOptions{PublicKey: pub})
	if err != nil {
		t.Fatal(err)
	}
	detail, err := Check(dir)
	c := evidence.Check{Name: "report", OK: err == nil, Detail: detail}
	if err != nil {
		c.Detail = err.Error()
	}
	return append(checks, c)
}

func failures(checks []evidence.Check) map[string]string {
	out := map[string]string{}
	for _, c := range checks {
		if !c.OK {
			out[c.Name] = c.Detail
		}
	}
	return out
}

// TestRenderSeals: a report rendered with the signing key leaves the
// bundle signed over every file, the report included, and says so; one
// rendered without it leaves the bundle UNSIGNED (never with a signature
// made before the report) and says that.
func TestRenderSeals(t *testing.T) {
	dir, _ := fixtureBundle(t)
	sign := testSigner(3)
	pub := sign.Public().(ed25519.PublicKey)
	if _, err := Render(dir, Options{Samples: 2, Formats: []string{"html", "md"}}, sign); err != nil {
		t.Fatal(err)
	}
	checks := verifyAll(t, dir, pub)
	if f := failures(checks); len(f) > 0 {
		t.Fatalf("signed report: %v", f)
	}
	for _, c := range checks {
		if c.Warning != "" {
			t.Errorf("%s: warning %q with the signer pinned", c.Name, c.Warning)
		}
	}
	listed, _ := evidence.ListedFiles(dir)
	for _, want := range []string{"report.html", "report.md", FileOptions} {
		if !strings.Contains(strings.Join(listed, " "), want) {
			t.Errorf("SHA256SUMS lacks %s: %v", want, listed)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "signed (ed25519, key "+evidence.KeyFingerprint(pub)+") over SHA256SUMS") {
		t.Error("report.html does not name its signer")
	}

	if _, err := Render(dir, Options{Samples: 2, Formats: []string{"html"}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, evidence.FileSignature)); err == nil {
		t.Fatal("a report rendered without the key kept the old signature")
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err == nil {
		t.Error("the stale report.md was kept")
	}
	checks = verifyAll(t, dir, nil)
	if f := failures(checks); len(f) > 0 {
		t.Fatalf("unsigned report: %v", f)
	}
	for _, c := range checks {
		if c.Name == "signature" && c.Warning != evidence.WarnUnsigned {
			t.Errorf("signature check %+v, want UNSIGNED", c)
		}
	}
	if f := failures(verifyAll(t, dir, pub)); !strings.HasPrefix(f["signature"], "UNSIGNED") {
		t.Errorf("unsigned, signer pinned: %v", f)
	}
	html, _ = os.ReadFile(filepath.Join(dir, "report.html"))
	if !strings.Contains(string(html), "NOT SIGNED") {
		t.Error("report.html of an unsigned bundle does not say NOT SIGNED")
	}
}

// TestReportAttacks runs the report attacks of issue 14 on a signed
// HTML-only bundle: a report.pdf forged into it, and report.json deleted
// with report.html replaced; each as is, and with SHA256SUMS written again
// by someone without the signing key. Every one fails verification, with
// the signer pinned and (by the report check or the hashes) without.
func TestReportAttacks(t *testing.T) {
	dir, _ := fixtureBundle(t)
	sign := testSigner(3)
	pub := sign.Public().(ed25519.PublicKey)
	if _, err := Render(dir, Options{Samples: 2, Formats: []string{"html"}}, sign); err != nil {
		t.Fatal(err)
	}
	// A real rendering of the same results as PDF, the most convincing
	// forgery there is.
	pdfDir := testfs.CopyDir(t, dir, nil)
	if _, err := Render(pdfDir, Options{Samples: 2, Formats: []string{"pdf"}}, nil); err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(filepath.Join(pdfDir, "report.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	forgedHTML := []byte("<html><body>The suspect copied our model. p = 1e-300</body></html>\n")
	tests := []struct {
		name   string
		attack func(t *testing.T, dir string)
		resum  bool
		// failing checks, with the signer pinned and without
		pinned, unpinned map[string]string
	}{
		{"report.pdf forged into an HTML-only bundle", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "report.pdf"), pdf, 0o644)
		}, false,
			map[string]string{"files": `"report.pdf" (a file) is in the bundle folder but SHA256SUMS does not list it`},
			map[string]string{"files": `"report.pdf" (a file) is in the bundle folder but SHA256SUMS does not list it`}},
		{"report.pdf forged, SHA256SUMS written again", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "report.pdf"), pdf, 0o644)
		}, true,
			map[string]string{"signature": "UNSIGNED", "report": "report.pdf is in the bundle, but the options in report.json (formats html) do not make it"},
			map[string]string{"report": "report.pdf is in the bundle, but the options in report.json (formats html) do not make it"}},
		{"report.json deleted, report.html replaced", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, FileOptions))
			os.WriteFile(filepath.Join(dir, "report.html"), forgedHTML, 0o644)
		}, false,
			map[string]string{"hashes": "report.html: SHA-256 differs from SHA256SUMS"},
			map[string]string{"hashes": "report.html: SHA-256 differs from SHA256SUMS"}},
		{"report.json deleted, report.html replaced, SHA256SUMS written again", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, FileOptions))
			os.WriteFile(filepath.Join(dir, "report.html"), forgedHTML, 0o644)
		}, true,
			map[string]string{"signature": "UNSIGNED", "report": "report.html is in the bundle without report.json"},
			map[string]string{"report": "report.html is in the bundle without report.json"}},
		{"report.json deleted only", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, FileOptions))
		}, false,
			map[string]string{"hashes": "report.json is listed in SHA256SUMS", "report": "report.json"},
			map[string]string{"hashes": "report.json is listed in SHA256SUMS"}},
		{"report.html replaced, signed by another key", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "report.html"), forgedHTML, 0o644)
			if err := evidence.Seal(dir, testSigner(4)); err != nil {
				t.Fatal(err)
			}
		}, false,
			map[string]string{"signature": "not by the given public key", "report": "report.html does not match a rendering"},
			map[string]string{"report": "report.html does not match a rendering"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cp := testfs.CopyDir(t, dir, nil)
			tc.attack(t, cp)
			if tc.resum {
				if err := evidence.Seal(cp, nil); err != nil {
					t.Fatal(err)
				}
			}
			for _, pinned := range []bool{true, false} {
				want, key := tc.unpinned, ed25519.PublicKey(nil)
				if pinned {
					want, key = tc.pinned, pub
				}
				got := failures(verifyAll(t, cp, key))
				if len(got) == 0 {
					t.Fatalf("pinned %v: the attack passed verification", pinned)
				}
				for name, w := range want {
					if !strings.Contains(got[name], w) {
						t.Errorf("pinned %v: %s check %q, want %q (all failures: %v)", pinned, name, got[name], w, got)
					}
				}
				t.Logf("pinned %v: %v", pinned, got)
			}
		})
	}
}

// TestRenderRefusesAlteredBundle: rendering seals the bundle again, so it
// must not vouch for a file altered since the last seal.
func TestRenderRefusesAlteredBundle(t *testing.T) {
	dir, _ := fixtureBundle(t)
	path := filepath.Join(dir, probe.FileCanaries)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append(data, '\n'), 0o644)
	if _, err := Render(dir, Options{Formats: []string{"html"}}, testSigner(3)); err == nil || !strings.Contains(err.Error(), "altered since it was sealed") {
		t.Fatalf("Render: %v", err)
	}
	os.WriteFile(path, data, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	if _, err := Render(dir, Options{Formats: []string{"html"}}, testSigner(3)); err == nil || !strings.Contains(err.Error(), `"notes.txt"`) {
		t.Fatalf("Render with an unlisted file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
		t.Error("a refused rendering wrote report.html")
	}
}
