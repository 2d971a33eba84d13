package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"forensics/evidence"
	"forensics/internal/testfs"
)

// outputLines are the lines of a command's output.
func outputLines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

// TestVerifyBundleAttacks runs, with the commands a user has, each attack
// on an evidence bundle from issue 14 (item 8) and shows verify refusing
// it: an extra file, a report.pdf forged into an HTML-only bundle,
// report.json deleted and report.html replaced, SHA256SUMS edited with a
// file, the signature stripped (UNSIGNED), a signature by another key
// without --pub ("signed by an unknown key") and --pub of another key.
func TestVerifyBundleAttacks(t *testing.T) {
	key := newKeyFile(t)
	keys := t.TempDir()
	sign, other := filepath.Join(keys, "signer.key"), filepath.Join(keys, "other.key")
	for _, k := range []string{sign, other} {
		if code, _, stderr := runCLI(t, "", "keygen", "--signing", "--out", k); code != 0 {
			t.Fatalf("keygen --signing: %s", stderr)
		}
	}
	signerFP := keyFingerprint(t, sign)
	otherFP := keyFingerprint(t, other)
	bundle := filepath.Join(t.TempDir(), "case")
	code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "20", "--max-tokens", "60", "--null-keys", "20", "--rounds", "99", "--sign", sign, "--out", bundle)
	if code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	// A bare bundle (no report), for the signature cases, before the report.
	bare := testfs.CopyDir(t, bundle, nil)
	code, out, stderr := runCLI(t, "", "report", "--format", "html", "--sign", sign, bundle)
	if code != 0 || !strings.Contains(out, "sealed and signed by "+signerFP) {
		t.Fatalf("report --sign: %d\n%s\n%s", code, out, stderr)
	}
	code, out, stderr = runCLI(t, "", "verify", "--pub", sign+".pub", bundle)
	if code != 0 || strings.Contains(out, "FAIL") || strings.Contains(out, "WARN") {
		t.Fatalf("the sealed bundle: %d\n%s\n%s", code, out, stderr)
	}
	// A genuine rendering of the same results as PDF, to forge in.
	pdfCopy := testfs.CopyDir(t, bundle, nil)
	if code, _, stderr := runCLI(t, "", "report", "--format", "pdf", pdfCopy); code != 0 {
		t.Fatalf("report --format pdf: %s", stderr)
	}
	pdf, err := os.ReadFile(filepath.Join(pdfCopy, "report.pdf"))
	if err != nil {
		t.Fatal(err)
	}

	type verifyRun struct {
		args []string // besides the folder
		code int
		want []string // in the output and errors
	}
	pinned := []string{"--pub", sign + ".pub"}
	tests := []struct {
		name   string
		from   string
		attack func(t *testing.T, dir string)
		runs   []verifyRun
	}{
		{"extra file added", bundle, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "witness-statement.txt"), []byte("I saw it distil our model.\n"), 0o644)
		}, []verifyRun{
			{pinned, 1, []string{`FAIL files        "witness-statement.txt" (a file) is in the bundle folder but SHA256SUMS does not list it`}},
			{nil, 1, []string{`"witness-statement.txt" (a file) is in the bundle folder but SHA256SUMS does not list it`}},
		}},
		{"report.pdf forged into an HTML-only bundle", bundle, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "report.pdf"), pdf, 0o644)
		}, []verifyRun{
			{pinned, 1, []string{`"report.pdf" (a file) is in the bundle folder but SHA256SUMS does not list it`}},
		}},
		{"report.pdf forged, SHA256SUMS written again without the key", bundle, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "report.pdf"), pdf, 0o644)
			if err := evidence.Seal(dir, nil); err != nil {
				t.Fatal(err)
			}
		}, []verifyRun{
			{pinned, 1, []string{"FAIL signature    UNSIGNED: the bundle has no SHA256SUMS.sig, and a signature by " + signerFP + " was required", "report.pdf is in the bundle, but the options in report.json (formats html) do not make it"}},
			{nil, 1, []string{"report.pdf is in the bundle, but the options in report.json (formats html) do not make it", "\nUNSIGNED\n"}},
		}},
		{"report.json deleted and report.html replaced", bundle, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "report.json"))
			os.WriteFile(filepath.Join(dir, "report.html"), []byte("<p>Verdict: guilty.</p>\n"), 0o644)
		}, []verifyRun{
			{pinned, 1, []string{"report.html: SHA-256 differs from SHA256SUMS"}},
		}},
		{"report.json deleted and report.html replaced, SHA256SUMS written again", bundle, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "report.json"))
			os.WriteFile(filepath.Join(dir, "report.html"), []byte("<p>Verdict: guilty.</p>\n"), 0o644)
			if err := evidence.Seal(dir, nil); err != nil {
				t.Fatal(err)
			}
		}, []verifyRun{
			{pinned, 1, []string{"UNSIGNED", "report.html is in the bundle without report.json"}},
			{nil, 1, []string{"report.html is in the bundle without report.json", "\nUNSIGNED\n"}},
		}},
		{"SHA256SUMS edited together with a file", bundle, func(t *testing.T, dir string) {
			sig, _ := os.ReadFile(filepath.Join(dir, evidence.FileSignature))
			path := filepath.Join(dir, "report.html")
			html, _ := os.ReadFile(path)
			os.WriteFile(path, []byte(strings.Replace(string(html), "Summary", "Summary: guilty", 1)), 0o644)
			if err := evidence.Seal(dir, nil); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(dir, evidence.FileSignature), sig, 0o644)
		}, []verifyRun{
			{pinned, 1, []string{"SHA256SUMS.sig: the signature does not match SHA256SUMS"}},
			{nil, 1, []string{"SHA256SUMS.sig: the signature does not match SHA256SUMS"}},
		}},
		{"signature stripped", bare, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, evidence.FileSignature))
		}, []verifyRun{
			{nil, 0, []string{"WARN signature    UNSIGNED: the bundle has no SHA256SUMS.sig", "\nUNSIGNED\n"}},
			{pinned, 1, []string{"FAIL signature    UNSIGNED", "\nUNSIGNED\n"}},
		}},
		{"signature stripped from a bundle with a report", bundle, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, evidence.FileSignature))
		}, []verifyRun{
			{nil, 1, []string{"\nUNSIGNED\n", "report.html does not match a rendering"}},
		}},
		{"signed by another key", bare, func(t *testing.T, dir string) {
			k, err := evidence.LoadSigningKey(other)
			if err != nil {
				t.Fatal(err)
			}
			if err := evidence.Seal(dir, k); err != nil {
				t.Fatal(err)
			}
		}, []verifyRun{
			{nil, 0, []string{"WARN signature    signed by an unknown key " + otherFP, "\nsigned by an unknown key " + otherFP + "\n"}},
			{pinned, 1, []string{"signed by " + otherFP + ", not by the given public key " + signerFP}},
		}},
		{"--pub of a different key", bundle, func(t *testing.T, dir string) {}, []verifyRun{
			{[]string{"--pub", other + ".pub"}, 1, []string{"SHA256SUMS.sig: signed by " + signerFP + ", not by the given public key " + otherFP}},
			{nil, 0, []string{"\nsigned by an unknown key " + signerFP + "\n"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testfs.CopyDir(t, tc.from, nil)
			tc.attack(t, dir)
			for _, r := range tc.runs {
				code, out, stderr := runCLI(t, "", append(append([]string{"verify"}, r.args...), dir)...)
				all := out + stderr
				if code != r.code {
					t.Errorf("verify %v: exit %d, want %d\n%s%s", r.args, code, r.code, out, stderr)
				}
				for _, w := range r.want {
					if !strings.Contains(all, w) {
						t.Errorf("verify %v: output lacks %q:\n%s%s", r.args, w, out, stderr)
					}
				}
				t.Logf("verify %v: exit %d\n%s", r.args, code, out)
			}
		})
	}
}

// TestVerifyJSONWarnings: --json keeps standard output JSON and says the
// warning on standard error.
func TestVerifyJSONWarnings(t *testing.T) {
	key := newKeyFile(t)
	bundle := filepath.Join(t.TempDir(), "case")
	if code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "12", "--max-tokens", "40", "--null-keys", "0", "--rounds", "99", "--out", bundle); code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	code, out, stderr := runCLI(t, "", "verify", "--json", bundle)
	if code != 0 || !strings.Contains(out, `"warnings":["UNSIGNED"]`) || !strings.Contains(out, `"warning":"UNSIGNED"`) || !slices.Contains(outputLines(stderr), "UNSIGNED") {
		t.Errorf("verify --json of an unsigned bundle: %d\n%s\n%s", code, out, stderr)
	}
}

// TestReportWithoutKeyUnsigns: 'report' without --sign on a signed bundle
// leaves it UNSIGNED (not with a signature that misses the report), and
// says so.
func TestReportWithoutKeyUnsigns(t *testing.T) {
	key := newKeyFile(t)
	sign := filepath.Join(t.TempDir(), "signer.key")
	if code, _, stderr := runCLI(t, "", "keygen", "--signing", "--out", sign); code != 0 {
		t.Fatal(stderr)
	}
	bundle := filepath.Join(t.TempDir(), "case")
	if code, _, stderr := runCLI(t, "", "probe", "--target", "embedded:reference?key="+key, "--key", key,
		"--prompts", "12", "--max-tokens", "40", "--null-keys", "0", "--rounds", "99", "--sign", sign, "--out", bundle); code != 0 {
		t.Fatalf("probe: %s", stderr)
	}
	code, out, stderr := runCLI(t, "", "report", "--format", "md", bundle)
	if code != 0 || !strings.Contains(stderr, "was signed by "+keyFingerprint(t, sign)+"; sealed again without --sign it is now UNSIGNED") || !slices.Contains(outputLines(out), "UNSIGNED") {
		t.Fatalf("report without --sign: %d\n%s\n%s", code, out, stderr)
	}
	if _, err := os.Stat(filepath.Join(bundle, evidence.FileSignature)); err == nil {
		t.Fatal("the old signature was kept")
	}
	if code, out, _ := runCLI(t, "", "verify", "--pub", sign+".pub", bundle); code != 1 || !strings.Contains(out, "FAIL signature    UNSIGNED") {
		t.Errorf("verify --pub of the unsigned bundle: %d\n%s", code, out)
	}
	if code, out, _ := runCLI(t, "", "verify", bundle); code != 0 || !slices.Contains(outputLines(out), "UNSIGNED") {
		t.Errorf("verify of the unsigned bundle: %d\n%s", code, out)
	}
	// Signed again with the key, it verifies with the signer pinned.
	if code, _, stderr := runCLI(t, "", "report", "--format", "md", "--sign", sign, bundle); code != 0 {
		t.Fatalf("report --sign: %s", stderr)
	}
	if code, out, _ := runCLI(t, "", "verify", "--pub", sign+".pub", bundle); code != 0 || strings.Contains(out, "UNSIGNED") {
		t.Errorf("verify --pub after report --sign: %d\n%s", code, out)
	}
}

// keyFingerprint is the fingerprint of a signing key's public half.
func keyFingerprint(t *testing.T, keyPath string) string {
	t.Helper()
	pub, err := evidence.LoadPublicKey(keyPath + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return evidence.KeyFingerprint(pub)
}

// TestVerifyBundleFromEarlierBuild verifies a bundle an earlier build made
// (testdata/bundle-1cae5f2, see its README): evidence outlives the build
// that made it, and verify must still re-derive every file of it, the
// rendered reports included, byte for byte.
func TestVerifyBundleFromEarlierBuild(t *testing.T) {
	src := filepath.Join("testdata", "bundle-1cae5f2")
	bundle := testfs.CopyDir(t, filepath.Join(src, "bundle"), nil)
	keyData, err := os.ReadFile(filepath.Join(src, "key.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Git keeps no file modes; a watermark key readable by others is
	// refused, so the key is written as a user would keep it.
	key := filepath.Join(t.TempDir(), "key.yaml")
	if err := os.WriteFile(key, keyData, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, "", "verify", "--key", key, "--pub", filepath.Join(src, "signer.key.pub"), bundle)
	// Its manifest names no build ("forensics (devel)"): the one warning
	// is that nobody can tell whether the code is the same.
	warns := slices.DeleteFunc(outputLines(out), func(l string) bool { return !strings.HasPrefix(l, "WARN") })
	if code != 0 || strings.Contains(out, "FAIL") || len(warns) != 1 || !strings.HasPrefix(warns[0], "WARN build        the bundle records no build, only the tool \"forensics (devel)\"") {
		t.Fatalf("verify of the earlier build's bundle: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"ok   results", "ok   report", "ok   signature", "build NOT COMPARABLE with the bundle's (forensics (devel)); every re-derived check passed"} {
		if !slices.ContainsFunc(outputLines(out), func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no %q line:\n%s", want, out)
		}
	}
}
